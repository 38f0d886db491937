package io.mobiserve.engine.tensorrt;

/**
 * What a file in the engine cache is for. The canonical key is written into the file's header and checked
 * on load, so a file name collision (or a file copied from another machine) is a miss, never a wrong hit.
 */
interface CacheKey {

  /** Every input that changes the cached bytes, one {@code name=value} per line, values URL-encoded. */
  String canonical();

  /** The file's name in the cache directory. */
  String fileName();
}
