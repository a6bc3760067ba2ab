package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testing.TestEvents;
import org.junit.jupiter.api.Test;

/**
 * A static NodePool ({@code replicas}) through a burst and a scale-down, with the real services: its nodes are
 * launched with nothing pending for them and kept at their count while consolidation shrinks the rest of the fleet.
 */
class StaticCapacityScenarioTest {

  // m5 is a generation the shop's general pool does not allow: every m5.large is the static pool's
  private static final String SCENARIO = """
      name: static-capacity-through-a-scale-down
      duration: 40m
      ec2: {bootSeconds: 45, spotPriceRatio: 0.35}
      manifests:
        - ../workloads/shop-services.yaml
        - apiVersion: flotilla.dev/v1
          kind: NodePool
          metadata: {name: base}
          spec:
            replicas: 3
            template:
              spec:
                requirements:
                  - {key: node.kubernetes.io/instance-type, operator: In, values: [m5.large]}
                  - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}
      events:
        - {at: 0s, scale: {workload: default/web, replicas: 300}}
        - {at: 12m, scale: {workload: default/web, replicas: 20}}
      """;

  @Test
  void theStaticPoolKeepsItsThreeNodesWhileConsolidationShrinksTheRest() {
    Simulation simulation = new Simulation(Scenario.parse("static-capacity", SCENARIO,
        TestEvents.root().resolve("scenarios")), (at, line) -> { });
    SimulationResult result = simulation.run();

    assertThat(result.podsPendingAtEnd()).isZero();
    assertThat(result.consolidationActions()).as("the rest of the fleet was consolidated").isPositive();
    // launched once each, in the first minute, and never replaced: a consolidated one would be launched again
    assertThat(simulation.launches()).filteredOn(l -> l.instanceType().equals("m5.large")).hasSize(3)
        .allSatisfy(l -> assertThat(l.second()).isLessThanOrEqualTo(60));
    assertThat(simulation.launches()).filteredOn(l -> !l.instanceType().equals("m5.large")).isNotEmpty();
  }
}
