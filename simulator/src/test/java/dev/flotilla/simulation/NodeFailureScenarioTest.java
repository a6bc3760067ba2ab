package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A node that stops being Ready keeps its pods bound for the 300 s they tolerate its NoExecute taint; then they are
 * evicted, their controller makes new ones and they run elsewhere, the DaemonSet's pod staying; repair replaces the
 * node at 30 minutes.
 */
class NodeFailureScenarioTest {

  private static final String SCENARIO = """
      name: node-failure
      duration: 60m
      ec2: {bootSeconds: 45}
      manifests:
        - apiVersion: karpenter.sh/v1
          kind: NodePool
          metadata: {name: general}
          spec:
            template:
              spec:
                requirements:
                  - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}
                  - {key: karpenter.k8s.aws/instance-category, operator: In, values: [m]}
            disruption: {consolidationPolicy: WhenEmpty, consolidateAfter: 1m}
        - apiVersion: apps/v1
          kind: DaemonSet
          metadata: {name: agent, namespace: monitoring}
          spec:
            selector: {matchLabels: {app: agent}}
            template:
              metadata: {labels: {app: agent}}
              spec:
                containers:
                  - {name: agent, image: agent, resources: {requests: {cpu: 50m, memory: 64Mi}}}
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: web, namespace: shop}
          spec:
            replicas: 0
            selector: {matchLabels: {app: web}}
            template:
              metadata: {labels: {app: web}}
              spec:
                containers:
                  - {name: web, image: web, resources: {requests: {cpu: "1", memory: 2Gi}}}
      events:
        - {at: 0s, scale: {workload: shop/web, replicas: 6}}
        - {at: 10m, nodeFailure: {count: 1, condition: Ready, status: "False", for: 45m}}
      """;

  private record Line(Duration at, String text) {}

  @Test
  void podsOfAFailedNodeAreEvictedAfterTheirTolerationAndRunElsewhere() {
    List<Line> lines = new ArrayList<>();
    Simulation simulation = new Simulation(Scenario.parse("node-failure.yaml", SCENARIO, Path.of(".")),
        (at, line) -> lines.add(new Line(at, line)));

    SimulationResult result = simulation.run();

    List<Line> evictions = lines.stream().filter(l -> l.text().contains("pod(s) evicted for its")).toList();
    assertThat(evictions).singleElement().satisfies(l -> {
      assertThat(l.at()).as("bound until the 300 s toleration runs out").isEqualTo(Duration.ofMinutes(15));
      assertThat(l.text()).contains("node.kubernetes.io/not-ready").contains("shop/web-")
          .doesNotContain("agent");
    });
    assertThat(result.podsPendingAtEnd()).isZero();
    assertThat(result.disruptions().repaired()).isEqualTo(1);
    assertThat(simulation.staleNodes()).isEmpty();
  }
}
