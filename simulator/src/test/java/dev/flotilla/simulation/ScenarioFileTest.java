package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.cli.FlotillaCommand;
import dev.flotilla.testing.TestEvents;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Scenario files, their errors, and what `flotilla simulate` prints and writes. */
class ScenarioFileTest {

  private static final String SMALL = """
      name: small
      duration: 10m
      ec2: {bootSeconds: 30, spotPriceRatio: 0.4}
      manifests:
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: web, namespace: default}
          spec:
            replicas: 6
            template:
              spec:
                containers:
                  - {name: web, image: nginx, resources: {requests: {cpu: 500m, memory: 1Gi}}}
      events:
        - {at: 5m, scale: {workload: default/web, replicas: 12}}
      """;

  @Test
  void readsInlineManifestsDurationsAndEvents() {
    Scenario s = Scenario.parse("small.yaml", SMALL, Path.of("."));

    assertThat(s.name()).isEqualTo("small");
    assertThat(s.duration()).isEqualTo(Duration.ofMinutes(10));
    assertThat(s.ec2()).isEqualTo(new Scenario.Ec2(30, 0.4));
    assertThat(s.manifests()).singleElement().satisfies(m -> assertThat(m.kind()).isEqualTo("Deployment"));
    assertThat(s.events()).containsExactly(new Scenario.Scale(Duration.ofMinutes(5), "default/web", 12));
  }

  @Test
  void aScenarioRunsAtAnotherSizeWithEveryReplicaCountScaled() {
    String two = SMALL.replace("events:\n", """
          - apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: one, namespace: default}
            spec: {replicas: 1, template: {spec: {containers: [{name: one, image: one}]}}}
        events:
          - {at: 1m, scale: {workload: default/one, replicas: 0}}
        """);
    Scenario s = Scenario.parse("small.yaml", two, Path.of("."));

    Scenario larger = s.withReplicasScaled(1.15);

    assertThat(larger.name()).isEqualTo("small (replicas x1.15)");
    assertThat(larger.manifests()).extracting(m -> m.node().path("spec").path("replicas").asInt())
        .as("6 x 1.15 rounds to 7; a workload of one keeps one").containsExactly(7, 1);
    assertThat(larger.events()).containsExactly(new Scenario.Scale(Duration.ofMinutes(1), "default/one", 0),
        new Scenario.Scale(Duration.ofMinutes(5), "default/web", 14));
    assertThat(s.manifests().getFirst().node().path("spec").path("replicas").asInt()).as("the original as it was")
        .isEqualTo(6);
    assertThat(s.withReplicasScaled(1)).isSameAs(s);
    assertThatThrownBy(() -> s.withReplicasScaled(0)).hasMessageContaining("above 0");
    assertThatThrownBy(() -> s.withReplicasScaled(1e10)).hasMessageContaining("at most 100");
  }

  @Test
  void aJobRunsItsParallelismAndABarePodIsNamedAsNotRun() {
    String withJob = SMALL.replace("events:\n", """
          - apiVersion: batch/v1
            kind: Job
            metadata: {name: crunch, namespace: batch}
            spec:
              parallelism: 4
              template:
                spec:
                  containers: [{name: c, image: c, resources: {requests: {cpu: "1", memory: 1Gi}}}]
          - apiVersion: v1
            kind: Pod
            metadata: {name: debug, namespace: default}
            spec: {containers: [{name: shell, image: busybox}]}
          - apiVersion: policy/v1
            kind: PodDisruptionBudget
            metadata: {name: crunch, namespace: batch}
            spec: {maxUnavailable: 1, selector: {matchLabels: {app: crunch}}}
        events:
        """);
    Scenario s = Scenario.parse("job.yaml", withJob, Path.of("."));

    // a budget is the cluster's, modelled: only the bare Pod is named
    assertThat(s.notRun()).singleElement().asString().startsWith("Pod 'debug'").contains("is not run");
    assertThat(s.withReplicasScaled(1.5).manifests()).filteredOn(m -> m.kind().equals("Job")).singleElement()
        .satisfies(m -> assertThat(m.node().path("spec").path("parallelism").asInt()).isEqualTo(6));
    SimulationResult r = new Simulation(s, (at, line) -> { }).run();
    // the Deployment's 6 then 12 pods and the Job's 4, all running; the bare Pod made none
    assertThat(r.podsRunningAtEnd()).isEqualTo(16);
    assertThat(r.podsPendingAtEnd()).isZero();
  }

  @Test
  void theClusterSaysHowItsControllersScaleDown() {
    Scenario ranked = Scenario.parse("a.yaml", SMALL.replace("ec2:", "cluster: {scaleDown: ReplicaSetRanks}\nec2:"),
        Path.of("."));

    assertThat(Scenario.parse("a.yaml", SMALL, Path.of(".")).cluster().scaleDown())
        .isEqualTo(ScaleDownOrder.Rule.NewestFirst);
    assertThat(ranked.cluster()).isEqualTo(new Scenario.Cluster(dev.flotilla.binding.ScoringProfile.LeastAllocated,
        ScaleDownOrder.Rule.ReplicaSetRanks));
    assertThat(Scenario.parse("a.yaml", SMALL, Path.of(".")).withScaleDown(ScaleDownOrder.Rule.ReplicaSetRanks)
        .cluster()).isEqualTo(ranked.cluster());
    assertThatThrownBy(() -> Scenario.parse("a.yaml", SMALL.replace("ec2:", "cluster: {scaleDown: Oldest}\nec2:"),
        Path.of("."))).hasMessage("a.yaml: cluster.scaleDown: is NewestFirst (the default) or ReplicaSetRanks, got "
        + "'Oldest'");
  }

  @Test
  void eachMistakeIsNamed() {
    assertThatThrownBy(() -> Scenario.parse("a.yaml", SMALL.replace("duration: 10m", "duration: soon"), Path.of(".")))
        .hasMessage("a.yaml: duration: is a duration like 90s, 10m or 1h, got 'soon'");
    assertThatThrownBy(() -> Scenario.parse("a.yaml", SMALL.replace("scale: {workload: default/web, replicas: 12}",
        "explode: {}"), Path.of(".")))
        .hasMessage("a.yaml: events[0]: is one of scale, insufficientCapacity, spotInterruption, nodePoolChange, "
            + "imageRelease, nodeFailure");
    assertThatThrownBy(() -> Scenario.parse("a.yaml", SMALL.replace("at: 5m", "at: 2h"), Path.of(".")))
        .hasMessage("a.yaml: events[0].at: is at or after the scenario's end");
    assertThatThrownBy(() -> Scenario.parse("a.yaml", SMALL.replace("at: 5m", "at: 10m"), Path.of(".")))
        .hasMessage("a.yaml: events[0].at: is at or after the scenario's end");
    assertThatThrownBy(() -> Scenario.parse("a.yaml", SMALL.replace("replicas: 12", "replicas: -1"), Path.of(".")))
        .hasMessageContaining("events[0].scale.replicas");
    assertThatThrownBy(() -> Scenario.parse("a.yaml", SMALL.replace("manifests:\n",
        "manifests:\n  - no-such-file.yaml\n"), Path.of("."))).hasMessageContaining("manifests[0]: file");
    assertThatThrownBy(() -> new Simulation(Scenario.parse("a.yaml", SMALL.replace("default/web, replicas: 12",
        "default/api, replicas: 12"), Path.of(".")), (at, line) -> { }).run())
        .hasMessageContaining("no workload default/api");
  }

  @Test
  void readsTheNodeLifetimeEventsAndNamesEachMistake() {
    String events = SMALL.replace("- {at: 5m, scale: {workload: default/web, replicas: 12}}", """
        - {at: 1m, nodePoolChange: {nodePool: web, set: {spec.template.metadata.labels.team: blue}}}
          - {at: 2m, imageRelease: {arch: arm64}}
          - {at: 3m, nodeFailure: {count: 2, condition: Ready, status: "Unknown", for: 45m}}""");
    Scenario s = Scenario.parse("l.yaml", events, Path.of("."));
    assertThat(s.events()).hasSize(3);
    assertThat(s.events().get(0)).isInstanceOfSatisfying(Scenario.NodePoolChange.class, c -> {
      assertThat(c.nodePool()).isEqualTo("web");
      assertThat(c.set()).containsOnlyKeys("spec.template.metadata.labels.team");
    });
    assertThat(s.events().get(1)).isEqualTo(new Scenario.ImageRelease(Duration.ofMinutes(2), "arm64"));
    assertThat(s.events().get(2)).isEqualTo(new Scenario.NodeFailure(Duration.ofMinutes(3), 2, "Ready", "Unknown",
        Duration.ofMinutes(45)));
    assertThatThrownBy(() -> Scenario.parse("l.yaml", events.replace("arch: arm64", "arch: riscv"), Path.of(".")))
        .hasMessageContaining("events[1].imageRelease.arch");
    assertThatThrownBy(() -> Scenario.parse("l.yaml", events.replace("\"Unknown\"", "\"Maybe\""), Path.of(".")))
        .hasMessageContaining("events[2].nodeFailure.status");
    assertThatThrownBy(() -> Scenario.parse("l.yaml", events.replace("count: 2", "count: 0"), Path.of(".")))
        .hasMessageContaining("events[2].nodeFailure.count");
    assertThatThrownBy(() -> Scenario.parse("l.yaml", events.replace("for: 45m", "for: ages"), Path.of(".")))
        .hasMessageContaining("events[2].nodeFailure.for");
    assertThatThrownBy(() -> Scenario.parse("l.yaml", events.replace("spec.template.metadata.labels.team",
        "metadata.name"), Path.of("."))).hasMessageContaining("events[0].nodePoolChange.set.metadata.name");
  }

  @Test
  void theCommandRunsAScenarioAtAnotherSize(@TempDir Path dir) throws Exception {
    Path scenario = Files.writeString(dir.resolve("small.yaml"), SMALL);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int code;
    int refused;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      code = new CommandLine(new FlotillaCommand()).execute("simulate", scenario.toString(), "-o", "json",
          "--replicas-factor", "0.5");
      refused = new CommandLine(new FlotillaCommand()).execute("simulate", scenario.toString(),
          "--replicas-factor", "0");
    } finally {
      System.setOut(original);
    }

    assertThat(code).isZero();
    String json = out.toString(StandardCharsets.UTF_8);
    assertThat(new ObjectMapper().readTree(json.substring(0, json.lastIndexOf('}') + 1)).path("pods").asInt())
        .as("6 then 12 replicas, halved").isEqualTo(6);
    assertThat(refused).isNotZero();
  }

  @Test
  void jsonOutputHasExactlyTheDocumentedFields(@TempDir Path dir) throws Exception {
    Path scenario = Files.writeString(dir.resolve("small.yaml"), SMALL);
    Path report = dir.resolve("report.html");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int code;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      code = new CommandLine(new FlotillaCommand()).execute("simulate", scenario.toString(), "-o", "json",
          "--report", report.toString());
    } finally {
      System.setOut(original);
    }

    assertThat(code).isZero();
    JsonNode json = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
    List<String> fields = new ArrayList<>();
    json.fieldNames().forEachRemaining(fields::add);
    assertThat(fields).containsExactly("pods", "podsRunningAtEnd", "podsPendingAtEnd", "pendingSeconds",
        "instancesLaunched", "instancesTerminated", "doubleLaunches", "costUsd", "finalPricePerHour",
        "finalLowerBoundPerHour", "finalPlanPerHour", "interruptions", "consolidationActions", "nodesAtPeak",
        "podsSecondRound",
        "consolidationRelaunches", "podsNominated", "binder", "disruptions", "budgetViolations",
        "simulatedSeconds", "wallMillis", "faultsInjected", "invariantViolations", "prices");
    List<String> disruptions = new ArrayList<>();
    json.path("disruptions").fieldNames().forEachRemaining(disruptions::add);
    assertThat(disruptions).containsExactly("drifted", "expired", "repaired");
    assertThat(json.path("faultsInjected").isEmpty()).as("no faults without a faults block").isTrue();
    assertThat(json.path("invariantViolations").isArray()).isTrue();
    List<String> pending = new ArrayList<>();
    json.path("pendingSeconds").fieldNames().forEachRemaining(pending::add);
    assertThat(pending).containsExactly("p50", "p99", "max");
    assertThat(json.path("pods").asInt()).isEqualTo(12);
    assertThat(json.path("podsRunningAtEnd").asInt()).isEqualTo(12);
    assertThat(json.path("simulatedSeconds").asLong()).isEqualTo(600);

    String html = Files.readString(report);
    assertThat(html.split("<svg", -1)).hasSize(4);
    assertThat(html).contains("Pending pods", "Nodes by capacity type", "Fleet $/h against the bound",
        "provisioner: ").doesNotContain("<script", "src=\"http", "href=\"http");
  }

  @Test
  void theShippedScenariosAllRead() throws Exception {
    try (var files = Files.list(TestEvents.root().resolve("scenarios"))) {
      assertThat(files.filter(f -> f.toString().endsWith(".yaml")).map(Scenario::read).map(Scenario::name))
          .contains("burst-from-zero", "diurnal", "spot-interruption-storm", "insufficient-capacity",
              "gpu-training", "scale-down", "fleet-500", "multi-pool", "constraint-mix", "pools-and-preferences",
              "team-pools");
    }
  }
}
