package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Packings side by side: every task once, the first on the calling thread, failures surface, plans unchanged. */
class LanesTest {

  private static final OfferingCatalog CATALOG = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.none());

  @AfterEach
  void oneHelperPerCoreAgain() {
    Lanes.helpers(-1);
  }

  @Test
  void everyTaskRunsOnceAndTheFirstOnTheCallingThread() {
    Lanes.helpers(3);
    AtomicIntegerArray runs = new AtomicIntegerArray(40);
    AtomicReferenceArray<Thread> threads = new AtomicReferenceArray<>(40);
    AtomicIntegerArray lanes = new AtomicIntegerArray(40);

    Lanes.run(40, true, (i, lane) -> {
      runs.incrementAndGet(i);
      threads.set(i, Thread.currentThread());
      lanes.set(i, lane);
    });

    for (int i = 0; i < 40; i++) {
      assertThat(runs.get(i)).as("runs of task %d", i).isEqualTo(1);
      assertThat(lanes.get(i)).isBetween(0, 3);
      // lane 0 is the calling thread, and only it
      assertThat(threads.get(i) == Thread.currentThread()).isEqualTo(lanes.get(i) == 0);
    }
    assertThat(lanes.get(0)).isZero();
  }

  @Test
  void withoutHelpersOrWhenNotWorthItAllRunOnTheCallingThread() {
    Thread caller = Thread.currentThread();
    Lanes.helpers(0);
    AtomicIntegerArray noHelpers = new AtomicIntegerArray(5);
    Lanes.run(5, true, (i, lane) -> noHelpers.set(i, Thread.currentThread() == caller && lane == 0 ? 1 : -1));
    Lanes.helpers(2);
    AtomicIntegerArray notWorthIt = new AtomicIntegerArray(5);
    Lanes.run(5, false, (i, lane) -> notWorthIt.set(i, Thread.currentThread() == caller && lane == 0 ? 1 : -1));

    for (int i = 0; i < 5; i++) {
      assertThat(noHelpers.get(i)).isEqualTo(1);
      assertThat(notWorthIt.get(i)).isEqualTo(1);
    }
  }

  @Test
  void aFailingTaskFailsTheRunWithItsOwnException() {
    Lanes.helpers(2);
    assertThatThrownBy(() -> Lanes.run(8, true, (i, lane) -> {
      if (i == 5) {
        throw new IllegalArgumentException("task 5 failed");
      }
    })).isInstanceOf(IllegalArgumentException.class).hasMessage("task 5 failed");
  }

  @Test
  @Timeout(120)
  void runsInsideALaneFinishEvenWhenEveryHelperIsBusy() {
    Lanes.helpers(1);
    AtomicIntegerArray inner = new AtomicIntegerArray(4 * 6);

    Lanes.run(4, true, (outer, lane) -> Lanes.run(6, true, (i, innerLane) -> inner.incrementAndGet(outer * 6 + i)));

    for (int i = 0; i < inner.length(); i++) {
      assertThat(inner.get(i)).isEqualTo(1);
    }
  }

  @Test
  void aPlanIsTheSameOnOneLaneAsOnSeveral() {
    for (SchedulingInput input : List.of(
        new SchedulingInput(SyntheticWorkloads.kinds(3_000, 60, 2, true), List.of(), CATALOG),
        new SchedulingInput(SyntheticWorkloads.kinds(2_000, 20, 3, false), List.of(), CATALOG),
        new SchedulingInput(SyntheticWorkloads.mixed(2_000, 5), List.of(), CATALOG))) {
      Lanes.helpers(0);
      Plan alone = new Scheduler().schedule(input);
      Lanes.helpers(3);
      Plan beside = new Scheduler().schedule(input);

      assertThat(beside.nodeClaims()).isEqualTo(alone.nodeClaims());
      assertThat(beside.unschedulable()).isEqualTo(alone.unschedulable());
      assertThat(beside.fingerprint()).isEqualTo(alone.fingerprint());
    }
  }
}
