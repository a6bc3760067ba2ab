package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * An expiring node that runs a do-not-disrupt pod: expiry drains it whatever the annotation says, but no drain evicts
 * the pod; with a termination grace it is deleted when the grace runs out, without one it holds the drain.
 */
class DoNotDisruptDrainScenarioTest {

  private static final String SCENARIO = """
      name: do-not-disrupt-drain
      duration: 40m
      manifests:
        - apiVersion: karpenter.sh/v1
          kind: NodePool
          metadata: {name: default}
          spec:
            template:
              spec:
                expireAfter: 10m
                GRACE
                requirements:
                  - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: ledger, namespace: pay}
          spec:
            replicas: 1
            template:
              metadata: {labels: {app: ledger}, annotations: {karpenter.sh/do-not-disrupt: "true"}}
              spec:
                containers: [{name: l, image: x, resources: {requests: {cpu: "1", memory: 2Gi}}}]
      """;

  private static Simulation run(String grace) {
    Simulation simulation = new Simulation(Scenario.parse("do-not-disrupt-drain.yaml",
        SCENARIO.replace("GRACE", grace), Path.of(".")), (at, line) -> { });
    simulation.run();
    return simulation;
  }

  @Test
  void aDoNotDisruptPodGoesWhenTheGraceRunsOutAndHoldsTheDrainWithoutOne() {
    Simulation withGrace = run("terminationGracePeriod: 5m");
    Simulation without = run("");

    // deleted (counted with the evicted) once per expiry once its grace is over: the node went, and its successor
    assertThat(withGrace.podsEvicted("pay/ledger")).isPositive();
    assertThat(without.podsEvicted("pay/ledger")).isZero();
  }
}
