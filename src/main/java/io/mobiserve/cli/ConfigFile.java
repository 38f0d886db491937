package io.mobiserve.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code serve --config FILE}: a Java properties file whose keys are the long option names without their
 * dashes ({@code max-batch = 16}). Its values are the command's defaults, so flags on the command line (and
 * {@link EnvironmentDefaults the environment}) win over the file. A key that names no option is refused, so a
 * typo cannot be silently ignored. Without {@code --config}, {@code MOBISERVE_CONFIG} may name the file.
 */
final class ConfigFile implements CommandLine.IDefaultValueProvider {
  static final String OPTION = "--config";
  static final String VARIABLE = "MOBISERVE_CONFIG";

  private final Path file;
  private final Properties values;

  private ConfigFile(Path file, Properties values) {
    this.file = file;
    this.values = values;
  }

  /**
   * Installs the file named by {@code --config} in {@code args}, if any, as the defaults of {@code
   * command}.
   *
   * @throws ConfigurationException when the file cannot be read or names an unknown setting
   */
  static void install(CommandLine command, List<String> args) {
    install(command, args, Map.of());
  }

  /**
   * As {@link #install(CommandLine, List)}, taking the file from {@code MOBISERVE_CONFIG} in {@code
   * environment} when {@code args} has no {@code --config}.
   */
  static void install(CommandLine command, List<String> args, Map<String, String> environment) {
    Path file = find(args);
    if (file == null && !environment.getOrDefault(VARIABLE, "").isBlank()) {
      file = Path.of(environment.get(VARIABLE).trim());
    }
    if (file == null) {
      return;
    }
    Properties values = new Properties();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      values.load(reader);
    } catch (IOException e) {
      throw new ConfigurationException(OPTION + " " + file + ": cannot read it: " + e.getMessage(), e);
    }
    Set<String> known = new TreeSet<>();
    for (OptionSpec option : command.getCommandSpec().options()) {
      known.add(key(option));
    }
    known.remove(key(OPTION));
    for (String name : values.stringPropertyNames()) {
      if (!known.contains(name)) {
        throw new ConfigurationException(OPTION + " " + file + ": unknown setting '" + name + "'; known settings: "
            + String.join(", ", known));
      }
    }
    command.setDefaultValueProvider(new ConfigFile(file, values));
  }

  private static Path find(List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals(OPTION)) {
        if (i + 1 >= args.size()) {
          throw new ConfigurationException(OPTION + " needs a file");
        }
        return Path.of(args.get(i + 1));
      }
      if (arg.startsWith(OPTION + "=")) {
        return Path.of(arg.substring(OPTION.length() + 1));
      }
    }
    return null;
  }

  private static String key(OptionSpec option) {
    return key(option.longestName());
  }

  private static String key(String optionName) {
    return optionName.replaceFirst("^-+", "");
  }

  @Override
  public String defaultValue(ArgSpec argument) {
    if (argument instanceof OptionSpec option) {
      String value = values.getProperty(key(option));
      if (value != null) {
        return value.trim();
      }
    }
    return argument.defaultValue();
  }

  @Override
  public String toString() {
    return file.toString();
  }
}
