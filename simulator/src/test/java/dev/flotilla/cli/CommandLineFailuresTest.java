package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testing.TestEvents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every failure of the command line is one line on standard error that says what to fix, with its exit code. */
class CommandLineFailuresTest {

  /** An endpoint nothing answers on: the failures below happen before any call to it. */
  private static final Map<String, String> EMULATOR = Map.of("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
  private static final Map<String, String> CLUSTER = Map.of("AWS_ENDPOINT_URL", "http://127.0.0.1:9",
      "FLOTILLA_CLUSTER", "shop-prod", "FLOTILLA_TABLE", "flotilla");

  @TempDir
  Path dir;

  private static void oneLine(CommandRun run, int exitCode, String... parts) {
    assertThat(run.exitCode()).as(run.err()).isEqualTo(exitCode);
    assertThat(run.err().lines()).as(run.err()).hasSize(1);
    assertThat(run.err()).contains(parts).doesNotContain("\tat ", "Exception");
    assertThat(run.out()).isEmpty();
  }

  private static String event(String relative) {
    return TestEvents.root().resolve(relative).toString();
  }

  @Test
  void anUnknownFunctionNamesTheFunctionsThereAre() {
    CommandRun run = CommandRun.of(EMULATOR, "invoke", "garbage_collector", event("scheduled/garbage-collection.json"));

    oneLine(run, 2, "flotilla invoke: ", "'garbage_collector' is not a function",
        "provisioner, lifecycle, interruption, consolidation, garbage-collector", "see 'flotilla invoke --help'");
  }

  @Test
  void invokeWithoutAnEmulatorSaysHowToStartOne() {
    CommandRun run = CommandRun.of(Map.of(), "invoke", "provisioner", event("forwarder/pods-pending.json"));

    oneLine(run, 2, "AWS_ENDPOINT_URL is not set", "moto_server -p 5000",
        "export AWS_ENDPOINT_URL=http://127.0.0.1:5000");
  }

  @Test
  void aMissingSettingIsNamedWithHowToGiveIt() {
    CommandRun run = CommandRun.of(EMULATOR, "invoke", "provisioner", event("forwarder/pods-pending.json"));

    oneLine(run, 2, "flotilla invoke: FLOTILLA_CLUSTER is not set", "export it, or pass --bootstrap");
  }

  @Test
  void aRejectedEventNamesItsField() throws Exception {
    Path broken = dir.resolve("pods-pending.json");
    Files.writeString(broken, Files.readString(Path.of(event("forwarder/pods-pending.json")))
        .replace("\"detail-type\" : \"Pods Pending\"", "\"detail-type\" : \"Pods Waiting\""));

    CommandRun run = CommandRun.of(CLUSTER, "invoke", "provisioner", broken.toString());

    oneLine(run, 1, "flotilla invoke: ", "detail-type", "Pods Waiting");
  }

  @Test
  void anEventOfAnotherFunctionIsRejectedWithTheKindItExpects() {
    CommandRun run = CommandRun.of(CLUSTER, "invoke", "provisioner", event("forwarder/node-ready.json"));

    oneLine(run, 1, "detail-type", "expected 'Pods Pending'", "got 'Node Ready'");
  }

  @Test
  void aMissingEventFileIsNamed() {
    CommandRun run = CommandRun.of(CLUSTER, "invoke", "provisioner", dir.resolve("none.json").toString());

    oneLine(run, 1, "none.json", "no such file");
  }

  @Test
  void aMissingScenarioIsNamed() {
    CommandRun run = CommandRun.of(Map.of(), "simulate", dir.resolve("none.yaml").toString());

    oneLine(run, 1, "flotilla simulate: scenario ", "none.yaml", "no such file");
  }

  @Test
  void aScenarioWithABadFieldNamesTheField() throws Exception {
    Path scenario = dir.resolve("bad.yaml");
    Files.writeString(scenario, "name: bad\nduration: ten minutes\n");

    CommandRun run = CommandRun.of(Map.of(), "simulate", scenario.toString());

    oneLine(run, 1, "bad.yaml", "duration");
  }

  @Test
  void aMissingManifestIsNamed() {
    CommandRun run = CommandRun.of(Map.of(), "plan", "-f", dir.resolve("none.yaml").toString());

    oneLine(run, 1, "flotilla plan: cannot read ", "none.yaml: no such file");
  }

  @Test
  void aManifestWithABadFieldNamesTheDocumentAndField() throws Exception {
    Path manifest = dir.resolve("web.yaml");
    Files.writeString(manifest, """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 2
          template:
            spec:
              containers:
                - name: web
                  resources: {requests: {cpu: lots}}
        """);

    CommandRun run = CommandRun.of(Map.of(), "plan", "-f", manifest.toString());

    oneLine(run, 1, "Deployment 'web'", "web.yaml", "cpu");
  }

  @Test
  void usageErrorsAreOneLineWithExitTwo() {
    oneLine(CommandRun.of(Map.of(), "plan"), 2, "flotilla plan: give either -f FILE");
    oneLine(CommandRun.of(Map.of(), "simulate", "-o", "xml", "x.yaml"), 2, "--output: 'xml' is not table or json");
    oneLine(CommandRun.of(Map.of(), "sail"), 2, "flotilla: Unmatched argument", "'sail'", "see 'flotilla --help'");
    oneLine(CommandRun.of(Map.of(), "plan", "--spot-ratio", "cheap", "-f", "x.yaml"), 2, "--spot-ratio",
        "'cheap'");
  }

  @Test
  void debugAddsTheStackTrace() {
    CommandRun run = CommandRun.of(Map.of(), true, "simulate", dir.resolve("none.yaml").toString(), "--debug");

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err().lines().findFirst()).hasValueSatisfying(first ->
        assertThat(first).contains("flotilla simulate: ", "no such file"));
    assertThat(run.err()).contains("\tat ", "NoSuchFileException");
  }
}
