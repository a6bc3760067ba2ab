package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * NodePools that sell different zones, as a cluster with an arm64 pool and an older amd64 one has them: us-east-1e
 * sells no Graviton. A zone spread counts every zone a pool the pod may use sells, as Karpenter does, and as
 * kube-scheduler does once any node runs there; its shares there go to the lighter pool that sells them.
 */
class PoolZonesScenarioTest {

  private static final String SCENARIO = """
      name: pool-zones
      duration: 20m
      manifests:
        - apiVersion: karpenter.sh/v1
          kind: NodePool
          metadata: {name: arm}
          spec:
            weight: 50
            template:
              spec:
                requirements:
                  - {key: kubernetes.io/arch, operator: In, values: [arm64]}
                  - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}
                  - {key: karpenter.k8s.aws/instance-category, operator: In, values: [c, m]}
        - apiVersion: karpenter.sh/v1
          kind: NodePool
          metadata: {name: x86}
          spec:
            weight: 5
            template:
              spec:
                requirements:
                  - {key: kubernetes.io/arch, operator: In, values: [amd64]}
                  - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: legacy, namespace: app}
          spec:
            replicas: 2
            template:
              metadata: {labels: {app: legacy}}
              spec:
                nodeSelector: {topology.kubernetes.io/zone: us-east-1e}
                containers: [{name: c, image: x, resources: {requests: {cpu: 500m, memory: 1Gi}}}]
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: front, namespace: app}
          spec:
            replicas: 10
            template:
              metadata: {labels: {app: front}}
              spec:
                topologySpreadConstraints:
                  - maxSkew: 1
                    topologyKey: topology.kubernetes.io/zone
                    whenUnsatisfiable: DoNotSchedule
                    labelSelector: {matchLabels: {app: front}}
                containers: [{name: c, image: x, resources: {requests: {cpu: 500m, memory: 1Gi}}}]
      events:
        - {at: 3m, scale: {workload: app/front, replicas: 40}}
      """;

  @Test
  void aSpreadOverZonesOnlyALighterPoolSellsLandsWithoutRelaunching() {
    Simulation simulation = new Simulation(Scenario.parse("pool-zones.yaml", SCENARIO, Path.of(".")),
        (at, line) -> { });
    SimulationResult r = simulation.run();

    // planned over the heavier pool's five zones alone, the pods kube-scheduler keeps for us-east-1e (where the
    // legacy pods' node runs) waited while a launch for them came every minute and consolidation deleted it empty
    assertThat(r.podsPendingAtEnd()).isZero();
    assertThat(r.pendingSeconds().max()).isLessThanOrEqualTo(60);
    assertThat(r.instancesLaunched()).isLessThanOrEqualTo(r.nodesAtPeak() + 5);
    assertThat(simulation.nodesRunning("app/front").keySet()).anyMatch(t -> t.startsWith("c"))
        .anyMatch(t -> !t.startsWith("c") && !t.startsWith("m"));
  }
}
