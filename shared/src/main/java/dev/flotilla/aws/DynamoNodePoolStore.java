package dev.flotilla.aws;

import dev.flotilla.nodepool.InMemoryNodePoolStore;
import dev.flotilla.nodepool.NodePoolStore;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;

/**
 * The NodePool store in the single table, in its own partition {@code NODEPOOLS#cluster} ({@link ClaimTable}): one
 * item {@code POOL#name} per pool and an index item {@code VERSION} naming the pools of the current version.
 *
 * <p>The writer (the forwarder) may only put and delete in this partition, never read it: it remembers what it
 * wrote, writes the pools first and the index last, and readers take only the pools the index names. So a reader
 * never sees a pool deleted while no writer ran (its item may linger, unnamed), and one that reads between a pool's
 * write and the index's sees at worst a newer pool, which the index's next version makes it read again.
 */
public final class DynamoNodePoolStore implements NodePoolStore {

  private static final String POOL = "POOL#";
  private static final String VERSION = "VERSION";

  private final DynamoDbClient dynamo;
  private final String table;
  private final String partition;
  /** What this writer last wrote: pool name to document. */
  private final Map<String, String> written = new HashMap<>();
  private String writtenVersion = "";

  public DynamoNodePoolStore(DynamoDbClient dynamo, String table, String cluster) {
    this.dynamo = dynamo;
    this.table = table;
    this.partition = ClaimTable.nodePoolPartition(cluster);
  }

  @Override
  public synchronized void replace(Map<String, String> documents) {
    String version = InMemoryNodePoolStore.versionOf(documents);
    if (version.equals(writtenVersion)) {
      return;
    }
    for (Map.Entry<String, String> pool : new TreeMap<>(documents).entrySet()) {
      if (!pool.getValue().equals(written.get(pool.getKey()))) {
        putUnlessSame(POOL + pool.getKey(), "doc", pool.getValue());
        written.put(pool.getKey(), pool.getValue());
      }
    }
    for (String gone : Set.copyOf(written.keySet())) {
      if (!documents.containsKey(gone)) {
        dynamo.deleteItem(r -> r.tableName(table).key(key(POOL + gone)));
        written.remove(gone);
      }
    }
    Map<String, AttributeValue> index = new LinkedHashMap<>();
    documents.keySet().stream().sorted().forEach(name -> index.put(name, AttributeValue.fromBool(true)));
    Map<String, AttributeValue> item = key(VERSION);
    item.put("pools", AttributeValue.fromM(index));
    item.put("version", AttributeValue.fromS(version));
    try {
      dynamo.putItem(r -> r.tableName(table).item(item)
          .conditionExpression("attribute_not_exists(#v) OR #v <> :v")
          .expressionAttributeNames(Map.of("#v", "version"))
          .expressionAttributeValues(Map.of(":v", AttributeValue.fromS(version))));
    } catch (ConditionalCheckFailedException same) {
      // a writer before a restart left this very version
    }
    writtenVersion = version;
  }

  private void putUnlessSame(String sk, String attribute, String value) {
    Map<String, AttributeValue> item = key(sk);
    item.put(attribute, AttributeValue.fromS(value));
    try {
      dynamo.putItem(r -> r.tableName(table).item(item)
          .conditionExpression("attribute_not_exists(#a) OR #a <> :v")
          .expressionAttributeNames(Map.of("#a", attribute))
          .expressionAttributeValues(Map.of(":v", AttributeValue.fromS(value))));
    } catch (ConditionalCheckFailedException same) {
      // already there
    }
  }

  @Override
  public String version() {
    Map<String, AttributeValue> item = dynamo.getItem(r -> r.tableName(table).key(key(VERSION)).consistentRead(true)
        .projectionExpression("#v").expressionAttributeNames(Map.of("#v", "version"))).item();
    return item == null || !item.containsKey("version") ? "" : item.get("version").s();
  }

  @Override
  public Stored read() {
    Map<String, AttributeValue> index = dynamo.getItem(r -> r.tableName(table).key(key(VERSION))
        .consistentRead(true)).item();
    if (index == null || !index.containsKey("version")) {
      return Stored.NONE;
    }
    Set<String> names = index.get("pools").m().keySet();
    Map<String, String> documents = new TreeMap<>();
    QueryRequest request = QueryRequest.builder().tableName(table).consistentRead(true)
        .keyConditionExpression("pk = :pk AND begins_with(sk, :prefix)")
        .expressionAttributeValues(Map.of(":pk", AttributeValue.fromS(partition), ":prefix",
            AttributeValue.fromS(POOL)))
        .build();
    for (Map<String, AttributeValue> item : dynamo.queryPaginator(request).items()) {
      String name = item.get(ClaimTable.SK).s().substring(POOL.length());
      if (names.contains(name)) {
        documents.put(name, item.get("doc").s());
      }
    }
    return new Stored(index.get("version").s(), documents);
  }

  private Map<String, AttributeValue> key(String sk) {
    Map<String, AttributeValue> key = new HashMap<>();
    key.put(ClaimTable.PK, AttributeValue.fromS(partition));
    key.put(ClaimTable.SK, AttributeValue.fromS(sk));
    return key;
  }
}
