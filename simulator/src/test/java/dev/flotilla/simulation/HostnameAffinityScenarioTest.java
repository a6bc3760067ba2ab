package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Log shippers with required pod affinity to cache pods on the hostname, beside web pods: they land only on a cache's
 * node, so the plan puts them there; the four added later find no cache node with room, and no node is launched for
 * them (a new node holds no cache, and kube-scheduler refuses them on it).
 */
class HostnameAffinityScenarioTest {

  private static final String SCENARIO = """
      name: hostname-affinity
      duration: 20m
      manifests:
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: cache, namespace: web}
          spec:
            replicas: 4
            template:
              metadata: {labels: {app: cache}}
              spec:
                containers: [{name: c, image: x, resources: {requests: {cpu: 500m, memory: 6Gi}}}]
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: logger, namespace: web}
          spec:
            replicas: 4
            template:
              metadata: {labels: {app: logger}}
              spec:
                affinity:
                  podAffinity:
                    requiredDuringSchedulingIgnoredDuringExecution:
                      - {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: cache}}}
                containers: [{name: l, image: x, resources: {requests: {cpu: 200m, memory: 256Mi}}}]
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: web, namespace: web}
          spec:
            replicas: 20
            template:
              metadata: {labels: {app: web}}
              spec:
                containers: [{name: w, image: x, resources: {requests: {cpu: "1", memory: 2Gi}}}]
      events:
        - {at: 3m, scale: {workload: web/cache, replicas: 12}}
        - {at: 3m, scale: {workload: web/logger, replicas: 12}}
        - {at: 3m, scale: {workload: web/web, replicas: 60}}
        - {at: 9m, scale: {workload: web/logger, replicas: 16}}
      """;

  @Test
  void followersLandBesideThePodsTheySelectAndNoNodeIsLaunchedForThemAlone() {
    Simulation simulation = new Simulation(Scenario.parse("hostname-affinity.yaml", SCENARIO, Path.of(".")),
        (at, line) -> { });
    SimulationResult r = simulation.run();

    // planned as if free to go anywhere, the loggers got nodes of their own that kube-scheduler never used: one was
    // launched every minute and deleted empty, and eight waited the whole run
    assertThat(r.instancesTerminated()).isZero();
    assertThat(r.instancesLaunched()).isEqualTo(r.nodesAtPeak());
    assertThat(r.podsPendingAtEnd()).isLessThanOrEqualTo(4);
    assertThat(r.pendingSeconds().p50()).isLessThanOrEqualTo(60);
  }
}
