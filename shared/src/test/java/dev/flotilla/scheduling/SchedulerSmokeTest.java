package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SchedulerSmokeTest {

  @Test
  void mixedWorkloadIsPlacedNearTheBound() {
    for (int n : new int[] {1000, 10000}) {
      var pods = Fixtures.mixedWorkload(n, 7);
      Plan plan = new Scheduler().schedule(new SchedulingInput(pods, List.of(), Fixtures.usEast1OnDemand()));
      System.out.printf("pods=%d nodes=%d unsched=%d total=%.3f bound=%.3f ratio=%.4f ms=%d%n", pods.size(),
          plan.nodeClaims().size(), plan.unschedulable().size(), plan.totalPricePerHour(), plan.lowerBoundPerHour(),
          plan.costRatio(), plan.solveMillis());
      plan.nodeClaims().stream().collect(java.util.stream.Collectors.groupingBy(NodeClaim::instanceType,
          java.util.TreeMap::new, java.util.stream.Collectors.counting())).forEach((k, v) -> System.out.println("  " + k + " x" + v));
      assertThat(plan.placedPods()).isEqualTo(pods.size());
    }
  }
}
