package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.model.Resources;
import dev.flotilla.nodepool.NodePool;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The NodePool limits invariant: when it is broken, and when a pool over its limits is not Flotilla's doing. */
class InvariantsTest {

  private static final Instant START = Instant.parse("2026-01-05T08:00:00Z");
  private static final Duration SETTLING = Duration.ofMinutes(2);
  private final Invariants invariants = new Invariants(START);

  private static Map<String, NodePool> pool(long cpuMillis) {
    NodePool base = NodePool.defaultPool();
    return Map.of(base.name(), new NodePool(base.name(), base.requirements(), base.labels(), base.taints(),
        base.startupTaints(), Resources.of(Resources.CPU, cpuMillis), base.weight(), base.disruption()));
  }

  private void check(Map<String, NodePool> pools, Map<String, Long> cpuByInstance, Map<String, Instant> edited,
      Instant at) {
    Map<String, Resources> running = new java.util.TreeMap<>();
    cpuByInstance.forEach((id, cpu) -> running.put(id, Resources.of(Resources.CPU, cpu)));
    invariants.poolLimitsHold(pools, Map.of("default", running), edited, SETTLING, at);
  }

  @Test
  void anInstanceThatTakesItsPoolPastItsLimitBreaksIt() {
    check(pool(8_000), Map.of("i-1", 4_000L), Map.of(), START.plusSeconds(60));
    assertThat(invariants.violations()).isEmpty();

    check(pool(8_000), Map.of("i-1", 4_000L, "i-2", 8_000L), Map.of(), START.plusSeconds(120));

    assertThat(invariants.violations()).singleElement().satisfies(v -> {
      assertThat(v.invariant()).isEqualTo(Invariants.POOL_LIMITS);
      assertThat(v.at()).isEqualTo(120);
      assertThat(v.detail()).contains("NodePool default holds 12 cpu against its limit of 8 once [i-2] ran");
    });
  }

  @Test
  void aPoolWhoseLimitAnEditLoweredUnderItsNodesIsNotFlotillasDoing() {
    check(pool(16_000), Map.of("i-1", 4_000L, "i-2", 8_000L), Map.of(), START.plusSeconds(60));
    Map<String, Instant> edited = Map.of("default", START.plusSeconds(90));

    // one launched for the old limit while the edit reached the functions
    check(pool(8_000), Map.of("i-1", 4_000L, "i-2", 8_000L, "i-3", 2_000L), edited, START.plusSeconds(150));
    // past the settling time, the pool was over its new limit before the next launch: not that launch's doing
    check(pool(8_000), Map.of("i-1", 4_000L, "i-2", 8_000L, "i-3", 2_000L, "i-4", 2_000L), edited,
        START.plusSeconds(400));
    assertThat(invariants.violations()).isEmpty();

    // once the pool is back within its limit, a launch that takes it past breaks it
    check(pool(8_000), Map.of("i-1", 4_000L, "i-5", 2_000L), edited, START.plusSeconds(500));
    assertThat(invariants.violations()).isEmpty();
    check(pool(8_000), Map.of("i-1", 4_000L, "i-5", 2_000L, "i-6", 4_000L), edited, START.plusSeconds(560));
    assertThat(invariants.violations()).extracting(Invariants.Violation::invariant)
        .containsExactly(Invariants.POOL_LIMITS);
  }
}
