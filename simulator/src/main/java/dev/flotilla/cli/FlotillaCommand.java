package dev.flotilla.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code flotilla} command line. */
@Command(name = "flotilla", mixinStandardHelpOptions = true, version = "flotilla 0.1.0",
    description = "Flotilla: a serverless Kubernetes node autoscaler for AWS.",
    subcommands = {SimulateCommand.class, PlanCommand.class, InvokeCommand.class, BenchCommand.class, BenchClaimsCommand.class,
        BenchFunctionsCommand.class, BenchForwarderCommand.class})
public final class FlotillaCommand implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new FlotillaCommand()).execute(args));
  }
}
