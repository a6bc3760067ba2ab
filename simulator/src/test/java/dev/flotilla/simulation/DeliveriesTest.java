package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import org.junit.jupiter.api.Test;

/** How an invocation that waits between its halves is delivered again: from its first half, as Lambda retries it. */
class DeliveriesTest {

  private static final Instant START = Instant.parse("2026-01-05T08:00:00Z");
  /** Faults on, none of them random: only what a call throws fails an invocation. */
  private static final Faults NO_CHANCE = new Faults(1, 0, 0, 1, 0, 0, 0, 0, 0, Duration.ZERO, List.of(),
      Duration.ofHours(1));

  private final Timeline timeline = new Timeline();
  private final List<String> ran = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private final Deliveries deliveries = new Deliveries(NO_CHANCE,
      new FaultInjection(NO_CHANCE, Clock.fixed(START, ZoneOffset.UTC), START), timeline, (i, e) -> { }, notes::add,
      () -> { });

  @Test
  void aSecondHalfThatSucceedsRunsOnceAndTheWholeNever() {
    deliveries.deliverSecondHalf("consolidation", "e1/check", () -> ran.add("second half " + timeline.now),
        () -> ran.add("whole " + timeline.now));

    timeline.runAll();

    assertThat(ran).containsExactly("second half PT0S");
  }

  @Test
  void aSecondHalfThatDiesIsRetriedAMinuteLaterFromItsFirstHalf() {
    deliveries.deliverSecondHalf("consolidation", "e1/check", () -> {
      ran.add("second half " + timeline.now);
      throw new FaultInjection.InvocationDied("ClaimStore.transition");
    }, () -> ran.add("whole " + timeline.now));

    timeline.runAll();

    assertThat(ran).containsExactly("second half PT0S", "whole PT1M");
  }

  @Test
  void aWholeInvocationThatDiesAgainIsRetriedWholeThenDeadLettered() {
    deliveries.deliverSecondHalf("consolidation", "e1/check", () -> {
      ran.add("second half " + timeline.now);
      throw new FaultInjection.Throttled("ClaimStore.claims");
    }, () -> {
      ran.add("whole " + timeline.now);
      throw new FaultInjection.Throttled("ClaimStore.claims");
    });

    timeline.runAll();

    // retried after one minute, then two more, then given up: as Lambda's asynchronous invocation
    assertThat(ran).containsExactly("second half PT0S", "whole PT1M", "whole PT3M");
    assertThat(notes).anyMatch(n -> n.startsWith("consolidation gave up on e1/check after 3 attempts"));
  }

  /** The run's clock: actions at their time, in the order they were put at the same time. */
  private static final class Timeline implements Deliveries.Timeline {
    private record Due(Duration at, long order, Runnable action) {}

    private final PriorityQueue<Due> due = new PriorityQueue<>(
        java.util.Comparator.comparing(Due::at).thenComparingLong(Due::order));
    private Duration now = Duration.ZERO;
    private long order;

    @Override
    public void at(Duration at, Runnable action) {
      due.add(new Due(at, order++, action));
    }

    @Override
    public Duration elapsed() {
      return now;
    }

    void runAll() {
      while (!due.isEmpty()) {
        Due next = due.poll();
        now = next.at();
        next.action().run();
      }
    }
  }
}
