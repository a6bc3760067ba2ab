package dev.flotilla.infra;

import java.util.List;
import java.util.Map;
import software.amazon.awscdk.services.eks.CfnPodIdentityAssociation;
import software.amazon.awscdk.services.events.EventBus;
import software.amazon.awscdk.services.iam.FederatedPrincipal;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.sqs.Queue;
import software.constructs.Construct;

/**
 * The forwarder's AWS identity: through IRSA when the cluster's OIDC provider is given, otherwise through EKS Pod
 * Identity (with its association). It may put events on the cluster's bus, consume the command queue, write the
 * node-state and NodePool items of its own cluster, and query its claims (for the NodePools' status): nothing that
 * launches, terminates or changes a claim.
 */
public final class ForwarderIdentity extends Construct {

  private final Role role;

  public ForwarderIdentity(Construct scope, String id, StackSettings settings, EventBus bus, Queue commands,
      LaunchStateTable table) {
    super(scope, id);
    String subject = "system:serviceaccount:" + settings.forwarderNamespace() + ":"
        + settings.forwarderServiceAccount();
    if (settings.oidcProviderArn().isPresent()) {
      String provider = settings.oidcProviderArn().get();
      String issuer = provider.substring(provider.indexOf("oidc-provider/") + "oidc-provider/".length());
      this.role = Role.Builder.create(this, "Role")
          .description("Flotilla forwarder of cluster " + settings.clusterName() + " (IRSA)")
          .assumedBy(new FederatedPrincipal(provider, Map.of("StringEquals", Map.of(issuer + ":sub", subject,
              issuer + ":aud", "sts.amazonaws.com")), "sts:AssumeRoleWithWebIdentity"))
          .build();
    } else {
      this.role = Role.Builder.create(this, "Role")
          .description("Flotilla forwarder of cluster " + settings.clusterName() + " (EKS Pod Identity)")
          .assumedBy(new ServicePrincipal("pods.eks.amazonaws.com"))
          .build();
      role.getAssumeRolePolicy().addStatements(PolicyStatement.Builder.create()
          .principals(List.of(new ServicePrincipal("pods.eks.amazonaws.com")))
          .actions(List.of("sts:TagSession"))
          .build());
      CfnPodIdentityAssociation.Builder.create(this, "PodIdentity")
          .clusterName(settings.clusterName())
          .namespace(settings.forwarderNamespace())
          .serviceAccount(settings.forwarderServiceAccount())
          .roleArn(role.getRoleArn())
          .build();
    }
    role.addToPolicy(PolicyStatement.Builder.create().sid("PutEventsOnTheClusterBus")
        .actions(List.of("events:PutEvents"))
        .resources(List.of(bus.getEventBusArn()))
        .build());
    role.addToPolicy(PolicyStatement.Builder.create().sid("ConsumeCommands")
        .actions(List.of("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
            "sqs:GetQueueAttributes"))
        .resources(List.of(commands.getQueueArn()))
        .build());
    table.grantNodeStateWrites(role, settings.clusterName());
    table.grantClaimReads(role, settings.clusterName());
  }

  public Role role() {
    return role;
  }
}
