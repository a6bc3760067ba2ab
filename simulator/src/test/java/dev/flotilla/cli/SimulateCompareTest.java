package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code flotilla simulate SCENARIO --compare karpenter}: both autoscalers on one scenario, side by side. */
class SimulateCompareTest {

  // a scale-up then a scale-down: both provision, and both have something to consolidate
  private static final String SCENARIO = """
      name: compare
      duration: 12m
      ec2: {bootSeconds: 30, spotPriceRatio: 0.35}
      manifests:
        - apiVersion: flotilla.dev/v1
          kind: NodePool
          metadata: {name: general}
          spec:
            template:
              spec:
                requirements:
                  - {key: flotilla.dev/capacity-type, operator: In, values: [on-demand]}
                  - {key: flotilla.dev/instance-category, operator: In, values: [c, m]}
            disruption: {consolidationPolicy: WhenEmptyOrUnderutilized, consolidateAfter: 30s}
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: web, namespace: default}
          spec:
            replicas: 30
            template:
              spec:
                containers:
                  - {name: web, image: nginx, resources: {requests: {cpu: 500m, memory: 1Gi}}}
      events:
        - {at: 4m, scale: {workload: default/web, replicas: 4}}
      """;

  @Test
  void jsonHoldsBothRunsWithTheUsualFields(@TempDir Path dir) throws Exception {
    Path scenario = Files.writeString(dir.resolve("compare.yaml"), SCENARIO);
    Path report = dir.resolve("compare.html");

    CommandRun run = CommandRun.of(Map.of(), "simulate", scenario.toString(), "--compare", "karpenter", "-o", "json",
        "--report", report.toString());

    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode both = new ObjectMapper().readTree(run.out());
    assertThat(both.properties()).extracting(Map.Entry::getKey).containsExactly("flotilla", "karpenter");
    for (String name : new String[] {"flotilla", "karpenter"}) {
      JsonNode r = both.get(name);
      assertThat(r.get("pods").asInt()).as(name).isGreaterThanOrEqualTo(30);
      assertThat(r.get("podsRunningAtEnd").asInt()).as(name).isEqualTo(4);
      assertThat(r.get("instancesLaunched").asInt()).as(name).isPositive();
      assertThat(r.get("costUsd").asDouble()).as(name).isPositive();
      assertThat(r.has("pendingSeconds") && r.has("finalPricePerHour") && r.has("finalLowerBoundPerHour")).isTrue();
    }
    // same scenario, same pods at the end: the bound is the same for both
    assertThat(both.get("karpenter").get("finalLowerBoundPerHour").asDouble())
        .isEqualTo(both.get("flotilla").get("finalLowerBoundPerHour").asDouble());
    String html = Files.readString(report);
    assertThat(html).contains("Fleet $/h", "Pending pods", "karpenter $/h", "flotilla $/h");
    // each overlay chart draws one line per run (and the $/h chart the bound)
    assertThat(html.split("<polyline", -1)).hasSize(1 + 3 + 2);
  }

  @Test
  void theTablePutsEachFigureOfBothRunsOnOneLineWithTheirRatio(@TempDir Path dir) throws Exception {
    Path scenario = Files.writeString(dir.resolve("compare.yaml"), SCENARIO);

    CommandRun run = CommandRun.of(Map.of(), "simulate", scenario.toString(), "--compare", "karpenter");

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("karpenter/flotilla").containsPattern("(?m)^\\s+running at end\\s+4\\s+4\\s+1\\.00$")
        .contains("] flotilla provisioner:").contains("] karpenter provisioner:");
  }

  @Test
  void anUnknownAutoscalerIsRefused(@TempDir Path dir) throws Exception {
    Path scenario = Files.writeString(dir.resolve("compare.yaml"), SCENARIO);

    CommandRun run = CommandRun.of(Map.of(), "simulate", scenario.toString(), "--compare", "autopilot");

    assertThat(run.exitCode()).isNotZero();
    assertThat(run.err()).contains("--compare: 'autopilot' is not karpenter");
  }
}
