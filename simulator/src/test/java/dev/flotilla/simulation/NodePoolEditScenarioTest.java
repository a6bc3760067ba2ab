package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A NodePool edited in the cluster mid-run reaches the functions the way it does in AWS: the forwarder stores the
 * changed pool in the table and the provisioner's next plan reads it from there (the pools the functions were
 * configured with stay as they were at the start, the seed).
 */
class NodePoolEditScenarioTest {

  private static final String SCENARIO = """
      name: nodepool-edit
      duration: 30m
      ec2: {bootSeconds: 45, spotPriceRatio: 0.35}
      manifests:
        - apiVersion: flotilla.dev/v1
          kind: NodePool
          metadata: {name: general}
          spec:
            template:
              metadata:
                labels: {team: green}
              spec:
                requirements:
                  - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand]}
                  - {key: karpenter.k8s.aws/instance-category, operator: In, values: [c, m]}
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: web, namespace: shop}
          spec:
            replicas: 0
            template:
              metadata:
                labels: {app: web}
              spec:
                nodeSelector: {team: blue}
                containers:
                  - name: web
                    resources: {requests: {cpu: 500m, memory: 1Gi}}
      events:
        - {at: 0s, scale: {workload: shop/web, replicas: 6}}
        - {at: 10m, nodePoolChange: {nodePool: general, set: {spec.template.metadata.labels.team: blue}}}
      """;

  @Test
  void podsNoPoolCouldTakeAreLaunchedForOnceTheEditedPoolTakesThem(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("nodepool-edit.yaml"), SCENARIO);
    Simulation simulation = new Simulation(Scenario.read(file), (at, line) -> { });
    SimulationResult result = simulation.run();

    // before the edit no pool offers team=blue: nothing is launched and the pods wait
    assertThat(simulation.decisions()).filteredOn(d -> d.second() < 600)
        .anyMatch(d -> d.text().startsWith("provisioner:") && d.text().contains("unschedulable"))
        .noneMatch(d -> d.text().matches("provisioner: .* launched [1-9].*"));
    // after it the next plan launches for them, and every pod runs
    assertThat(result.instancesLaunched()).isPositive();
    assertThat(result.podsPendingAtEnd()).isZero();
    assertThat(result.podsRunningAtEnd()).isEqualTo(6);
    assertThat(result.pendingSeconds().max()).isGreaterThanOrEqualTo(600);
  }
}
