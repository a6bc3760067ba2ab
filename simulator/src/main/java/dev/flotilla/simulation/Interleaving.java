package dev.flotilla.simulation;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Semaphore;

/**
 * Overlapping invocations, deterministically: each runs on a thread of its own, but only one at a time, and at every
 * port call the running one hands control back and the seeded random picks which goes next. So two invocations
 * interleave their reads and writes the way concurrent Lambda invocations can, and a failing seed replays exactly.
 */
final class Interleaving {

  private final Random random;
  private final ThreadLocal<Worker> current = new ThreadLocal<>();

  Interleaving(Random random) {
    this.random = random;
  }

  /** A port call is about to happen: another overlapping invocation may go first. */
  void yieldPoint() {
    Worker w = current.get();
    if (w != null) {
      w.pause();
    }
  }

  /** Runs the invocations together, interleaved; one failure per invocation that failed (null where none). */
  List<Throwable> runTogether(List<Runnable> invocations) {
    if (invocations.size() == 1) {
      try {
        invocations.getFirst().run();
        return java.util.Collections.singletonList(null);
      } catch (RuntimeException | Error e) {
        return List.of(e);
      }
    }
    Semaphore back = new Semaphore(0);
    List<Worker> workers = new ArrayList<>();
    for (Runnable r : invocations) {
      workers.add(new Worker(r, back));
    }
    workers.forEach(Worker::start);
    List<Worker> live = new ArrayList<>(workers);
    while (!live.isEmpty()) {
      Worker next = live.get(random.nextInt(live.size()));
      next.go.release();
      back.acquireUninterruptibly();
      if (next.done) {
        live.remove(next);
      }
    }
    List<Throwable> failures = new ArrayList<>();
    for (Worker w : workers) {
      w.join();
      failures.add(w.failure);
    }
    return failures;
  }

  private final class Worker {
    final Runnable task;
    final Semaphore go = new Semaphore(0);
    final Semaphore back;
    volatile boolean done;
    volatile Throwable failure;
    private Thread thread;

    Worker(Runnable task, Semaphore back) {
      this.task = task;
      this.back = back;
    }

    void start() {
      thread = Thread.ofVirtual().start(() -> {
        current.set(this);
        go.acquireUninterruptibly();
        try {
          task.run();
        } catch (RuntimeException | Error e) {
          failure = e;
        } finally {
          done = true;
          back.release();
        }
      });
    }

    void pause() {
      back.release();
      go.acquireUninterruptibly();
    }

    void join() {
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while an invocation finished", e);
      }
    }
  }
}
