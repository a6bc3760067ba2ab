package dev.flotilla.aws;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.ec2.Ec2Client;

/**
 * What Flotilla needs in an empty emulator account to launch nodes: a VPC with a subnet in each zone and a launch
 * template. For local runs and tests only; in AWS the CDK stack owns the network and the template.
 */
public record EmulatorAccount(String vpcId, Map<String, String> subnetByZone, String launchTemplateId) {

  public EmulatorAccount {
    subnetByZone = Map.copyOf(subnetByZone);
  }

  public static EmulatorAccount create(Ec2Client ec2, String name, List<String> zones) {
    String vpc = ec2.createVpc(r -> r.cidrBlock("10.42.0.0/16")).vpc().vpcId();
    Map<String, String> subnets = new LinkedHashMap<>();
    int i = 1;
    for (String zone : zones) {
      String cidr = "10.42." + i++ + ".0/24";
      subnets.put(zone, ec2.createSubnet(r -> r.vpcId(vpc).cidrBlock(cidr).availabilityZone(zone)).subnet()
          .subnetId());
    }
    String template = ec2.createLaunchTemplate(r -> r.launchTemplateName("flotilla-" + name)
        .launchTemplateData(d -> d.imageId("ami-12c6146b"))).launchTemplate().launchTemplateId();
    return new EmulatorAccount(vpc, subnets, template);
  }
}
