package dev.flotilla.aws;

import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

/**
 * The single table's layout, shared by the store, the CDK app and local bootstrapping: partition {@code pk} =
 * {@code CLUSTER#name} with sort keys {@code sk} = {@code CLAIM#id}, {@code POD#key},
 * {@code UNAVAILABLE#type#zone#capacity}, the catalog snapshot's chunks {@code CATALOG#version#n} and pointer
 * {@code CATALOG#LATEST} ({@link DynamoCatalogSnapshotStore}); the node-state mirror in its own partition {@code NODES#name} with
 * {@code NODE#node}, so that an IAM leading-keys condition can let the forwarder write node state and nothing else;
 * the cluster's NodePools, likewise written by the forwarder, in {@code NODEPOOLS#name} ({@link DynamoNodePoolStore});
 * a GSI on {@code instanceId}; TTL on {@code expiresAt}.
 */
public final class ClaimTable {

  public static final String PK = "pk";
  public static final String SK = "sk";
  public static final String INSTANCE_INDEX = "byInstanceId";
  public static final String INSTANCE_ID = "instanceId";
  public static final String EXPIRES_AT = "expiresAt";

  /** The partition of a cluster's claims, reservations and unavailable offerings. */
  public static String clusterPartition(String cluster) {
    return "CLUSTER#" + cluster;
  }

  /** The partition of a cluster's node-state mirror, the only one the forwarder may write. */
  public static String nodePartition(String cluster) {
    return "NODES#" + cluster;
  }

  /** The partition of a cluster's NodePools, the forwarder's other writable partition. */
  public static String nodePoolPartition(String cluster) {
    return "NODEPOOLS#" + cluster;
  }

  private ClaimTable() {}

  /** Creates the table where none exists (local emulators and tests; in AWS the CDK app owns it). */
  public static void createIfMissing(DynamoDbClient dynamo, String table) {
    try {
      dynamo.createTable(r -> r.tableName(table)
          .billingMode(BillingMode.PAY_PER_REQUEST)
          .attributeDefinitions(
              a -> a.attributeName(PK).attributeType(ScalarAttributeType.S),
              a -> a.attributeName(SK).attributeType(ScalarAttributeType.S),
              a -> a.attributeName(INSTANCE_ID).attributeType(ScalarAttributeType.S))
          .keySchema(k -> k.attributeName(PK).keyType(KeyType.HASH), k -> k.attributeName(SK).keyType(KeyType.RANGE))
          .globalSecondaryIndexes(g -> g.indexName(INSTANCE_INDEX)
              .keySchema(k -> k.attributeName(INSTANCE_ID).keyType(KeyType.HASH))
              .projection(p -> p.projectionType(ProjectionType.ALL))));
      dynamo.waiter().waitUntilTableExists(r -> r.tableName(table));
      dynamo.updateTimeToLive(r -> r.tableName(table)
          .timeToLiveSpecification(t -> t.attributeName(EXPIRES_AT).enabled(true)));
    } catch (ResourceInUseException exists) {
      // already there
    }
  }
}
