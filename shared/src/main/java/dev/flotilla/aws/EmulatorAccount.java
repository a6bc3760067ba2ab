package dev.flotilla.aws;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Subnet;

/**
 * What Flotilla needs in an empty emulator account to launch nodes: a VPC with a subnet in each zone and a launch
 * template. For local runs and tests only; in AWS the CDK stack owns the network and the template.
 */
public record EmulatorAccount(String vpcId, Map<String, String> subnetByZone, String launchTemplateId) {

  private static final String CIDR = "10.42.0.0/16";

  public EmulatorAccount {
    subnetByZone = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(subnetByZone));
  }

  /** A new VPC, subnets and launch template named after {@code name}. */
  public static EmulatorAccount create(Ec2Client ec2, String name, List<String> zones) {
    String vpc = ec2.createVpc(r -> r.cidrBlock(CIDR).tagSpecifications(t -> t.resourceType(ResourceType.VPC)
        .tags(n -> n.key("Name").value(templateName(name))))).vpc().vpcId();
    return complete(ec2, name, vpc, zones);
  }

  /**
   * The VPC, subnets and launch template an earlier call made for {@code name}, completed where parts are missing,
   * or new ones: calling it again reuses what it finds.
   */
  public static EmulatorAccount findOrCreate(Ec2Client ec2, String name, List<String> zones) {
    Optional<String> vpc = ec2.describeVpcs(r -> r.filters(tag("Name", templateName(name)))).vpcs().stream()
        .map(v -> v.vpcId()).sorted().findFirst();
    return vpc.isPresent() ? complete(ec2, name, vpc.get(), zones) : create(ec2, name, zones);
  }

  private static EmulatorAccount complete(Ec2Client ec2, String name, String vpc, List<String> zones) {
    Map<String, String> found = new LinkedHashMap<>();
    for (Subnet s : ec2.describeSubnets(r -> r.filters(Filter.builder().name("vpc-id").values(vpc).build()))
        .subnets()) {
      found.putIfAbsent(s.availabilityZone(), s.subnetId());
    }
    Map<String, String> subnets = new LinkedHashMap<>();
    int i = 1;
    for (String zone : zones) {
      String cidr = "10.42." + i++ + ".0/24";
      subnets.put(zone, found.containsKey(zone) ? found.get(zone)
          : ec2.createSubnet(r -> r.vpcId(vpc).cidrBlock(cidr).availabilityZone(zone)).subnet().subnetId());
    }
    String templateName = templateName(name);
    String template = ec2.describeLaunchTemplates(r -> r.filters(Filter.builder().name("launch-template-name")
            .values(templateName).build())).launchTemplates().stream()
        .filter(t -> t.launchTemplateName().equals(templateName)).map(t -> t.launchTemplateId()).findFirst()
        .orElseGet(() -> ec2.createLaunchTemplate(r -> r.launchTemplateName(templateName)
            .launchTemplateData(d -> d.imageId("ami-12c6146b"))).launchTemplate().launchTemplateId());
    return new EmulatorAccount(vpc, subnets, template);
  }

  private static String templateName(String name) {
    return "flotilla-" + name;
  }

  private static Filter tag(String key, String value) {
    return Filter.builder().name("tag:" + key).values(value).build();
  }
}
