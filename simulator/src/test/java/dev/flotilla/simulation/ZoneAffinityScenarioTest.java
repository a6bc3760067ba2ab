package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * API pods with required zone affinity to a database that is scaled to zero for a while: kube-scheduler places them
 * nowhere until it runs again, so they are reported meanwhile and no node is launched for them; once it is back they
 * follow it into its zone.
 */
class ZoneAffinityScenarioTest {

  private static final String SCENARIO = """
      name: zone-affinity-to-nobody
      duration: 20m
      manifests:
        - apiVersion: apps/v1
          kind: StatefulSet
          metadata: {name: db, namespace: app}
          spec:
            replicas: 1
            template:
              metadata: {labels: {app: db}}
              spec:
                containers: [{name: d, image: x, resources: {requests: {cpu: "2", memory: 8Gi}}}]
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: api, namespace: app}
          spec:
            replicas: 10
            template:
              metadata: {labels: {app: api}}
              spec:
                affinity:
                  podAffinity:
                    requiredDuringSchedulingIgnoredDuringExecution:
                      - {topologyKey: topology.kubernetes.io/zone, labelSelector: {matchLabels: {app: db}}}
                containers: [{name: a, image: x, resources: {requests: {cpu: "1", memory: 2Gi}}}]
      events:
        - {at: 3m, scale: {workload: app/db, replicas: 0}}
        - {at: 4m, scale: {workload: app/api, replicas: 30}}
        - {at: 10m, scale: {workload: app/db, replicas: 1}}
      """;

  @Test
  void podsThatFollowNobodyWaitWithoutANodeAndFollowOnceTheLeaderIsBack() {
    Simulation simulation = new Simulation(Scenario.parse("zone-affinity-to-nobody.yaml", SCENARIO, Path.of(".")),
        (at, line) -> { });
    SimulationResult r = simulation.run();

    // planned as if free to go anywhere, the twenty new pods got nodes every minute that were deleted empty
    assertThat(r.instancesTerminated()).isZero();
    assertThat(r.podsPendingAtEnd()).isZero();
    assertThat(r.podsRunningAtEnd()).isEqualTo(31);
  }
}
