package dev.flotilla.cli;

import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The {@code flotilla} command line. */
@Command(name = "flotilla", mixinStandardHelpOptions = true, version = "flotilla 0.1.0",
    description = "Flotilla: a serverless Kubernetes node autoscaler for AWS.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:done", "1:the command failed (one line on standard error says why)",
        "2:the command line is wrong: an option, an argument or a setting it needs"},
    subcommands = {SimulateCommand.class, PlanCommand.class, InvokeCommand.class, BenchCommand.class, BenchClaimsCommand.class,
        BenchFunctionsCommand.class, BenchForwarderCommand.class,
        StatusCommand.class})
public final class FlotillaCommand implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  private static volatile boolean debugging;

  // read from the arguments before parsing, so that a command line that does not parse is traced too
  @Option(names = "--debug", scope = ScopeType.INHERIT,
      description = "Print the stack trace after a failure's message, and the functions' decision log and metrics "
          + "(also FLOTILLA_DEBUG=1).")
  boolean debug;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Whether this run asked for stack traces and the functions' logs. */
  static boolean debug(String[] args) {
    return Arrays.asList(args).contains("--debug") || "1".equals(System.getenv("FLOTILLA_DEBUG"));
  }

  /** Whether this run prints stack traces and the functions' logs. */
  static boolean debugging() {
    return debugging;
  }

  /** The command line with its failure report installed, as {@link #main} runs it. */
  static CommandLine commandLine(boolean debug) {
    return commandLine(debug, CommandLine.defaultFactory());
  }

  /** The same, its commands made by {@code factory} (tests give commands their own environment). */
  static CommandLine commandLine(boolean debug, CommandLine.IFactory factory) {
    debugging = debug;
    FunctionLogs.local(debug);
    return CommandFailure.install(new CommandLine(new FlotillaCommand(), factory), debug);
  }

  public static void main(String[] args) {
    System.exit(commandLine(debug(args)).execute(args));
  }
}
