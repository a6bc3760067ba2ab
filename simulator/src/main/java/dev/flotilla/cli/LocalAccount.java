package dev.flotilla.cli;

import dev.flotilla.aws.AwsClients;
import dev.flotilla.aws.ClaimTable;
import dev.flotilla.functions.FunctionConfig;
import java.time.Duration;
import dev.flotilla.aws.EmulatorAccount;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the functions need in an emulator, made on request: the claim table, a VPC with a subnet in three zones, a
 * launch template. Local runs only; in AWS the CDK stack owns all of it.
 */
final class LocalAccount {

  static final List<String> ZONES = List.of("us-east-1a", "us-east-1b", "us-east-1c");

  private LocalAccount() {}

  /** The endpoint in AWS_ENDPOINT_URL, or empty when none is set. */
  static java.util.Optional<String> endpoint() {
    return endpoint(System.getenv());
  }

  /** The endpoint {@code env} names in AWS_ENDPOINT_URL, or empty when none is set. */
  static java.util.Optional<String> endpoint(Map<String, String> env) {
    return java.util.Optional.ofNullable(env.get("AWS_ENDPOINT_URL")).filter(e -> !e.isBlank());
  }

  /** Clients for an emulator at {@code endpoint}, with the dummy credentials emulators accept. */
  static AwsClients clients(String endpoint) {
    return new AwsClients(AwsClients.Settings.emulator(java.net.URI.create(endpoint),
        software.amazon.awssdk.regions.Region.US_EAST_1));
  }

  /**
   * The claim table, network, launch template and command queue for {@code cluster}: made where missing, reused
   * where an earlier call made them, so that it can be asked for on every call.
   */
  static FunctionConfig bootstrap(AwsClients aws, String cluster, String table) {
    ClaimTable.createIfMissing(aws.dynamo(), table);
    EmulatorAccount account = EmulatorAccount.findOrCreate(aws.ec2(), cluster, ZONES);
    String queue = aws.sqs().createQueue(r -> r.queueName("flotilla-" + cluster + "-commands")).queueUrl();
    return new FunctionConfig(cluster, table, account.launchTemplateId(), account.subnetByZone(), List.of(),
        Duration.ofMinutes(15), Duration.ofMinutes(2)).withCommandQueue(queue);
  }

  /** The environment a function would get for this configuration. */
  static Map<String, String> environment(FunctionConfig config, String endpoint) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("AWS_ENDPOINT_URL", endpoint);
    env.put("AWS_REGION", "us-east-1");
    env.put("AWS_ACCESS_KEY_ID", "testing");
    env.put("AWS_SECRET_ACCESS_KEY", "testing");
    env.put("FLOTILLA_CLUSTER", config.cluster());
    env.put("FLOTILLA_TABLE", config.table());
    env.put("FLOTILLA_LAUNCH_TEMPLATE_ID", config.launchTemplateId());
    StringBuilder subnets = new StringBuilder();
    config.subnets().forEach((z, s) -> subnets.append(subnets.isEmpty() ? "" : ",").append(z).append('=').append(s));
    env.put("FLOTILLA_SUBNETS", subnets.toString());
    if (!config.commandQueueUrl().isBlank()) {
      env.put("FLOTILLA_COMMAND_QUEUE_URL", config.commandQueueUrl());
    }
    return env;
  }
}
