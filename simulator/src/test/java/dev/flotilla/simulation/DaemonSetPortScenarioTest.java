package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A deployment that binds the host port a DaemonSet binds on every node can run nowhere: kube-scheduler refuses it on
 * each node. It is reported, and no node is launched for it.
 */
class DaemonSetPortScenarioTest {

  private static final String SCENARIO = """
      name: daemonset-port
      duration: 15m
      manifests:
        - apiVersion: apps/v1
          kind: DaemonSet
          metadata: {name: proxy, namespace: kube-system}
          spec:
            template:
              metadata: {labels: {app: proxy}}
              spec:
                containers: [{name: p, image: x, ports: [{containerPort: 9100, hostPort: 9100}],
                  resources: {requests: {cpu: 100m, memory: 100Mi}}}]
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: exporter, namespace: app}
          spec:
            replicas: 5
            template:
              metadata: {labels: {app: exporter}}
              spec:
                containers: [{name: e, image: x, ports: [{containerPort: 9100, hostPort: 9100}],
                  resources: {requests: {cpu: 50m, memory: 64Mi}}}]
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: web, namespace: app}
          spec:
            replicas: 20
            template:
              metadata: {labels: {app: web}}
              spec:
                containers: [{name: w, image: x, resources: {requests: {cpu: "1", memory: 2Gi}}}]
      """;

  @Test
  void podsThatNeedADaemonSetsPortGetNoNode() {
    Simulation simulation = new Simulation(Scenario.parse("daemonset-port.yaml", SCENARIO, Path.of(".")),
        (at, line) -> { });
    SimulationResult r = simulation.run();

    // planned as if the port were free, the exporters got five nodes a minute, each deleted empty the minute after
    assertThat(r.instancesTerminated()).isZero();
    assertThat(r.instancesLaunched()).isEqualTo(r.nodesAtPeak());
    assertThat(r.podsPendingAtEnd()).isEqualTo(5);
    assertThat(r.podsRunningAtEnd()).isEqualTo(20);
  }
}
