package dev.flotilla.forwarder;

import java.time.Duration;

/** The forwarder's command loop in a test: one thread polling the queue until it is closed. */
final class Poller implements AutoCloseable {

  private final Thread thread;
  private volatile boolean stopped;

  Poller(CommandExecutor executor) {
    thread = Thread.ofPlatform().name("test-command-loop").daemon().start(() -> {
      while (!stopped) {
        try {
          if (executor.pollOnce(Duration.ofMillis(200)) == 0) {
            Thread.sleep(20);
          }
        } catch (InterruptedException | IllegalStateException e) {
          return;
        }
      }
    });
  }

  @Override
  public void close() throws InterruptedException {
    stopped = true;
    thread.interrupt();
    thread.join();
  }
}
