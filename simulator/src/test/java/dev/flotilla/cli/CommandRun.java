package dev.flotilla.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import picocli.CommandLine;

/** One run of the command line as {@code main} runs it, with what it printed and its exit code. */
record CommandRun(int exitCode, String out, String err) {

  /** Runs {@code args} with {@code env} as the environment of the commands that read one. */
  static CommandRun of(Map<String, String> env, boolean debug, String... args) {
    StringWriter err = new StringWriter();
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    PrintStream original = System.out;
    CommandLine.IFactory factory = new CommandLine.IFactory() {
      @Override
      public <K> K create(Class<K> type) throws Exception {
        return type == InvokeCommand.class ? type.cast(new InvokeCommand(env))
            : CommandLine.defaultFactory().create(type);
      }
    };
    int code;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      code = FlotillaCommand.commandLine(debug, factory).setErr(new PrintWriter(err, true)).execute(args);
    } finally {
      System.setOut(original);
    }
    return new CommandRun(code, out.toString(StandardCharsets.UTF_8), err.toString());
  }

  static CommandRun of(Map<String, String> env, String... args) {
    return of(env, false, args);
  }
}
