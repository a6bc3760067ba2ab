package dev.flotilla.infra;

import dev.flotilla.model.Taint;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.ec2.BlockDevice;
import software.amazon.awscdk.services.ec2.BlockDeviceVolume;
import software.amazon.awscdk.services.ec2.EbsDeviceOptions;
import software.amazon.awscdk.services.ec2.EbsDeviceVolumeType;
import software.amazon.awscdk.services.ec2.LaunchTemplate;
import software.amazon.awscdk.services.ec2.LaunchTemplateHttpTokens;
import software.amazon.awscdk.services.ec2.MachineImage;
import software.amazon.awscdk.services.ec2.SecurityGroup;
import software.amazon.awscdk.services.ec2.UserData;
import software.amazon.awscdk.services.eks.CfnAccessEntry;
import software.amazon.awscdk.services.iam.ManagedPolicy;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.ssm.ParameterValueType;
import software.amazon.awscdk.services.ssm.StringParameter;
import software.constructs.Construct;

/**
 * What a Flotilla node boots with: the node role and its instance profile, an EKS access entry that lets the role
 * join the cluster, and a launch template with the EKS-optimised AL2023 image, IMDSv2 only, an encrypted gp3 root
 * volume and nodeadm user data. CreateFleet overrides the image per architecture (the functions'
 * {@code FLOTILLA_IMAGE_AMD64} and {@code FLOTILLA_IMAGE_ARM64}), so one template serves both.
 */
public final class NodeTemplate extends Construct {

  private final Role role;
  private final LaunchTemplate launchTemplate;
  private final Map<String, String> imageByArch;

  public NodeTemplate(Construct scope, String id, StackSettings settings) {
    super(scope, id);
    this.role = Role.Builder.create(this, "Role")
        .assumedBy(new ServicePrincipal("ec2.amazonaws.com"))
        .description("Flotilla nodes of cluster " + settings.clusterName())
        .managedPolicies(List.of(
            ManagedPolicy.fromAwsManagedPolicyName("AmazonEKSWorkerNodePolicy"),
            ManagedPolicy.fromAwsManagedPolicyName("AmazonEKS_CNI_Policy"),
            ManagedPolicy.fromAwsManagedPolicyName("AmazonEC2ContainerRegistryPullOnly"),
            ManagedPolicy.fromAwsManagedPolicyName("AmazonSSMManagedInstanceCore")))
        .build();
    CfnAccessEntry.Builder.create(this, "AccessEntry")
        .clusterName(settings.clusterName())
        .principalArn(role.getRoleArn())
        .type("EC2_LINUX")
        .build();
    // resolved when the stack deploys (typed, so CloudFormation checks it is an image): a deploy picks up newer images
    this.imageByArch = Map.of(
        "amd64", StringParameter.valueForTypedStringParameterV2(this, imageParameter(settings, "x86_64"),
            ParameterValueType.AWS_EC2_IMAGE_ID),
        "arm64", StringParameter.valueForTypedStringParameterV2(this, imageParameter(settings, "arm64"),
            ParameterValueType.AWS_EC2_IMAGE_ID));
    this.launchTemplate = LaunchTemplate.Builder.create(this, "LaunchTemplate")
        .launchTemplateName("flotilla-" + settings.clusterName())
        .machineImage(MachineImage.genericLinux(Map.of(Stack.of(this).getRegion(), imageByArch.get("amd64"))))
        .userData(UserData.custom(nodeConfig(settings)))
        .role(role)
        .securityGroup(SecurityGroup.fromSecurityGroupId(this, "ClusterSecurityGroup",
            settings.securityGroups().getFirst()))
        .requireImdsv2(true)
        .httpTokens(LaunchTemplateHttpTokens.REQUIRED)
        // pods cannot reach the instance's credentials: they use IRSA or Pod Identity
        .httpPutResponseHopLimit(1)
        .blockDevices(List.of(BlockDevice.builder().deviceName("/dev/xvda")
            .volume(BlockDeviceVolume.ebs(20, EbsDeviceOptions.builder().encrypted(true)
                .volumeType(EbsDeviceVolumeType.GP3).deleteOnTermination(true).build()))
            .build()))
        .build();
    for (int i = 1; i < settings.securityGroups().size(); i++) {
      launchTemplate.addSecurityGroup(SecurityGroup.fromSecurityGroupId(this, "SecurityGroup" + i,
          settings.securityGroups().get(i)));
    }
  }

  /** The public SSM parameter AWS keeps pointing at the recommended EKS AL2023 image. */
  static String imageParameter(StackSettings settings, String arch) {
    return "/aws/service/eks/optimized-ami/" + settings.kubernetesVersion() + "/amazon-linux-2023/" + arch
        + "/standard/recommended/image_id";
  }

  /**
   * nodeadm's NodeConfig in the MIME multi-part form AL2023 reads. The kubelet registers the node with Flotilla's
   * startup taint, so that kube-scheduler places nothing there before the pods planned for it are nominated to it.
   * The forwarder lifts the taint when the node's Nominate command reaches it: the lifecycle sends one for every
   * Flotilla node that becomes Ready, naming no pods when its claim planned none, and again on a Ready delivered twice;
   * the garbage collector sends it again for a node still tainted a minute after it was Ready.
   */
  static String nodeConfig(StackSettings settings) {
    return """
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="FLOTILLA"

        --FLOTILLA
        Content-Type: application/node.eks.aws

        ---
        apiVersion: node.eks.aws/v1alpha1
        kind: NodeConfig
        spec:
          cluster:
            name: %s
            apiServerEndpoint: %s
            certificateAuthority: %s
            cidr: %s
          kubelet:
            flags:
              - --register-with-taints=%s

        --FLOTILLA--
        """.formatted(settings.clusterName(), settings.clusterEndpoint(), settings.certificateAuthority(),
        settings.serviceCidr(), Taint.INITIALIZING);
  }

  public Role role() {
    return role;
  }

  public LaunchTemplate launchTemplate() {
    return launchTemplate;
  }

  public Map<String, String> imageByArch() {
    return imageByArch;
  }
}
