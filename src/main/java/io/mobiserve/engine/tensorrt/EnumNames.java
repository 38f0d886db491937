package io.mobiserve.engine.tensorrt;

import java.util.function.ToIntFunction;

/**
 * The constant name for a preset enum value. Enums the presets return are fresh objects whose identity
 * (and possibly name) is not the constant's, so they are matched by their {@code value} field.
 */
final class EnumNames {
  private EnumNames() {}

  static <E extends Enum<E>> String nameOf(E[] constants, ToIntFunction<E> valueOf, int value) {
    for (E constant : constants) {
      if (valueOf.applyAsInt(constant) == value) {
        return constant.name();
      }
    }
    return "value " + value;
  }
}
