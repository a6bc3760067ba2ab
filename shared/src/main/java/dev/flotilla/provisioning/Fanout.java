package dev.flotilla.provisioning;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * How a decision runs port calls that do not depend on one another (one claim's write, another claim's write; one
 * CreateFleet, another): one after another, or a bounded number at a time. Either way the results come back in the
 * tasks' order, so that what a decision does with them (the claims it reports launched, the failures it lists, the
 * price it adds) does not depend on which call answered first.
 *
 * <p>Each task's effect stands on its own (a conditional write of its own claim, a CreateFleet under its own client
 * token), so any subset of them done when an invocation dies is a state the next one recovers from claim by claim,
 * as it does from a sequential run cut short.
 */
public interface Fanout {

  /**
   * Runs every task and returns their results in the tasks' order. A task that throws fails the whole: the first
   * failure in the tasks' order is rethrown once no task still runs.
   */
  <T> List<T> all(List<? extends Supplier<? extends T>> tasks);

  /**
   * One task after another on the caller's thread, in order, stopping at the first that throws: the simulator's way,
   * whose interleaving of concurrent invocations hands over at each port call of an invocation's own thread.
   */
  Fanout SEQUENTIAL = new Fanout() {
    @Override
    public <T> List<T> all(List<? extends Supplier<? extends T>> tasks) {
      List<T> results = new ArrayList<>(tasks.size());
      for (Supplier<? extends T> task : tasks) {
        results.add(task.get());
      }
      return results;
    }

    @Override
    public String toString() {
      return "sequential";
    }
  };

  /**
   * At most {@code threads} tasks at a time, on daemon threads made when first needed and kept for the process (a
   * Lambda execution environment): the waits of a decision's AWS calls overlap instead of adding up. Every task an
   * AWS call makes is bounded by the clients' call timeouts, so the wait for all of them is too.
   */
  static Fanout bounded(int threads, String name) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1: " + threads);
    }
    AtomicInteger count = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, name + "-" + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    return new Fanout() {
      @Override
      public <T> List<T> all(List<? extends Supplier<? extends T>> tasks) {
        if (tasks.size() <= 1) {
          return SEQUENTIAL.all(tasks);
        }
        List<Future<? extends T>> futures = new ArrayList<>(tasks.size());
        for (Supplier<? extends T> task : tasks) {
          futures.add(pool.submit(task::get));
        }
        List<T> results = new ArrayList<>(tasks.size());
        Throwable first = null;
        boolean interrupted = false;
        for (Future<? extends T> f : futures) {
          // every task is waited for, failed or not: nothing of this decision may still run once it returns
          while (true) {
            try {
              results.add(f.get());
              break;
            } catch (ExecutionException e) {
              first = first == null ? e.getCause() : first;
              results.add(null);
              break;
            } catch (InterruptedException e) {
              interrupted = true;
            }
          }
        }
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
        if (first instanceof RuntimeException r) {
          throw r;
        }
        if (first instanceof Error e) {
          throw e;
        }
        if (first != null) {
          throw new IllegalStateException(first);
        }
        return results;
      }

      @Override
      public String toString() {
        return "bounded(" + threads + ")";
      }
    };
  }
}
