package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A capacity-type spread (DoNotSchedule) beside a zone spread (ScheduleAnyway, which new nodes follow), with a pool of
 * both types that sells no node in us-east-1e and an on-demand pool that does, then a spot reclaim. Each zone's share
 * takes a type its pool sells there, and the pods that replace the reclaimed ones are balanced against those still
 * running.
 */
class CapacitySpreadScenarioTest {

  private static final String SCENARIO = """
      name: capacity-spread
      duration: 30m
      manifests:
        - apiVersion: karpenter.sh/v1
          kind: NodePool
          metadata: {name: both}
          spec:
            weight: 10
            template:
              spec:
                requirements:
                  - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand, spot]}
                  - {key: karpenter.k8s.aws/instance-generation, operator: Gt, values: ["5"]}
        - apiVersion: karpenter.sh/v1
          kind: NodePool
          metadata: {name: ondemand}
          spec:
            weight: 1
            template:
              spec:
                requirements:
                  - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}
                  - {key: kubernetes.io/arch, operator: In, values: [amd64]}
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: api, namespace: web}
          spec:
            replicas: 24
            template:
              metadata: {labels: {app: api}}
              spec:
                topologySpreadConstraints:
                  - {maxSkew: 1, topologyKey: karpenter.sh/capacity-type, whenUnsatisfiable: DoNotSchedule,
                     labelSelector: {matchLabels: {app: api}}}
                  - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway,
                     labelSelector: {matchLabels: {app: api}}}
                containers: [{name: c, image: x, resources: {requests: {cpu: "1", memory: 1Gi}}}]
      events:
        - {at: 2m, scale: {workload: web/api, replicas: 60}}
        - {at: 8m, spotInterruption: {fraction: 0.5}}
      """;

  @Test
  void everyShareLandsAndNoLaunchIsForPodsTheClusterWillNotPlaceThere() {
    Simulation simulation = new Simulation(Scenario.parse("capacity-spread.yaml", SCENARIO, Path.of(".")),
        (at, line) -> { });
    SimulationResult r = simulation.run();

    // pinned to spot in us-east-1e, the zone's share was reported unschedulable ("limits") and nodes were launched
    // for the pods kube-scheduler then placed elsewhere, every 30 s for the whole run: 182 launches for a peak of 70,
    // one pod pending 28 minutes
    assertThat(r.podsPendingAtEnd()).isZero();
    assertThat(r.pendingSeconds().max()).isLessThanOrEqualTo(120);
    assertThat(r.instancesLaunched()).isLessThanOrEqualTo((int) Math.round(1.2 * (r.nodesAtPeak() + r.interruptions())));
  }
}
