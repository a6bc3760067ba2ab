package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.BooleanSupplier;

/**
 * Waits for what the informers deliver asynchronously: polls, sleeping between tries so that the threads it waits on
 * get the cores, and fails the test, rather than carrying on, if the condition never holds.
 */
final class Await {

  private static final long LIMIT_NANOS = 30_000_000_000L;

  private Await() {
  }

  static void until(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + LIMIT_NANOS;
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted waiting for " + what, e);
      }
    }
    assertThat(condition.getAsBoolean()).as(what + ", within 30 s").isTrue();
  }
}
