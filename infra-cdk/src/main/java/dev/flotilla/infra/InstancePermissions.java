package dev.flotilla.infra;

import dev.flotilla.aws.Ec2CloudProvider;
import dev.flotilla.model.WellKnownLabels;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.ArnComponents;
import software.amazon.awscdk.ArnFormat;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.iam.IRole;
import software.amazon.awscdk.services.iam.PolicyStatement;

/**
 * What a function may do to EC2 instances, in the manner of Karpenter's controller policy: it may create only
 * resources that carry {@code flotilla.dev/cluster=<name>} from the start, tag only what it created or owns, and
 * terminate only instances with that tag. The code checks the same tag before it acts; IAM is the second lock.
 */
final class InstancePermissions {

  static final String CLUSTER_TAG = WellKnownLabels.CLUSTER;
  /** What a launch creates and tags with the cluster from the start: exactly what the CreateFleet request tags. */
  private static final List<String> TAGGED = Ec2CloudProvider.TAGGED_AT_LAUNCH;
  /**
   * What a launch also creates that an instant fleet's request cannot tag: each instance's network interface and,
   * for spot, its request. They come only with an instance, which must carry the tag, so the lock holds.
   */
  private static final List<String> CREATED_WITH_INSTANCES = List.of("network-interface", "spot-instances-request");

  private final Stack stack;
  private final String cluster;

  InstancePermissions(Stack stack, String cluster) {
    this.stack = stack;
    this.cluster = cluster;
  }

  /** CreateFleet and RunInstances with the cluster's launch template, and the tags they create. */
  List<PolicyStatement> launch(String launchTemplateId, IRole nodeRole, StackSettings settings,
      Collection<String> images) {
    List<String> existing = new ArrayList<>();
    existing.add(arn("launch-template", launchTemplateId));
    settings.subnetByZone().values().stream().sorted().forEach(id -> existing.add(arn("subnet", id)));
    settings.securityGroups().forEach(id -> existing.add(arn("security-group", id)));
    images.forEach(id -> existing.add(publicArn("image", id)));
    // an image's root snapshot is named by the image, not by the stack
    existing.add(publicArn("snapshot", "*"));
    return List.of(
        PolicyStatement.Builder.create().sid("LaunchFromTheClusterTemplate")
            .actions(List.of("ec2:CreateFleet", "ec2:RunInstances"))
            .resources(existing)
            .build(),
        // a node image released after the deploy (the SSM parameter moved on): Amazon's own images only
        PolicyStatement.Builder.create().sid("LaunchReleasedAmazonImages")
            .actions(List.of("ec2:CreateFleet", "ec2:RunInstances"))
            .resources(List.of(publicArn("image", "*")))
            .conditions(Map.of("StringEquals", Map.of("ec2:Owner", "amazon")))
            .build(),
        PolicyStatement.Builder.create().sid("CreateOnlyTaggedResources")
            .actions(List.of("ec2:CreateFleet", "ec2:RunInstances"))
            .resources(TAGGED.stream().map(type -> arn(type, "*")).toList())
            .conditions(Map.of("StringEquals", Map.of("aws:RequestTag/" + CLUSTER_TAG, cluster)))
            .build(),
        PolicyStatement.Builder.create().sid("CreateWhatComesWithTaggedInstances")
            .actions(List.of("ec2:CreateFleet", "ec2:RunInstances"))
            .resources(CREATED_WITH_INSTANCES.stream().map(type -> arn(type, "*")).toList())
            .build(),
        PolicyStatement.Builder.create().sid("TagWhatTheLaunchCreates")
            .actions(List.of("ec2:CreateTags"))
            .resources(TAGGED.stream().map(type -> arn(type, "*")).toList())
            .conditions(Map.of("StringEquals", Map.of("aws:RequestTag/" + CLUSTER_TAG, cluster,
                "ec2:CreateAction", List.of("CreateFleet", "RunInstances"))))
            .build(),
        // one fleet launches instances for several claims: each instance then gets its claim's tag, and only that
        PolicyStatement.Builder.create().sid("TagOwnedInstancesWithTheirClaim")
            .actions(List.of("ec2:CreateTags"))
            .resources(List.of(arn("instance", "*")))
            .conditions(Map.of("StringEquals", Map.of("aws:ResourceTag/" + CLUSTER_TAG, cluster),
                "ForAllValues:StringEquals", Map.of("aws:TagKeys", List.of(WellKnownLabels.CLAIM))))
            .build(),
        PolicyStatement.Builder.create().sid("PassOnlyTheNodeRole")
            .actions(List.of("iam:PassRole"))
            .resources(List.of(nodeRole.getRoleArn()))
            .conditions(Map.of("StringEquals", Map.of("iam:PassedToService", "ec2.amazonaws.com")))
            .build(),
        // the first spot request of an account creates EC2 Spot's service-linked role
        PolicyStatement.Builder.create().sid("SpotServiceLinkedRole")
            .actions(List.of("iam:CreateServiceLinkedRole"))
            .resources(List.of(stack.formatArn(ArnComponents.builder().service("iam").region("")
                .resource("role").resourceName("aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot")
                .arnFormat(ArnFormat.SLASH_RESOURCE_NAME).build())))
            .conditions(Map.of("StringEquals", Map.of("iam:AWSServiceName", "spot.amazonaws.com")))
            .build());
  }

  /** The catalog's live facts: which types a zone offers, and spot prices. Describe calls take no resource. */
  PolicyStatement describeOfferings() {
    return PolicyStatement.Builder.create().sid("DescribeOfferings")
        .actions(List.of("ec2:DescribeInstanceTypes", "ec2:DescribeInstanceTypeOfferings",
            "ec2:DescribeSpotPriceHistory"))
        .resources(List.of("*"))
        .build();
  }

  /**
   * On-demand prices for the catalog from the Price List API. GetProducts names no resource, so IAM takes only "*"
   * for it; it reads public prices and nothing of the account.
   */
  PolicyStatement readPrices() {
    return PolicyStatement.Builder.create().sid("ReadOnDemandPrices")
        .actions(List.of("pricing:GetProducts"))
        .resources(List.of("*"))
        .build();
  }

  PolicyStatement describeInstances() {
    return PolicyStatement.Builder.create().sid("DescribeInstances")
        .actions(List.of("ec2:DescribeInstances"))
        .resources(List.of("*"))
        .build();
  }

  PolicyStatement terminate() {
    return PolicyStatement.Builder.create().sid("TerminateOnlyOwnedInstances")
        .actions(List.of("ec2:TerminateInstances"))
        .resources(List.of(arn("instance", "*")))
        .conditions(Map.of("StringEquals", Map.of("aws:ResourceTag/" + CLUSTER_TAG, cluster)))
        .build();
  }

  /** Reading the node image parameters (AWS's public ones, named by no account): exactly those, read only. */
  PolicyStatement readImageParameters(Collection<String> parameters) {
    return PolicyStatement.Builder.create().sid("ReadNodeImageParameters")
        .actions(List.of("ssm:GetParameter"))
        .resources(parameters.stream().sorted().map(name -> stack.formatArn(ArnComponents.builder().service("ssm")
            .account("").resource("parameter").resourceName(name.substring(1))
            .arnFormat(ArnFormat.SLASH_RESOURCE_NAME).build())).toList())
        .build();
  }

  private String arn(String type, String name) {
    return stack.formatArn(ArnComponents.builder().service("ec2").resource(type).resourceName(name)
        .arnFormat(ArnFormat.SLASH_RESOURCE_NAME).build());
  }

  // images and snapshots belong to no account in their ARN
  private String publicArn(String type, String name) {
    return stack.formatArn(ArnComponents.builder().service("ec2").account("").resource(type).resourceName(name)
        .arnFormat(ArnFormat.SLASH_RESOURCE_NAME).build());
  }
}
