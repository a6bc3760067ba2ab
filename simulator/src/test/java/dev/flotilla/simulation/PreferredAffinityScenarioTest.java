package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Web pods that prefer arm64, whose arm pool (the heaviest) reaches its limit: the rest go to the amd64 pool, as
 * Karpenter relaxes a preference it cannot meet and kube-scheduler only scores it. Worker pods that require arm64 wait
 * for the arm pool, reported with its limit.
 */
class PreferredAffinityScenarioTest {

  private static final String SCENARIO = """
      name: preferred-affinity
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
                  - {key: karpenter.k8s.aws/instance-category, operator: In, values: [c, m, r]}
            limits: {cpu: "32"}
        - apiVersion: karpenter.sh/v1
          kind: NodePool
          metadata: {name: general}
          spec:
            weight: 10
            template:
              spec:
                requirements:
                  - {key: kubernetes.io/arch, operator: In, values: [amd64]}
                  - {key: karpenter.k8s.aws/instance-category, operator: In, values: [c, m, r]}
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: web, namespace: shop}
          spec:
            replicas: 20
            template:
              metadata: {labels: {app: web}}
              spec:
                affinity:
                  nodeAffinity:
                    preferredDuringSchedulingIgnoredDuringExecution:
                      - weight: 50
                        preference: {matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [arm64]}]}
                containers: [{name: w, image: x, resources: {requests: {cpu: "1", memory: 2Gi}}}]
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: worker, namespace: batch}
          spec:
            replicas: 4
            template:
              metadata: {labels: {app: worker}}
              spec:
                nodeSelector: {kubernetes.io/arch: arm64}
                containers: [{name: w, image: x, resources: {requests: {cpu: "2", memory: 2Gi}}}]
      events:
        - {at: 3m, scale: {workload: shop/web, replicas: 80}}
      """;

  @Test
  void podsThatOnlyPreferAFullPoolGoToTheNextPool() {
    Simulation simulation = new Simulation(Scenario.parse("preferred-affinity.yaml", SCENARIO, Path.of(".")),
        (at, line) -> { });
    SimulationResult r = simulation.run();

    // with the preference held as a requirement, the 60 web pods over the arm pool's limit waited the whole run
    assertThat(r.podsPendingAtEnd()).isZero();
    assertThat(r.pendingSeconds().max()).isLessThanOrEqualTo(120);
  }
}
