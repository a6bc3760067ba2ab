package dev.flotilla.provisioning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class FanoutTest {

  @Test
  void resultsComeInTheTasksOrderWhateverOrderTheyFinishIn() {
    // each task waits for the one after it, so they finish last to first
    int n = 4;
    List<CountDownLatch> done = new ArrayList<>();
    for (int i = 0; i <= n; i++) {
      done.add(new CountDownLatch(1));
    }
    done.get(n).countDown();
    List<Supplier<Integer>> tasks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int index = i;
      tasks.add(() -> {
        await(done.get(index + 1));
        done.get(index).countDown();
        return index;
      });
    }

    assertThat(Fanout.bounded(n, "test").all(tasks)).containsExactly(0, 1, 2, 3);
  }

  @Test
  void noMoreTasksRunAtOnceThanItsBound() {
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    CountDownLatch twoIn = new CountDownLatch(2);
    List<Supplier<Integer>> tasks = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      tasks.add(() -> {
        most.accumulateAndGet(running.incrementAndGet(), Math::max);
        twoIn.countDown();
        await(twoIn);
        running.decrementAndGet();
        return 1;
      });
    }

    assertThat(Fanout.bounded(3, "test").all(tasks)).hasSize(12);
    assertThat(most.get()).isBetween(2, 3);
  }

  @Test
  void theFirstFailureInTheTasksOrderIsRethrownOnceEveryTaskHasRun() {
    AtomicInteger ran = new AtomicInteger();
    CountDownLatch laterFailed = new CountDownLatch(1);
    List<Supplier<Integer>> tasks = List.of(
        () -> {
          ran.incrementAndGet();
          return 0;
        },
        () -> {
          // fails only after the later task has failed, so that the later failure is the first to happen
          await(laterFailed);
          ran.incrementAndGet();
          throw new IllegalStateException("second");
        },
        () -> {
          ran.incrementAndGet();
          laterFailed.countDown();
          throw new IllegalArgumentException("third");
        },
        () -> {
          ran.incrementAndGet();
          return 3;
        });

    assertThatThrownBy(() -> Fanout.bounded(4, "test").all(tasks)).isInstanceOf(IllegalStateException.class)
        .hasMessage("second");
    assertThat(ran.get()).isEqualTo(4);
  }

  @Test
  void sequentialRunsOnTheCallersThreadInOrderAndStopsAtTheFirstFailure() {
    Thread caller = Thread.currentThread();
    List<Integer> order = new ArrayList<>();
    List<Supplier<Integer>> tasks = List.of(
        () -> {
          assertThat(Thread.currentThread()).isSameAs(caller);
          order.add(0);
          return 0;
        },
        () -> {
          order.add(1);
          throw new IllegalStateException("stop");
        },
        () -> {
          order.add(2);
          return 2;
        });

    assertThatThrownBy(() -> Fanout.SEQUENTIAL.all(tasks)).hasMessage("stop");
    assertThat(order).containsExactly(0, 1);
  }

  private static void await(CountDownLatch latch) {
    try {
      // a bound so that a broken fanout fails the test instead of hanging it
      assertThat(latch.await(30, TimeUnit.SECONDS)).as("latch released").isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
