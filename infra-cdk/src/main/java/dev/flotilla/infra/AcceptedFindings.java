package dev.flotilla.infra;

import io.github.cdklabs.cdknag.NagPackSuppression;
import io.github.cdklabs.cdknag.NagSuppressions;
import io.github.cdklabs.cdknag.RegexAppliesTo;
import java.util.List;
import software.amazon.awscdk.Stack;

/**
 * The cdk-nag findings Flotilla accepts, each narrowed to the exact policy or resource pattern and given the reason
 * it is right for this stack. Anything else cdk-nag finds fails the synth test.
 */
final class AcceptedFindings {

  private AcceptedFindings() {}

  static void applyTo(Stack stack) {
    NagSuppressions.addStackSuppressions(stack, List.of(
        NagPackSuppression.builder().id("AwsSolutions-L1")
            .reason("Flotilla is built for the Java 21 LTS runtime (javac --release 21) and tested on it; a newer"
                + " runtime is adopted by a release that tests SnapStart restores on it")
            .build(),
        NagPackSuppression.builder().id("AwsSolutions-SQS3")
            .reason("These queues are the dead-letter queues of the functions' asynchronous invocations and of"
                + " their EventBridge targets; each has an alarm when not empty, and a DLQ of a DLQ adds nothing")
            .build(),
        NagPackSuppression.builder().id("AwsSolutions-IAM4")
            .reason("The node role needs what EKS documents for worker nodes (kubelet, VPC CNI, image pulls, SSM"
                + " for break-glass access); AWS keeps these policies current as EKS changes")
            .appliesTo(List.of(
                "Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSWorkerNodePolicy",
                "Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKS_CNI_Policy",
                "Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
                "Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore"))
            .build(),
        NagPackSuppression.builder().id("AwsSolutions-IAM5")
            .reason("EC2 Describe calls (instances, instance types, type offerings, spot prices) and the Price"
                + " List's pricing:GetProducts (on-demand prices) support no resource-level permissions; they only"
                + " read, and GetProducts only AWS's public prices")
            .appliesTo(List.of("Resource::*"))
            .build(),
        NagPackSuppression.builder().id("AwsSolutions-IAM5")
            .reason("Claims are found by instance id through the table's one GSI; the index name is fixed by the"
                + " table's layout")
            .appliesTo(List.of(regex("^Resource::<LaunchStateTable[A-Za-z0-9]*\\.Arn>/index/\\*$")))
            .build(),
        NagPackSuppression.builder().id("AwsSolutions-IAM5")
            .reason("Instances, volumes, network interfaces, fleets and spot requests do not exist before the"
                + " launch that creates them; fleets, instances and volumes may be created and tagged only with the"
                + " flotilla.dev/cluster request tag, network interfaces and spot requests only with the instances"
                + " they come with, and instances terminated only with that resource tag")
            .appliesTo(List.of(regex("^Resource::arn:<AWS::Partition>:ec2:[^:]*:<AWS::AccountId>:"
                + "(instance|volume|network-interface|fleet|spot-instances-request)/\\*$")))
            .build(),
        NagPackSuppression.builder().id("AwsSolutions-IAM5")
            .reason("RunInstances names the root snapshot of the image it boots; the images themselves are"
                + " limited to the EKS-optimised ones the stack resolves")
            .appliesTo(List.of(regex("^Resource::arn:<AWS::Partition>:ec2:[^:]*::snapshot/\\*$")))
            .build(),
        NagPackSuppression.builder().id("AwsSolutions-IAM5")
            .reason("A node image released after the deploy has an id no template could name; launching from it is"
                + " allowed only for images Amazon owns (ec2:Owner=amazon), the EKS-optimised ones the node image"
                + " refresh reads from SSM")
            .appliesTo(List.of(regex("^Resource::arn:<AWS::Partition>:ec2:[^:]*::image/\\*$")))
            .build()));
  }

  private static RegexAppliesTo regex(String pattern) {
    return RegexAppliesTo.builder().regex("/" + pattern + "/g").build();
  }
}
