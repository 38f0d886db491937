package io.mobiserve.pipeline;

/** One image of a request cannot be used; the request is refused whole. */
public final class ImageRejectedException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int index;
  private final String problem;

  public ImageRejectedException(int index, String problem, Throwable cause) {
    super("image " + index + ": " + problem, cause);
    this.index = index;
    this.problem = problem;
  }

  /** The image's position in the request, 0-based. */
  public int index() {
    return index;
  }

  /** What is wrong with it, without the index. */
  public String problem() {
    return problem;
  }
}
