package dev.flotilla.aws;

import dev.flotilla.catalog.CatalogSnapshot;
import dev.flotilla.catalog.CatalogSnapshotStore;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

/**
 * The catalog snapshot in the claim table, in the cluster's partition: the gzipped snapshot cut into chunks under
 * DynamoDB's 400 KB item limit, {@code CATALOG#<version>#<n>}, then the pointer {@code CATALOG#LATEST} naming the
 * version and its chunk count, written last and only over a pointer to an older snapshot. A reader gets the pointer,
 * then that version's chunks (two requests): it never sees a snapshot half written, as chunks nothing points to yet
 * are never read. Chunks expire with the table's TTL a week after they were written, long after a newer snapshot
 * replaced them; the pointer does not expire.
 *
 * <p>Uses only GetItem, Query and PutItem, which every function's grant on the table already allows.
 */
public final class DynamoCatalogSnapshotStore implements CatalogSnapshotStore {

  /** Chunk size: the item limit is 400 KB, attribute names and keys included. */
  public static final int CHUNK_BYTES = 350_000;
  static final String POINTER = "CATALOG#LATEST";
  static final Duration CHUNK_TTL = Duration.ofDays(7);
  private static final Logger LOG = LoggerFactory.getLogger(DynamoCatalogSnapshotStore.class);

  private final DynamoDbClient dynamo;
  private final String table;
  private final String partition;
  private final int chunkBytes;

  public DynamoCatalogSnapshotStore(DynamoDbClient dynamo, String table, String cluster) {
    this(dynamo, table, cluster, CHUNK_BYTES);
  }

  DynamoCatalogSnapshotStore(DynamoDbClient dynamo, String table, String cluster, int chunkBytes) {
    this.dynamo = dynamo;
    this.table = table;
    this.partition = ClaimTable.clusterPartition(cluster);
    this.chunkBytes = chunkBytes;
  }

  @Override
  public Optional<CatalogSnapshot> latest() {
    Map<String, AttributeValue> pointer = dynamo.getItem(r -> r.tableName(table).key(key(POINTER)).consistentRead(true))
        .item();
    if (pointer == null || pointer.isEmpty()) {
      return Optional.empty();
    }
    String version = pointer.get("version").s();
    int chunks = Integer.parseInt(pointer.get("chunks").n());
    String prefix = chunkPrefix(version);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int read = 0;
    for (Map<String, AttributeValue> item : dynamo.queryPaginator(r -> r.tableName(table).consistentRead(true)
            .keyConditionExpression("pk = :pk AND begins_with(sk, :prefix)")
            .expressionAttributeValues(Map.of(":pk", AttributeValue.fromS(partition),
                ":prefix", AttributeValue.fromS(prefix))))
        .items()) {
      bytes.writeBytes(item.get("data").b().asByteArrayUnsafe());
      read++;
    }
    if (read != chunks) {
      // the chunks expired under a pointer no refresh replaced for a week: as good as none
      LOG.warn("catalog snapshot {} has {} of its {} chunks; treating it as absent", version, read, chunks);
      return Optional.empty();
    }
    return Optional.of(CatalogSnapshot.gunzip(bytes.toByteArray()));
  }

  @Override
  public boolean put(CatalogSnapshot snapshot) {
    byte[] gzipped = snapshot.gzip();
    long builtAt = snapshot.builtAt().toEpochMilli();
    String version = String.format(Locale.ROOT, "%013d-%s", builtAt, UUID.randomUUID().toString().substring(0, 8));
    long expiresAt = snapshot.builtAt().plus(CHUNK_TTL).getEpochSecond();
    int chunks = 0;
    for (int offset = 0; offset < gzipped.length; offset += chunkBytes) {
      int end = Math.min(gzipped.length, offset + chunkBytes);
      Map<String, AttributeValue> item = key(chunkPrefix(version) + String.format(Locale.ROOT, "%04d", chunks));
      item.put("data", AttributeValue.fromB(SdkBytes.fromByteArray(java.util.Arrays.copyOfRange(gzipped, offset, end))));
      item.put(ClaimTable.EXPIRES_AT, AttributeValue.fromN(Long.toString(expiresAt)));
      dynamo.putItem(r -> r.tableName(table).item(item));
      chunks++;
    }
    Map<String, AttributeValue> pointer = key(POINTER);
    pointer.put("version", AttributeValue.fromS(version));
    pointer.put("chunks", AttributeValue.fromN(Integer.toString(chunks)));
    pointer.put("builtAt", AttributeValue.fromN(Long.toString(builtAt)));
    pointer.put("bytes", AttributeValue.fromN(Integer.toString(gzipped.length)));
    try {
      dynamo.putItem(r -> r.tableName(table).item(pointer)
          .conditionExpression("attribute_not_exists(sk) OR builtAt < :builtAt")
          .expressionAttributeValues(Map.of(":builtAt", AttributeValue.fromN(Long.toString(builtAt)))));
      return true;
    } catch (ConditionalCheckFailedException newer) {
      // another function stored a snapshot built later; this one's chunks expire unread
      return false;
    }
  }

  private static String chunkPrefix(String version) {
    return "CATALOG#" + version + "#";
  }

  private Map<String, AttributeValue> key(String sk) {
    Map<String, AttributeValue> key = new HashMap<>();
    key.put(ClaimTable.PK, AttributeValue.fromS(partition));
    key.put(ClaimTable.SK, AttributeValue.fromS(sk));
    return key;
  }
}
