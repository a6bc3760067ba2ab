package dev.flotilla.infra;

import dev.flotilla.aws.ClaimTable;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.dynamodb.Attribute;
import software.amazon.awscdk.services.dynamodb.AttributeType;
import software.amazon.awscdk.services.dynamodb.BillingMode;
import software.amazon.awscdk.services.dynamodb.GlobalSecondaryIndexProps;
import software.amazon.awscdk.services.dynamodb.PointInTimeRecoverySpecification;
import software.amazon.awscdk.services.dynamodb.ProjectionType;
import software.amazon.awscdk.services.dynamodb.Table;
import software.amazon.awscdk.services.dynamodb.TableEncryption;
import software.amazon.awscdk.services.iam.IGrantable;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.constructs.Construct;

/**
 * The in-flight launch state: claims, pod reservations, unavailable offerings and the node-state mirror, laid out as
 * {@link ClaimTable} says. On-demand capacity because the load follows the cluster's bursts.
 */
public final class LaunchStateTable extends Construct {

  /** What the functions do to items; no Scan, no table administration. */
  static final List<String> ITEM_ACTIONS = List.of("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
      "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem");

  private final Table table;

  public LaunchStateTable(Construct scope, String id, String cluster) {
    super(scope, id);
    this.table = Table.Builder.create(this, "Table")
        .tableName("flotilla-" + cluster)
        .partitionKey(Attribute.builder().name(ClaimTable.PK).type(AttributeType.STRING).build())
        .sortKey(Attribute.builder().name(ClaimTable.SK).type(AttributeType.STRING).build())
        .billingMode(BillingMode.PAY_PER_REQUEST)
        .timeToLiveAttribute(ClaimTable.EXPIRES_AT)
        .pointInTimeRecoverySpecification(PointInTimeRecoverySpecification.builder()
            .pointInTimeRecoveryEnabled(true).build())
        .encryption(TableEncryption.AWS_MANAGED)
        // launch state outlives a stack update gone wrong; `cdk destroy` leaves it for the operator to delete
        .removalPolicy(RemovalPolicy.RETAIN)
        .build();
    table.addGlobalSecondaryIndex(GlobalSecondaryIndexProps.builder()
        .indexName(ClaimTable.INSTANCE_INDEX)
        .partitionKey(Attribute.builder().name(ClaimTable.INSTANCE_ID).type(AttributeType.STRING).build())
        .projectionType(ProjectionType.ALL)
        .build());
  }

  public Table table() {
    return table;
  }

  /** Item reads and writes on the table and its index, for a function. */
  void grantItems(IGrantable grantee) {
    grantee.getGrantPrincipal().addToPrincipalPolicy(PolicyStatement.Builder.create()
        .actions(ITEM_ACTIONS)
        .resources(List.of(table.getTableArn(), table.getTableArn() + "/index/*"))
        .build());
  }

  /**
   * Writes to the node-state and NodePool partitions of {@code cluster} and nowhere else: the forwarder's share, what
   * it mirrors from the cluster.
   */
  void grantNodeStateWrites(IGrantable grantee, String cluster) {
    grantee.getGrantPrincipal().addToPrincipalPolicy(PolicyStatement.Builder.create()
        .actions(List.of("dynamodb:PutItem", "dynamodb:DeleteItem"))
        .resources(List.of(table.getTableArn()))
        .conditions(Map.of("ForAllValues:StringEquals", Map.of("dynamodb:LeadingKeys",
            List.of(ClaimTable.nodePartition(cluster), ClaimTable.nodePoolPartition(cluster)))))
        .build());
  }

  /**
   * Reads of the claim partition of {@code cluster}, nothing else: what a NodePool's status counts, and the claim a
   * Nominate labels its node from.
   */
  void grantClaimReads(IGrantable grantee, String cluster) {
    grantee.getGrantPrincipal().addToPrincipalPolicy(PolicyStatement.Builder.create()
        .sid("ReadClaimsForNodePoolStatusAndNodeLabels")
        .actions(List.of("dynamodb:Query", "dynamodb:GetItem"))
        .resources(List.of(table.getTableArn()))
        .conditions(Map.of("ForAllValues:StringEquals",
            Map.of("dynamodb:LeadingKeys", List.of(ClaimTable.clusterPartition(cluster)))))
        .build());
  }
}
