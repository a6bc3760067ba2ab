package dev.flotilla.lifecycle;

import java.util.function.Supplier;

/**
 * Steps that must not hold each other back: each runs whatever befell the ones before it, and the first failure (the
 * later ones suppressed in it) is thrown once all have run, so the run still counts as failed and is retried.
 */
final class Failures {

  private RuntimeException first;
  private int count;

  /** The step's answer, or {@code otherwise} where it failed. */
  <T> T run(Supplier<T> step, T otherwise) {
    try {
      return step.get();
    } catch (RuntimeException e) {
      failed(e);
      return otherwise;
    }
  }

  void run(Runnable step) {
    try {
      step.run();
    } catch (RuntimeException e) {
      failed(e);
    }
  }

  private void failed(RuntimeException e) {
    if (first == null) {
      first = e;
    } else {
      first.addSuppressed(e);
    }
    count++;
  }

  int count() {
    return count;
  }

  /** Throws the first failure, if any step failed. */
  void rethrow() {
    if (first != null) {
      throw first;
    }
  }

  String firstMessage() {
    return first == null ? null : first.getMessage();
  }
}
