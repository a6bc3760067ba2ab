package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.manifest.ManifestException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * PodDisruptionBudgets in the simulated cluster: the forwarder's mirror carries what each allows, so consolidation
 * leaves a node alone while a budget holds one of its pods, and a drain evicts through them.
 */
class DisruptionBudgetScenarioTest {

  private static final String SCENARIO = """
      name: budgets
      duration: 30m
      manifests:
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: strict, namespace: app}
          spec:
            replicas: 6
            template:
              metadata: {labels: {app: strict}}
              spec:
                topologySpreadConstraints:
                  - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule,
                     labelSelector: {matchLabels: {app: strict}}}
                containers: [{name: s, image: x, resources: {requests: {cpu: 500m, memory: 1Gi}}}]
        - apiVersion: policy/v1
          kind: PodDisruptionBudget
          metadata: {name: strict, namespace: app}
          spec: {BUDGET, selector: {matchLabels: {app: strict}}}
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: web, namespace: app}
          spec:
            replicas: 120
            template:
              metadata: {labels: {app: web}}
              spec:
                containers: [{name: w, image: x, resources: {requests: {cpu: "1", memory: 2Gi}}}]
      events:
        - {at: 5m, scale: {workload: app/web, replicas: 4}}
      """;

  private static Simulation run(String budget) {
    Simulation simulation = new Simulation(Scenario.parse("budgets.yaml", SCENARIO.replace("BUDGET", budget),
        Path.of(".")), (at, line) -> { });
    simulation.run();
    return simulation;
  }

  @Test
  void aBudgetThatAllowsNoDisruptionKeepsItsPodsWhereTheyRun() {
    Simulation held = run("minAvailable: \"100%\"");
    Simulation rolling = run("maxUnavailable: 1");

    // nothing may evict the strict pods: consolidation leaves their nodes alone
    assertThat(held.podsEvicted("app/strict")).isZero();
    // one at a time, the same scale-down lets consolidation move them onto fewer nodes
    assertThat(rolling.podsEvicted("app/strict")).isPositive();
  }

  @Test
  void aMalformedBudgetIsRefusedWithTheFieldThatIsWrong() {
    assertThatThrownBy(() -> run("maxUnavailable: \"half\""))
        .isInstanceOf(ManifestException.class).hasMessageContaining("spec.maxUnavailable")
        .hasMessageContaining("'half'");
    assertThatThrownBy(() -> run("minAvailable: 1, maxUnavailable: 1"))
        .isInstanceOf(ManifestException.class).hasMessageContaining("exactly one of minAvailable and maxUnavailable");
  }

  @Test
  void aBudgetCountsPercentagesOfThePodsItSelectsRoundedUp() {
    DisruptionBudget half = new DisruptionBudget("b", "app", dev.flotilla.model.LabelSelector.of(java.util.Map.of()),
        null, "50%");
    DisruptionBudget most = new DisruptionBudget("b", "app", dev.flotilla.model.LabelSelector.of(java.util.Map.of()),
        "80%", null);
    // 5 pods: at most 3 (50% rounded up) may be unavailable; 4 (80% rounded up) must stay available
    assertThat(List.of(half.allowed(5, 5), half.allowed(5, 3), half.allowed(5, 1))).containsExactly(3, 1, 0);
    assertThat(List.of(most.allowed(5, 5), most.allowed(5, 4), most.allowed(5, 2))).containsExactly(1, 0, 0);
  }
}
