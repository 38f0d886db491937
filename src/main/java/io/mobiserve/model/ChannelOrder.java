package io.mobiserve.model;

/** The order of the colour channels in a pixel or in a model's input. */
public enum ChannelOrder {
  RGB,
  BGR
}
