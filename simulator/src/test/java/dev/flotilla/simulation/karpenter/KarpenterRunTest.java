package dev.flotilla.simulation.karpenter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.simulation.Scenario;
import dev.flotilla.simulation.Simulation;
import dev.flotilla.simulation.SimulationResult;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A whole run with Karpenter's decisions: every pod placed, and the same run twice gives the same figures. */
class KarpenterRunTest {

  private static final String SCENARIO = """
      name: karpenter-run
      duration: 15m
      ec2: {bootSeconds: 45, spotPriceRatio: 0.35}
      manifests: [../workloads/shop-services.yaml]
      events:
        - {at: 0s, scale: {workload: default/web, replicas: 120}}
        - {at: 6m, spotInterruption: {fraction: 0.5}}
      """;

  private static SimulationResult run() {
    Scenario s = Scenario.parse("karpenter-run.yaml", SCENARIO, Path.of("../test-events/scenarios"));
    return new Simulation(s, (Duration at, String line) -> { }, KarpenterAutoscaler.factory()).run();
  }

  @Test
  void placesEveryPodThroughASpotStormAndReplaysExactly() {
    SimulationResult first = run();
    SimulationResult second = run();

    assertThat(first.podsPendingAtEnd()).isZero();
    assertThat(first.interruptions()).isPositive();
    assertThat(first.doubleLaunches()).isZero();
    assertThat(second).usingRecursiveComparison().ignoringFields("wallMillis").isEqualTo(first);
  }
}
