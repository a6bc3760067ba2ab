package dev.flotilla.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * How the command line fails: one line on standard error that names the problem (and the file, document and field,
 * or the missing setting and how to give it), exit {@value #USAGE} when the command line itself is wrong (an option,
 * an argument, a setting it needs from the environment) and {@value #FAILED} otherwise. With {@code --debug} (or
 * {@code FLOTILLA_DEBUG=1}) the stack trace follows the line.
 */
final class CommandFailure implements IParameterExceptionHandler, IExecutionExceptionHandler {

  static final int USAGE = 2;
  static final int FAILED = 1;

  /** A command line that cannot run as given: exit {@value CommandFailure#USAGE}. */
  static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  private final boolean debug;

  CommandFailure(boolean debug) {
    this.debug = debug;
  }

  /** Installs this report on a command line and every subcommand it has. */
  static CommandLine install(CommandLine commandLine, boolean debug) {
    CommandFailure failure = new CommandFailure(debug);
    return commandLine.setParameterExceptionHandler(failure).setExecutionExceptionHandler(failure);
  }

  @Override
  public int handleParseException(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    String name = cmd.getCommandSpec().qualifiedName();
    PrintWriter err = cmd.getErr();
    err.println(name + ": " + oneLine(e.getMessage()) + " (see '" + name + " --help')");
    trace(err, e);
    return USAGE;
  }

  @Override
  public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    err.println(cmd.getCommandSpec().qualifiedName() + ": " + describe(e));
    trace(err, e);
    return exitCode(e);
  }

  static int exitCode(Throwable e) {
    return e instanceof UsageException || e instanceof dev.flotilla.functions.FunctionConfig.MissingSetting
        ? USAGE : FAILED;
  }

  /**
   * The failure in one line: its own message, then what its causes add where it only wraps them (an I/O error's
   * file, a wrapper without a message of its own). A domain error's message already names the field.
   */
  static String describe(Throwable e) {
    StringBuilder line = new StringBuilder(
        e instanceof software.amazon.awssdk.core.exception.SdkClientException ? "cannot reach AWS" : "");
    for (Throwable t = e; t != null; t = wraps(t) ? t.getCause() : null) {
      String reason = reason(t, line);
      if (!reason.isBlank() && line.indexOf(reason) < 0) {
        line.append(line.isEmpty() ? "" : ": ").append(reason);
      }
    }
    if (e instanceof dev.flotilla.functions.FunctionConfig.MissingSetting) {
      line.append(": export it, or pass --bootstrap to create the cluster's resources in the emulator");
    }
    return oneLine(line.toString());
  }

  /** Whether {@code t} only carries its cause, which then says what went wrong. */
  private static boolean wraps(Throwable t) {
    return t.getCause() != null && t.getCause() != t && (t instanceof UncheckedIOException
        || t.getCause() instanceof java.nio.file.FileSystemException || t.getMessage() == null
        || t.getMessage().isBlank() || t.getMessage().equals(t.getCause().toString()));
  }

  /** What one exception says, the way a person would say it, without repeating a file the line names. */
  private static String reason(Throwable e, CharSequence line) {
    if (e instanceof java.nio.file.FileSystemException f) {
      String what = f instanceof NoSuchFileException ? "no such file"
          : f instanceof AccessDeniedException ? "permission denied"
          : f.getReason() == null ? "cannot read" : f.getReason();
      return line.toString().contains(f.getFile()) ? what : f.getFile() + ": " + what;
    }
    String message = e.getMessage();
    if (message == null || message.isBlank() || (e.getCause() != null && message.equals(e.getCause().toString()))) {
      return e.getCause() != null ? "" : e.getClass().getSimpleName();
    }
    return message;
  }

  private static String oneLine(String text) {
    return text.replaceAll("\\s*\\R\\s*", " ").strip();
  }

  private void trace(PrintWriter err, Throwable e) {
    if (debug) {
      e.printStackTrace(err);
    }
    err.flush();
  }
}
