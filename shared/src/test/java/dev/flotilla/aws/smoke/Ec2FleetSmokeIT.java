package dev.flotilla.aws.smoke;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.aws.AwsClients;
import dev.flotilla.testing.AwsIntegrationTest;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.CreateFleetResponse;
import software.amazon.awssdk.services.ec2.model.DefaultTargetCapacityType;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.FleetType;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;

@AwsIntegrationTest
class Ec2FleetSmokeIT {

  @Test
  void instantFleetWithOverridesLaunchesTaggedInstances(AwsClients aws) {
    Ec2Client ec2 = aws.ec2();
    String vpc = ec2.createVpc(r -> r.cidrBlock("10.0.0.0/16")).vpc().vpcId();
    String subnetA = ec2.createSubnet(r -> r.vpcId(vpc).cidrBlock("10.0.1.0/24").availabilityZone("us-east-1a"))
        .subnet().subnetId();
    String subnetB = ec2.createSubnet(r -> r.vpcId(vpc).cidrBlock("10.0.2.0/24").availabilityZone("us-east-1b"))
        .subnet().subnetId();
    String template = ec2.createLaunchTemplate(r -> r.launchTemplateName("flotilla-smoke")
        .launchTemplateData(d -> d.imageId("ami-12c6146b"))).launchTemplate().launchTemplateId();
    List<Tag> tags = List.of(
        Tag.builder().key("flotilla.dev/cluster").value("smoke").build(),
        Tag.builder().key("flotilla.dev/claim").value("claim-1").build());

    CreateFleetResponse fleet = ec2.createFleet(r -> r.type(FleetType.INSTANT)
        .launchTemplateConfigs(c -> c
            .launchTemplateSpecification(s -> s.launchTemplateId(template).version("$Latest"))
            .overrides(
                o -> o.instanceType("m7g.large").subnetId(subnetA),
                o -> o.instanceType("m7g.large").subnetId(subnetB),
                o -> o.instanceType("c7g.xlarge").subnetId(subnetA)))
        .targetCapacitySpecification(t -> t.totalTargetCapacity(2)
            .defaultTargetCapacityType(DefaultTargetCapacityType.ON_DEMAND))
        .onDemandOptions(o -> o.allocationStrategy("lowest-price"))
        .tagSpecifications(t -> t.resourceType(ResourceType.INSTANCE).tags(tags)));

    List<String> launched = fleet.instances().stream().flatMap(i -> i.instanceIds().stream()).toList();
    assertThat(fleet.errors()).isEmpty();
    assertThat(launched).hasSize(2);

    List<Instance> described = ec2.describeInstances(r -> r.filters(
            Filter.builder().name("tag:flotilla.dev/cluster").values("smoke").build()))
        .reservations().stream().flatMap(res -> res.instances().stream()).toList();
    assertThat(described).extracting(Instance::instanceId).containsExactlyInAnyOrderElementsOf(launched);
    assertThat(described).allSatisfy(i -> {
      assertThat(i.tags()).containsAll(tags);
      assertThat(List.of("m7g.large", "c7g.xlarge")).contains(i.instanceTypeAsString());
    });
  }
}
