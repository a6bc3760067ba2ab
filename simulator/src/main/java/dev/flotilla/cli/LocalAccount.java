package dev.flotilla.cli;

import dev.flotilla.aws.AwsClients;
import dev.flotilla.aws.ClaimTable;
import dev.flotilla.functions.FunctionConfig;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.ec2.Ec2Client;

/**
 * What the functions need in an emulator, made on request: the claim table, a VPC with a subnet in three zones, a
 * launch template. Local runs only; in AWS the CDK stack owns all of it.
 */
final class LocalAccount {

  static final List<String> ZONES = List.of("us-east-1a", "us-east-1b", "us-east-1c");

  private LocalAccount() {}

  static FunctionConfig bootstrap(AwsClients aws, String cluster, String table) {
    ClaimTable.createIfMissing(aws.dynamo(), table);
    Ec2Client ec2 = aws.ec2();
    String vpc = ec2.createVpc(r -> r.cidrBlock("10.42.0.0/16")).vpc().vpcId();
    Map<String, String> subnets = new LinkedHashMap<>();
    int i = 1;
    for (String zone : ZONES) {
      String cidr = "10.42." + i++ + ".0/24";
      subnets.put(zone, ec2.createSubnet(r -> r.vpcId(vpc).cidrBlock(cidr).availabilityZone(zone)).subnet()
          .subnetId());
    }
    String template = ec2.createLaunchTemplate(r -> r.launchTemplateName("flotilla-" + cluster + "-"
        + Long.toHexString(System.nanoTime())).launchTemplateData(d -> d.imageId("ami-12c6146b")))
        .launchTemplate().launchTemplateId();
    return new FunctionConfig(cluster, table, template, subnets, List.of(), Duration.ofMinutes(15),
        Duration.ofMinutes(2));
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
    return env;
  }
}
