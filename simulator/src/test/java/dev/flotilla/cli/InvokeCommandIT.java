package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.testing.AwsIntegrationTest;
import dev.flotilla.testing.TestEvents;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code flotilla invoke} as the README shows it, against the AWS emulator. */
@AwsIntegrationTest
class InvokeCommandIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern EXPORT = Pattern.compile("(FLOTILLA_[A-Z_]+)=(\\S+)");

  private static String event(String relative) {
    return TestEvents.root().resolve(relative).toString();
  }

  private static JsonNode answer(CommandRun run) throws Exception {
    assertThat(run.exitCode()).as(run.err()).isZero();
    return JSON.readTree(run.out());
  }

  /** The settings a bootstrapping call says to export. */
  private static Map<String, String> exported(CommandRun run) {
    Map<String, String> env = new HashMap<>();
    Matcher m = EXPORT.matcher(run.err());
    while (m.find()) {
      env.put(m.group(1), m.group(2));
    }
    return env;
  }

  @Test
  void everyFunctionTheStackDeploysCanBeInvoked(URI endpoint) throws Exception {
    Map<String, String> env = Map.of("AWS_ENDPOINT_URL", endpoint.toString());
    String[][] calls = {
        {"provisioner", "forwarder/pods-pending.json"},
        {"lifecycle", "forwarder/node-registered.json"},
        {"interruption", "interruption/spot-interruption-warning.json"},
        {"consolidation", "scheduled/consolidation.json"},
        {"garbage-collector", "scheduled/garbage-collection.json"}};
    for (String[] call : calls) {
      JsonNode answer = answer(CommandRun.of(env, "invoke", call[0], event(call[1]), "--bootstrap"));
      assertThat(answer.path("eventId").asText()).as(call[0]).isNotBlank();
    }
  }

  @Test
  void bootstrapReusesWhatItMadeAndAReDeliveredEventLaunchesNothing(URI endpoint) throws Exception {
    Map<String, String> env = Map.of("AWS_ENDPOINT_URL", endpoint.toString());
    String pending = event("forwarder/pods-pending.json");

    CommandRun first = CommandRun.of(env, "invoke", "provisioner", pending, "--bootstrap");
    CommandRun again = CommandRun.of(env, "invoke", "provisioner", pending, "--bootstrap");

    assertThat(exported(again)).isEqualTo(exported(first)).containsKeys("FLOTILLA_CLUSTER", "FLOTILLA_TABLE",
        "FLOTILLA_LAUNCH_TEMPLATE_ID", "FLOTILLA_SUBNETS", "FLOTILLA_COMMAND_QUEUE_URL");
    JsonNode launched = answer(first);
    assertThat(launched.path("instances")).isNotEmpty();
    JsonNode redelivered = answer(again);
    assertThat(redelivered.path("instances")).isEmpty();
    assertThat(redelivered.path("podsAlreadyReserved").asInt()).isEqualTo(launched.path("podsReceived").asInt())
        .isPositive();
  }

  @Test
  void withoutBootstrapTheEnvironmentNamesTheResources(URI endpoint) throws Exception {
    Map<String, String> env = new HashMap<>(Map.of("AWS_ENDPOINT_URL", endpoint.toString()));
    env.putAll(exported(CommandRun.of(env, "invoke", "garbage-collector", event("scheduled/garbage-collection.json"),
        "--bootstrap")));

    CommandRun run = CommandRun.of(env, "invoke", "provisioner", event("forwarder/pods-pending.json"));

    assertThat(run.err()).isEmpty();
    assertThat(answer(run).path("instances")).isNotEmpty();
  }
}
