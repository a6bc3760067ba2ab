package dev.flotilla.aws;

import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with jitter for the retries Flotilla does itself (the SDK's own retries are separate). */
final class Backoff {

  private Backoff() {}

  static void sleep(int attempt) {
    long cap = Math.min(2_000, 50L << Math.min(attempt, 6));
    long millis = cap / 2 + ThreadLocalRandom.current().nextLong(cap / 2 + 1);
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while backing off", e);
    }
  }
}
