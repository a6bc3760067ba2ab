package dev.flotilla.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import software.amazon.cloudwatchlogs.emf.config.EnvironmentConfigurationProvider;
import software.amazon.cloudwatchlogs.emf.environment.Environments;

/**
 * What a function run here prints besides its answer. In Lambda its decision log and its metrics (Embedded Metric
 * Format) go to the function's log stream; here they go to standard error with {@code --debug} and nowhere
 * otherwise, so that standard output carries the answer only and a failure stays one line.
 */
final class FunctionLogs {

  private FunctionLogs() {}

  /**
   * Metrics are written as local EMF lines instead of being sent to a CloudWatch agent that is not here (which
   * warns on every metric), and the decision log shows with {@code --debug}.
   */
  static void local(boolean debug) {
    EnvironmentConfigurationProvider.getConfig().setEnvironmentOverride(Environments.Local);
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logback) {
      logback.getLogger("flotilla.decisions").setLevel(debug ? Level.INFO : Level.OFF);
    }
  }

  /**
   * A function run here logs as it would in Lambda, where its warnings are read in its log stream: shown with
   * {@code --debug}, and otherwise not, so that standard error carries only a failure, in one line. (Against an
   * emulator they are mostly about what the emulator lacks, such as the Price List.)
   */
  static void functionsQuiet(boolean debug) {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logback) {
      logback.getLogger("dev.flotilla").setLevel(debug ? Level.INFO : Level.OFF);
    }
  }

  /** Runs a function with its metric lines (written to standard output) moved to standard error or dropped. */
  static <T> T aside(boolean debug, Callable<T> function) throws Exception {
    PrintStream out = System.out;
    System.setOut(debug ? System.err : new PrintStream(OutputStream.nullOutputStream()));
    try {
      return function.call();
    } finally {
      System.setOut(out);
    }
  }
}
