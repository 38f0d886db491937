package io.mobiserve.preprocess;

/** What an encoded image's header declares, read before any pixel is decoded. */
record ImageHeader(ImageFormat format, int width, int height) {

  long pixels() {
    return (long) width * height;
  }
}
