package dev.flotilla.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A moto server process on a free loopback port, for the lifetime of one test JVM. */
final class MotoServer implements AutoCloseable {

  private static final Duration STARTUP = Duration.ofSeconds(60);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Process process;
  private final URI endpoint;
  private final Path log;
  private final Thread shutdownHook;

  private MotoServer(Process process, URI endpoint, Path log) {
    this.process = process;
    this.endpoint = endpoint;
    this.log = log;
    this.shutdownHook = new Thread(process::destroyForcibly, "moto-server-stop");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  static MotoServer start(Path executable) {
    int port = freePort();
    Path log;
    try {
      Path dir = Files.createDirectories(Path.of("target"));
      log = dir.resolve("moto-server-" + port + ".log");
      Process process = new ProcessBuilder(command(executable, port))
          .redirectErrorStream(true)
          .redirectOutput(log.toFile())
          .start();
      MotoServer server = new MotoServer(process, URI.create("http://127.0.0.1:" + port), log);
      server.awaitReady();
      return server;
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + executable + ": " + e.getMessage(), e);
    }
  }

  /**
   * moto_server's own entry point with request threads turned off. Threaded moto checks and applies a
   * TransactWriteItems without a lock, so two concurrent transactions can both pass their conditions; DynamoDB
   * isolates them. One request at a time gives the tests DynamoDB's semantics. Where the moto_server on the PATH
   * has no Python beside it that can import moto, it runs as it is.
   */
  private static List<String> command(Path executable, int port) {
    String script = "import sys, moto.server as s, werkzeug.serving as w\n"
        + "run = w.run_simple\n"
        + "s.run_simple = lambda *a, **k: run(*a, **dict(k, threaded=False))\n"
        + "s.main(sys.argv[1:])\n";
    for (String python : List.of("python3", "python")) {
      try {
        Process probe = new ProcessBuilder(python, "-c", "import moto.server, werkzeug.serving")
            .redirectErrorStream(true).start();
        if (probe.waitFor(30, TimeUnit.SECONDS) && probe.exitValue() == 0) {
          return List.of(python, "-c", script, "-H", "127.0.0.1", "-p", Integer.toString(port));
        }
      } catch (IOException | InterruptedException notThisOne) {
        // try the next interpreter
      }
    }
    return List.of(executable.toString(), "-H", "127.0.0.1", "-p", Integer.toString(port));
  }

  URI endpoint() {
    return endpoint;
  }

  /** Forgets every resource, so each test starts from an empty account. */
  void reset() {
    try {
      HttpResponse<Void> response = HTTP.send(
          HttpRequest.newBuilder(endpoint.resolve("/moto-api/reset")).timeout(Duration.ofSeconds(10))
              .POST(HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.discarding());
      if (response.statusCode() != 200) {
        throw new IllegalStateException("moto reset answered HTTP " + response.statusCode());
      }
    } catch (IOException e) {
      throw new IllegalStateException("moto reset failed: " + e.getMessage() + logTail(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while resetting moto", e);
    }
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + STARTUP.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("moto_server exited with code " + process.exitValue() + logTail());
      }
      try {
        HttpResponse<Void> response = HTTP.send(
            HttpRequest.newBuilder(endpoint.resolve("/moto-api/")).timeout(Duration.ofSeconds(2)).GET().build(),
            HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() < 500) {
          return;
        }
      } catch (IOException notYet) {
        // still starting
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for moto", e);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for moto", e);
      }
    }
    close();
    throw new IllegalStateException("moto_server did not answer within " + STARTUP.toSeconds() + " s" + logTail());
  }

  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return "\n--- " + log + " ---\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "";
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free loopback port: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // the JVM is already exiting; the hook will run
    }
  }
}
