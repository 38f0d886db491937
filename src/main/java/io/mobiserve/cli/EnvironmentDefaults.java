package io.mobiserve.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code serve}'s settings from the environment, as containers and Kubernetes pass them: every long option
 * {@code --max-batch} can be set as {@code MOBISERVE_MAX_BATCH} (upper case, dashes as underscores). The
 * order is: a flag on the command line, then the environment, then the {@code --config} file, then the
 * built-in default. It is one default value provider in front of whatever provided the defaults before
 * (the config file), so it covers every option, those of mixins included, without a line per option.
 *
 * <p>A value that does not convert is refused at start, naming the variable. A {@code MOBISERVE_}
 * variable that names no option is logged and ignored, not refused: a deployment may set the variable of
 * a flag that a newer release has (the memory budget, TLS files) and still start an older one; the warning
 * makes a misspelled name visible. An empty value counts as unset.
 */
final class EnvironmentDefaults implements CommandLine.IDefaultValueProvider {
  static final String PREFIX = "MOBISERVE_";
  private static final Logger log = LoggerFactory.getLogger(EnvironmentDefaults.class);

  /** Option name ({@code --max-batch}) to its value from the environment. */
  private final Map<String, String> values;
  private final CommandLine.IDefaultValueProvider below;

  private EnvironmentDefaults(Map<String, String> values, CommandLine.IDefaultValueProvider below) {
    this.values = values;
    this.below = below;
  }

  /**
   * Puts the environment's values in front of {@code command}'s current defaults (the config file's, when
   * one was installed). Does nothing when no {@code MOBISERVE_} variable is set.
   *
   * @param environment the process's environment ({@code System.getenv()})
   * @throws ConfigurationException naming the first variable whose value the option does not accept
   */
  static void install(CommandLine command, Map<String, String> environment) {
    Map<String, OptionSpec> byVariable = new TreeMap<>();
    for (OptionSpec option : command.getCommandSpec().options()) {
      if (!option.usageHelp() && !option.versionHelp() && option.longestName().startsWith("--")) {
        byVariable.put(variable(option), option);
      }
    }
    Map<String, String> values = new TreeMap<>();
    List<String> used = new ArrayList<>();
    CommandLine trial = null;
    Set<String> unknown = new TreeSet<>();
    for (Map.Entry<String, String> entry : new TreeMap<>(environment).entrySet()) {
      String name = entry.getKey();
      if (!name.startsWith(PREFIX)) {
        continue;
      }
      OptionSpec option = byVariable.get(name);
      if (option == null) {
        unknown.add(name);
        continue;
      }
      String value = entry.getValue().trim();
      if (value.isEmpty()) {
        log.warn("{} is empty: ignored", name);
        continue;
      }
      if (trial == null) {
        trial = trialCommand(command);
      }
      check(trial, option, name, value);
      values.put(option.longestName(), value);
      used.add(name);
    }
    if (!unknown.isEmpty()) {
      log.warn("ignored {}: {} has no such option{}", String.join(", ", unknown), command.getCommandName(),
          unknown.size() == 1 ? "" : "s");
    }
    if (!values.isEmpty()) {
      log.info("settings from the environment: {}", String.join(", ", used));
      command.setDefaultValueProvider(new EnvironmentDefaults(values, command.getDefaultValueProvider()));
    }
  }

  /** {@code --max-queue-delay-us} → {@code MOBISERVE_MAX_QUEUE_DELAY_US}. */
  static String variable(OptionSpec option) {
    return PREFIX + option.longestName().replaceFirst("^-+", "").replace('-', '_').toUpperCase(Locale.ROOT);
  }

  /**
   * A new instance of the command, on its own (picocli cannot parse a subcommand without its parent), with
   * the same parser settings that affect conversion.
   */
  private static CommandLine trialCommand(CommandLine command) {
    CommandLine trial = new CommandLine(command.getCommandSpec().userObject().getClass(), command.getFactory());
    trial.setCaseInsensitiveEnumValuesAllowed(command.isCaseInsensitiveEnumValuesAllowed());
    return trial;
  }

  /** Converts the value as the option would, on a throwaway command, so that a bad one names its variable. */
  private static void check(CommandLine trial, OptionSpec option, String variable, String value) {
    try {
      if (option.arity().max() == 0) {
        // A flag without a value (none in serve today): only true or false make sense.
        if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
          throw new CommandLine.ParameterException(trial, "'" + value + "' is not true or false");
        }
        return;
      }
      trial.parseArgs(option.longestName() + "=" + value);
    } catch (CommandLine.ParameterException e) {
      throw new ConfigurationException(variable + "=" + value + ": " + e.getMessage() + serviceLinkHint(value), e);
    }
  }

  /**
   * Kubernetes gives every pod {@code <SERVICE>_PORT=tcp://IP:PORT} for each Service in its namespace, so a
   * Service named {@code mobiserve} sets {@code MOBISERVE_PORT} to something that is not a port.
   */
  private static String serviceLinkHint(String value) {
    return value.matches("(?i)(tcp|udp|sctp)://.*")
        ? " (this looks like a Kubernetes service link from a Service named 'mobiserve': set"
            + " enableServiceLinks: false in the pod spec)"
        : "";
  }

  @Override
  public String defaultValue(ArgSpec argument) throws Exception {
    if (argument instanceof OptionSpec option) {
      String value = values.get(option.longestName());
      if (value != null) {
        return value;
      }
    }
    return below != null ? below.defaultValue(argument) : argument.defaultValue();
  }
}
