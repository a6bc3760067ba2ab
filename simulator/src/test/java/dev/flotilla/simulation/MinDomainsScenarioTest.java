package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A zone spread with minDomains 3 on a NodePool that sells two zones: kube-scheduler weighs each zone against zero,
 * so each runs maxSkew pods and the rest wait, reported; no node is launched for pods it would never place there.
 */
class MinDomainsScenarioTest {

  private static final String SCENARIO = """
      name: min-domains
      duration: 15m
      manifests:
        - apiVersion: karpenter.sh/v1
          kind: NodePool
          metadata: {name: two-zones}
          spec:
            template:
              spec:
                requirements:
                  - {key: topology.kubernetes.io/zone, operator: In, values: [us-east-1a, us-east-1b]}
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: quorum, namespace: data}
          spec:
            replicas: 8
            template:
              metadata: {labels: {app: quorum}}
              spec:
                topologySpreadConstraints:
                  - {maxSkew: 2, minDomains: 3, topologyKey: topology.kubernetes.io/zone,
                     whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: quorum}}}
                containers: [{name: q, image: x, resources: {requests: {cpu: "1", memory: 2Gi}}}]
      """;

  @Test
  void podsOverMaxSkewPerZoneWaitWithoutANode() {
    SimulationResult r = new Simulation(Scenario.parse("min-domains.yaml", SCENARIO, Path.of(".")),
        (at, line) -> { }).run();

    assertThat(r.podsRunningAtEnd()).isEqualTo(4);
    assertThat(r.podsPendingAtEnd()).isEqualTo(4);
    assertThat(r.instancesTerminated()).isZero();
    assertThat(r.instancesLaunched()).isEqualTo(r.nodesAtPeak());
  }
}
