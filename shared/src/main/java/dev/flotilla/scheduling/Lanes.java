package dev.flotilla.scheduling;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs independent tasks on the calling thread and, on a machine of more than one core, on helper threads beside it
 * (in Lambda, CPU time grows with memory: one vCPU's worth at 1,769 MB, two at 3,538 MB, so the lanes gain there
 * from the second size on): the packings of one selection are most of a large plan's time, and each is independent
 * of the others; so are the shapes a program's pricing round searches (the covering and the pattern programs'). Task
 * 0 always runs first on the calling thread (lane 0); the others go to
 * whichever lane is free. The helpers are daemon threads made on first use, not while a function initialises, so a
 * snapshot of an initialised function holds none.
 */
final class Lanes {

  /** Below this many pods a plan takes a few milliseconds: handing packings to another thread would not pay. */
  static final int PODS = 1_000;

  /** One task: {@code index} of the tasks, run on {@code lane} (0 is the calling thread). */
  interface Task {
    void run(int index, int lane);
  }

  private static volatile ExecutorService helpers;
  private static volatile int helperCount = -1;

  private Lanes() {
  }

  /** Runs tasks {@code 0..tasks-1}, beside each other where {@code worthIt} and there are cores for it. */
  static void run(int tasks, boolean worthIt, Task task) {
    int count = worthIt && tasks > 1 ? Math.min(helperCount(), tasks - 1) : 0;
    if (count == 0) {
      for (int i = 0; i < tasks; i++) {
        task.run(i, 0);
      }
      return;
    }
    AtomicInteger next = new AtomicInteger(1);
    List<Future<?>> running = new ArrayList<>(count);
    List<AtomicBoolean> started = new ArrayList<>(count);
    ExecutorService pool = helpers();
    for (int lane = 1; lane <= count; lane++) {
      int own = lane;
      AtomicBoolean start = new AtomicBoolean();
      started.add(start);
      running.add(pool.submit(() -> {
        if (start.compareAndSet(false, true)) {
          drain(next, tasks, own, task);
        }
      }));
    }
    Throwable failed = null;
    try {
      task.run(0, 0);
      drain(next, tasks, 0, task);
    } catch (RuntimeException | Error e) {
      failed = e;
      next.set(tasks);
    }
    for (int h = 0; h < count; h++) {
      // a helper that has not started is not waited for (it will find itself claimed and do nothing): the tasks are
      // all done, and it may be queued behind the thread that waits (a lane that itself runs tasks side by side)
      if (started.get(h).compareAndSet(false, true)) {
        continue;
      }
      try {
        running.get(h).get();
      } catch (ExecutionException e) {
        if (failed == null) {
          failed = e.getCause();
        }
      } catch (InterruptedException e) {
        // no task is left to hand out: the helpers finish the one they run, and the caller learns of it
        next.set(tasks);
        Thread.currentThread().interrupt();
        failed = failed != null ? failed : new IllegalStateException("interrupted while packings ran", e);
      }
    }
    if (failed instanceof RuntimeException r) {
      throw r;
    }
    if (failed instanceof Error e) {
      throw e;
    }
    if (failed != null) {
      throw new IllegalStateException(failed);
    }
  }

  private static void drain(AtomicInteger next, int tasks, int lane, Task task) {
    for (int i = next.getAndIncrement(); i < tasks; i = next.getAndIncrement()) {
      task.run(i, lane);
    }
  }

  private static int helperCount() {
    if (helperCount < 0) {
      helperCount = Math.max(0, Runtime.getRuntime().availableProcessors() - 1);
    }
    return helperCount;
  }

  /** Sets how many helpers a run may use (tests compare one lane with several); negative: one per core beyond the first. */
  static void helpers(int count) {
    helperCount = count < 0 ? -1 : count;
  }

  private static ExecutorService helpers() {
    ExecutorService pool = helpers;
    if (pool == null) {
      synchronized (Lanes.class) {
        pool = helpers;
        if (pool == null) {
          AtomicInteger made = new AtomicInteger();
          pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "flotilla-packing-" + made.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
          helpers = pool;
        }
      }
    }
    return pool;
  }
}
