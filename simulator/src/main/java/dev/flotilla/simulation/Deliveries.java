package dev.flotilla.simulation;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * How events reach the functions. Without faults an invocation runs at once, alone, to completion. With faults,
 * AWS's ways apply: a delivery may come late or twice; it runs beside the others due at the same moment, their port
 * calls interleaved; it may die or be throttled after any call; and a failed one is retried as Lambda's asynchronous
 * invocation retries it (after one minute, then two), then dead-lettered.
 */
final class Deliveries {

  /** Where deliveries are put on the run's clock. */
  interface Timeline {
    void at(Duration after, Runnable action);

    Duration elapsed();
  }

  /** One delivery of an event to a function, and which attempt it is. */
  record Invocation(String function, String subject, Runnable call, int attempt) {
    Invocation retry() {
      return new Invocation(function, subject, call, attempt + 1);
    }
  }

  /** Functions on a schedule, whose reserved concurrency of one keeps them from running beside themselves. */
  private static final Set<String> SCHEDULED = Set.of("consolidation", "garbage-collector");
  private static final int RETRIES = 2;

  private final Faults settings;
  private final FaultInjection faults;
  private final Timeline timeline;
  private final BiConsumer<Invocation, Throwable> failed;
  private final Consumer<String> note;
  private final Runnable afterEachGroup;
  private final List<Invocation> ready = new ArrayList<>();
  private boolean groupScheduled;

  /**
   * @param failed         told of each failed attempt, before it is retried or dead-lettered
   * @param afterEachGroup what the world does once the invocations due together have run
   */
  Deliveries(Faults settings, FaultInjection faults, Timeline timeline, BiConsumer<Invocation, Throwable> failed,
      Consumer<String> note, Runnable afterEachGroup) {
    this.settings = settings;
    this.faults = faults;
    this.timeline = timeline;
    this.failed = failed;
    this.note = note;
    this.afterEachGroup = afterEachGroup;
  }

  void deliver(String function, String subject, Runnable call) {
    if (!settings.any()) {
      call.run();
      return;
    }
    Invocation invocation = new Invocation(function, subject, call, 0);
    Duration delay = Duration.ZERO;
    if (faults.chance(settings.reorder())) {
      faults.count("reordered");
      delay = faults.upTo(Duration.ofSeconds(10));
    }
    enqueue(invocation, delay);
    if (faults.chance(settings.duplicateDelivery())) {
      faults.count("duplicateDelivery");
      enqueue(invocation, faults.upTo(Duration.ofSeconds(30)));
    }
  }

  /**
   * The second half of an invocation that waited between its halves (the function sleeps; the run's clock goes on).
   * Its first delivery runs {@code secondHalf}; any other (Lambda's retry after a failure, a duplicate) is the whole
   * invocation again, {@code whole}: a retry starts the handler from the top, and what the first half found is gone.
   */
  void deliverSecondHalf(String function, String subject, Runnable secondHalf, Runnable whole) {
    java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
    deliver(function, subject, () -> (first.getAndSet(false) ? secondHalf : whole).run());
  }

  private void enqueue(Invocation invocation, Duration delay) {
    timeline.at(timeline.elapsed().plus(delay), () -> {
      ready.add(invocation);
      scheduleGroup();
    });
  }

  private void scheduleGroup() {
    if (!groupScheduled) {
      groupScheduled = true;
      timeline.at(timeline.elapsed(), this::runReady);
    }
  }

  /** Runs the invocations due now, up to the concurrency together; a scheduled function never beside itself. */
  private void runReady() {
    groupScheduled = false;
    List<Invocation> group = new ArrayList<>();
    Set<String> scheduled = new HashSet<>();
    for (Iterator<Invocation> it = ready.iterator(); it.hasNext() && group.size() < settings.concurrency(); ) {
      Invocation next = it.next();
      if (!SCHEDULED.contains(next.function()) || scheduled.add(next.function())) {
        group.add(next);
        it.remove();
      }
    }
    if (group.size() > 1) {
      faults.count("overlappingInvocations");
    }
    List<Throwable> failures = faults.interleaving().runTogether(group.stream()
        .<Runnable>map(i -> () -> faults.asFunction(i.function(), i.call())).toList());
    for (int i = 0; i < group.size(); i++) {
      if (failures.get(i) != null) {
        retryOrGiveUp(group.get(i), failures.get(i));
      }
    }
    if (!ready.isEmpty()) {
      scheduleGroup();
    }
    afterEachGroup.run();
  }

  private void retryOrGiveUp(Invocation invocation, Throwable failure) {
    failed.accept(invocation, failure);
    if (!injected(failure)) {
      faults.count("invocationErrors");
      note.accept(invocation.function() + " failed on " + invocation.subject() + ": " + failure);
    }
    if (invocation.attempt() < RETRIES) {
      Duration backoff = Duration.ofMinutes(invocation.attempt() + 1L);
      timeline.at(timeline.elapsed().plus(backoff), () -> enqueue(invocation.retry(), Duration.ZERO));
    } else {
      faults.count("deadLettered");
      note.accept(invocation.function() + " gave up on " + invocation.subject() + " after " + (RETRIES + 1)
          + " attempts: " + failure);
    }
  }

  /** Whether a failure is one the faults made (an invocation's death, throttling, a lost answer). */
  static boolean injected(Throwable failure) {
    return failure instanceof FaultInjection.InvocationDied || failure instanceof FaultInjection.Throttled
        || failure instanceof FaultInjection.ResponseLost;
  }
}
