package dev.flotilla.aws;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.flotilla.catalog.Offering;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.Resources;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

/**
 * The claim store in the single DynamoDB table (see {@link ClaimTable}). A claim and its reservations go in
 * TransactWriteItems of at most 100 items, each reservation conditional on the pod being free; a claim larger than
 * one transaction is written chunk by chunk and compensated (its earlier chunks deleted) if a later chunk conflicts.
 * Transitions are UpdateItem calls conditional on the state and version the caller saw; a termination goes in one
 * transaction with the deletion of the claim's reservations.
 */
public final class DynamoClaimStore implements ClaimStore {

  static final int MAX_TRANSACTION_ITEMS = 100;
  static final Duration RESERVATION_TTL = ClaimStore.RESERVATION_TTL;
  static final Duration TERMINATED_RETENTION = Duration.ofDays(1);
  private static final int TRANSACTION_ATTEMPTS = 5;
  /** The DaemonSets document's key in the node partition, beside the nodes' {@code NODE#} items. */
  private static final String DAEMONSETS = "DAEMONSETS";
  /** The pending pods document's key in the node partition. */
  private static final String PENDING = "PENDING";
  private static final Logger LOG = LoggerFactory.getLogger(DynamoClaimStore.class);
  private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final DynamoDbClient dynamo;
  private final String table;
  private final String partition;
  private final String nodePartition;
  private final Clock clock;

  public DynamoClaimStore(DynamoDbClient dynamo, String table, String cluster, Clock clock) {
    this.dynamo = dynamo;
    this.table = table;
    this.partition = ClaimTable.clusterPartition(cluster);
    this.nodePartition = ClaimTable.nodePartition(cluster);
    this.clock = clock;
  }

  @Override
  public Creation create(Claim claim) {
    List<TransactWriteItem> items = new ArrayList<>();
    List<String> itemPods = new ArrayList<>();
    items.add(put(claimItem(claim)));
    itemPods.add(null);
    long now = clock.instant().getEpochSecond();
    long expiresAt = clock.instant().plus(RESERVATION_TTL).getEpochSecond();
    for (String pod : claim.pods()) {
      Map<String, AttributeValue> item = key("POD#" + pod);
      item.put("claimId", AttributeValue.fromS(claim.id()));
      item.put(ClaimTable.EXPIRES_AT, AttributeValue.fromN(Long.toString(expiresAt)));
      items.add(reserve(item, now));
      itemPods.add(pod);
    }
    List<List<TransactWriteItem>> chunks = new ArrayList<>();
    for (int i = 0; i < items.size(); i += MAX_TRANSACTION_ITEMS) {
      chunks.add(items.subList(i, Math.min(items.size(), i + MAX_TRANSACTION_ITEMS)));
    }
    for (int c = 0; c < chunks.size(); c++) {
      Set<String> conflicts = write(claim, chunks.get(c), itemPods.subList(c * MAX_TRANSACTION_ITEMS,
          Math.min(itemPods.size(), (c + 1) * MAX_TRANSACTION_ITEMS)));
      if (conflicts != null) {
        if (c > 0) {
          compensate(claim, itemPods.subList(1, c * MAX_TRANSACTION_ITEMS));
        }
        return new Conflict(conflicts);
      }
    }
    return new Created(claim);
  }

  /** Writes one transaction; null when it went through, else the pods (or the claim, as "") that were taken. */
  private Set<String> write(Claim claim, List<TransactWriteItem> chunk, List<String> pods) {
    for (int attempt = 1; ; attempt++) {
      try {
        dynamo.transactWriteItems(r -> r.transactItems(chunk));
        return null;
      } catch (TransactionCanceledException e) {
        Set<String> taken = new LinkedHashSet<>();
        boolean racing = false;
        List<CancellationReason> reasons = e.cancellationReasons();
        for (int i = 0; i < reasons.size(); i++) {
          String code = reasons.get(i).code();
          if ("ConditionalCheckFailed".equals(code)) {
            taken.add(pods.get(i) == null ? "" : pods.get(i));
          } else if ("TransactionConflict".equals(code)) {
            racing = true;
          }
        }
        boolean resent = e.numAttempts() != null && e.numAttempts() > 1;
        if (resent && !taken.isEmpty() && writtenByThisClaim(claim, taken)) {
          // The SDK resent our transaction after losing the first answer: what it found is what it wrote.
          return null;
        }
        if (!taken.isEmpty() || !racing || attempt == TRANSACTION_ATTEMPTS) {
          taken.remove("");
          return taken;
        }
        Backoff.sleep(attempt);
      }
    }
  }

  private boolean writtenByThisClaim(Claim claim, Set<String> taken) {
    List<String> pods = taken.stream().filter(p -> !p.isEmpty()).toList();
    if (taken.contains("")) {
      Optional<Claim> stored = claim(claim.id());
      if (stored.isEmpty() || !stored.get().pods().equals(claim.pods())) {
        return false;
      }
    }
    Map<String, String> owners = reservations(pods);
    return owners.size() == pods.size() && owners.values().stream().allMatch(claim.id()::equals);
  }

  private void compensate(Claim claim, List<String> writtenPods) {
    for (String pod : writtenPods) {
      deleteIfOwned("POD#" + pod, claim.id());
    }
    dynamo.deleteItem(r -> r.tableName(table).key(key("CLAIM#" + claim.id())));
    LOG.info("claim {} conflicted after {} reservations were written; they were released", claim.id(),
        writtenPods.size());
  }

  private void deleteIfOwned(String sk, String claimId) {
    try {
      dynamo.deleteItem(r -> r.tableName(table).key(key(sk)).conditionExpression("claimId = :c")
          .expressionAttributeValues(Map.of(":c", AttributeValue.fromS(claimId))));
    } catch (ConditionalCheckFailedException otherOwner) {
      // reserved by another claim since: not ours to release
    }
  }

  @Override
  public Creation extend(Claim current, List<String> morePods, Resources moreLoad) {
    if (morePods.size() >= MAX_TRANSACTION_ITEMS) {
      throw new IllegalArgumentException("extend claim " + current.id() + " by at most "
          + (MAX_TRANSACTION_ITEMS - 1) + " pods at once, not " + morePods.size());
    }
    Claim next = current.withMorePods(morePods, moreLoad, clock.instant()).withVersion(current.version() + 1);
    List<TransactWriteItem> items = new ArrayList<>();
    List<String> itemPods = new ArrayList<>();
    items.add(TransactWriteItem.builder().update(u -> u.tableName(table).key(key("CLAIM#" + current.id()))
        .conditionExpression("#s = :state AND #v = :version")
        .updateExpression("SET #v = :next, body = :body")
        .expressionAttributeNames(Map.of("#s", "state", "#v", "version"))
        .expressionAttributeValues(Map.of(":state", AttributeValue.fromS(current.state().name()),
            ":version", AttributeValue.fromN(Long.toString(current.version())),
            ":next", AttributeValue.fromN(Long.toString(next.version())),
            ":body", AttributeValue.fromS(json(next))))).build());
    itemPods.add(null);
    long now = clock.instant().getEpochSecond();
    long expiresAt = clock.instant().plus(RESERVATION_TTL).getEpochSecond();
    for (String pod : morePods) {
      Map<String, AttributeValue> item = key("POD#" + pod);
      item.put("claimId", AttributeValue.fromS(current.id()));
      item.put(ClaimTable.EXPIRES_AT, AttributeValue.fromN(Long.toString(expiresAt)));
      items.add(reserve(item, now));
      itemPods.add(pod);
    }
    Set<String> conflicts = write(next, items, itemPods);
    if (conflicts == null) {
      return new Created(next);
    }
    if (conflicts.isEmpty()) {
      throw StaleClaimException.of(current);
    }
    return new Conflict(conflicts);
  }

  @Override
  public Claim transition(Claim current, Claim next) {
    ClaimStore.checkMove(current, next);
    Claim written = next.withVersion(current.version() + 1);
    Map<String, AttributeValue> values = new HashMap<>();
    values.put(":from", AttributeValue.fromS(current.state().name()));
    values.put(":version", AttributeValue.fromN(Long.toString(current.version())));
    values.put(":to", AttributeValue.fromS(written.state().name()));
    values.put(":next", AttributeValue.fromN(Long.toString(written.version())));
    values.put(":body", AttributeValue.fromS(json(written.state() == ClaimState.Terminated ? written.closedRecord()
        : written)));
    StringBuilder update = new StringBuilder("SET #s = :to, #v = :next, body = :body");
    if (written.instanceId() != null) {
      update.append(", instanceId = :instance");
      values.put(":instance", AttributeValue.fromS(written.instanceId()));
    }
    if (written.state() == ClaimState.Terminated) {
      update.append(", expiresAt = :expires");
      values.put(":expires", AttributeValue.fromN(Long.toString(
          clock.instant().plus(TERMINATED_RETENTION).getEpochSecond())));
    }
    if (written.state() == ClaimState.Terminated) {
      terminate(current, written, TransactWriteItem.builder().update(u -> u.tableName(table)
          .key(key("CLAIM#" + current.id()))
          .conditionExpression("#s = :from AND #v = :version")
          .updateExpression(update.toString())
          .expressionAttributeNames(Map.of("#s", "state", "#v", "version"))
          .expressionAttributeValues(values)).build());
      return written;
    }
    try {
      dynamo.updateItem(r -> r.tableName(table).key(key("CLAIM#" + current.id()))
          .conditionExpression("#s = :from AND #v = :version")
          .updateExpression(update.toString())
          .expressionAttributeNames(Map.of("#s", "state", "#v", "version"))
          .expressionAttributeValues(values));
    } catch (ConditionalCheckFailedException e) {
      throw StaleClaimException.of(current);
    }
    return written;
  }

  /**
   * Terminates a claim and deletes its reservations in one transaction, so no crash leaves a Terminated claim
   * holding pods. A claim with more reservations than one transaction takes has them deleted chunk by chunk first,
   * each chunk conditional on the claim still being as the caller saw it; the claim's own update comes last, so a
   * crash in between leaves the claim live at its version and the next run's termination finishes the work. A pod
   * another claim has reserved since (over an expired reservation) is left to it.
   */
  private void terminate(Claim current, Claim written, TransactWriteItem claimUpdate) {
    Set<String> all = new LinkedHashSet<>(current.pods());
    all.addAll(written.pods());
    List<String> pods = new ArrayList<>(all);
    int room = MAX_TRANSACTION_ITEMS - 1;
    List<List<String>> chunks = new ArrayList<>();
    for (int i = 0; i < pods.size(); i += room) {
      chunks.add(pods.subList(i, Math.min(pods.size(), i + room)));
    }
    if (chunks.isEmpty()) {
      chunks.add(List.of());
    }
    TransactWriteItem claimCheck = TransactWriteItem.builder().conditionCheck(c -> c.tableName(table)
        .key(key("CLAIM#" + current.id()))
        .conditionExpression("#s = :from AND #v = :version")
        .expressionAttributeNames(Map.of("#s", "state", "#v", "version"))
        .expressionAttributeValues(Map.of(":from", AttributeValue.fromS(current.state().name()),
            ":version", AttributeValue.fromN(Long.toString(current.version()))))).build();
    for (int c = 0; c < chunks.size(); c++) {
      boolean last = c == chunks.size() - 1;
      List<String> chunk = new ArrayList<>(chunks.get(c));
      for (int attempt = 1; ; attempt++) {
        List<TransactWriteItem> items = new ArrayList<>();
        for (String pod : chunk) {
          items.add(unreserve(pod, current.id()));
        }
        items.add(last ? claimUpdate : claimCheck);
        try {
          dynamo.transactWriteItems(r -> r.transactItems(items));
          break;
        } catch (TransactionCanceledException e) {
          List<CancellationReason> reasons = e.cancellationReasons();
          if (reasons.size() != items.size()) {
            throw e;
          }
          if ("ConditionalCheckFailed".equals(reasons.get(chunk.size()).code())) {
            boolean resent = e.numAttempts() != null && e.numAttempts() > 1;
            if (last && resent && claim(current.id()).filter(s -> s.state() == written.state()
                && s.version() == written.version()).isPresent()) {
              // the SDK resent our transaction after losing the first answer: it went through
              return;
            }
            throw StaleClaimException.of(current);
          }
          Set<String> others = new LinkedHashSet<>();
          boolean racing = false;
          for (int i = 0; i < chunk.size(); i++) {
            String code = reasons.get(i).code();
            if ("ConditionalCheckFailed".equals(code)) {
              others.add(chunk.get(i));
            } else if ("TransactionConflict".equals(code)) {
              racing = true;
            }
          }
          if ((others.isEmpty() && !racing) || attempt == TRANSACTION_ATTEMPTS) {
            throw e;
          }
          chunk.removeAll(others);
          if (racing) {
            Backoff.sleep(attempt);
          }
        }
      }
    }
  }

  /** Deletes a pod's reservation if this claim holds it (or none is there); another claim's is left alone. */
  private TransactWriteItem unreserve(String pod, String claimId) {
    return TransactWriteItem.builder().delete(d -> d.tableName(table).key(key("POD#" + pod))
        .conditionExpression("attribute_not_exists(sk) OR claimId = :c")
        .expressionAttributeValues(Map.of(":c", AttributeValue.fromS(claimId)))).build();
  }

  @Override
  public void release(Claim claim, java.util.Collection<String> pods) {
    for (String pod : pods) {
      deleteIfOwned("POD#" + pod, claim.id());
    }
  }

  @Override
  public Optional<Claim> claim(String id) {
    Map<String, AttributeValue> item = dynamo.getItem(r -> r.tableName(table).key(key("CLAIM#" + id))
        .consistentRead(true)).item();
    return item == null || item.isEmpty() ? Optional.empty() : Optional.of(parse(item));
  }

  @Override
  public List<Claim> claims() {
    List<Claim> result = new ArrayList<>();
    for (Map<String, AttributeValue> item : query("CLAIM#")) {
      result.add(parse(item));
    }
    return result;
  }

  @Override
  public Optional<Claim> claimByInstance(String instanceId) {
    return dynamo.queryPaginator(r -> r.tableName(table).indexName(ClaimTable.INSTANCE_INDEX)
            .keyConditionExpression("instanceId = :i")
            .filterExpression("pk = :pk")
            .expressionAttributeValues(Map.of(":i", AttributeValue.fromS(instanceId),
                ":pk", AttributeValue.fromS(partition))))
        .items().stream().findFirst().map(this::parse);
  }

  @Override
  public Map<String, Claim> claims(Collection<String> ids) {
    Map<String, Claim> result = new LinkedHashMap<>();
    batchGet(ids.stream().distinct().map(id -> key("CLAIM#" + id)).toList(), "claim",
        item -> result.put(item.get(ClaimTable.SK).s().substring("CLAIM#".length()), parse(item)));
    return result;
  }

  @Override
  public Map<String, String> reservations(Collection<String> pods) {
    Map<String, String> result = new LinkedHashMap<>();
    long now = clock.instant().getEpochSecond();
    batchGet(pods.stream().distinct().map(pod -> key("POD#" + pod)).toList(),
        "reservation", item -> {
          if (Long.parseLong(item.get(ClaimTable.EXPIRES_AT).n()) > now) {
            result.put(item.get(ClaimTable.SK).s().substring("POD#".length()), item.get("claimId").s());
          }
        });
    return result;
  }

  /**
   * Consistent reads of these items, 100 keys a request (BatchGetItem's limit), keys DynamoDB leaves unprocessed
   * asked for again with backoff, up to {@link #TRANSACTION_ATTEMPTS} times.
   */
  private void batchGet(List<Map<String, AttributeValue>> keys, String what,
      java.util.function.Consumer<Map<String, AttributeValue>> each) {
    for (int i = 0; i < keys.size(); i += 100) {
      Map<String, KeysAndAttributes> request = Map.of(table,
          KeysAndAttributes.builder().keys(keys.subList(i, Math.min(keys.size(), i + 100))).consistentRead(true)
              .build());
      for (int attempt = 1; !request.isEmpty(); attempt++) {
        Map<String, KeysAndAttributes> current = request;
        var response = dynamo.batchGetItem(r -> r.requestItems(current));
        response.responses().getOrDefault(table, List.of()).forEach(each);
        request = response.unprocessedKeys();
        if (!request.isEmpty()) {
          if (attempt == TRANSACTION_ATTEMPTS) {
            throw new IllegalStateException("DynamoDB left " + request.get(table).keys().size() + " " + what
                + " reads unprocessed after " + attempt + " attempts");
          }
          Backoff.sleep(attempt);
        }
      }
    }
  }

  /**
   * A conditional put of {@code LEASE#name}: no item, or one whose expiry has passed. The expiry is the table's TTL
   * attribute as well, so DynamoDB removes leases no one ended.
   */
  @Override
  public Optional<Lease> tryLease(String name, Duration ttl) {
    java.time.Instant now = clock.instant();
    Lease lease = new Lease(name, java.util.UUID.randomUUID().toString(),
        java.time.Instant.ofEpochSecond(now.plus(ttl).getEpochSecond()));
    Map<String, AttributeValue> item = key("LEASE#" + name);
    item.put("holder", AttributeValue.fromS(lease.holder()));
    item.put(ClaimTable.EXPIRES_AT, AttributeValue.fromN(Long.toString(lease.expiresAt().getEpochSecond())));
    try {
      dynamo.putItem(r -> r.tableName(table).item(item)
          .conditionExpression("attribute_not_exists(sk) OR #e <= :now")
          .expressionAttributeNames(Map.of("#e", ClaimTable.EXPIRES_AT))
          .expressionAttributeValues(Map.of(":now", AttributeValue.fromN(Long.toString(now.getEpochSecond())))));
      return Optional.of(lease);
    } catch (ConditionalCheckFailedException held) {
      return Optional.empty();
    }
  }

  @Override
  public void endLease(Lease lease) {
    try {
      dynamo.deleteItem(r -> r.tableName(table).key(key("LEASE#" + lease.name()))
          .conditionExpression("holder = :h")
          .expressionAttributeValues(Map.of(":h", AttributeValue.fromS(lease.holder()))));
    } catch (ConditionalCheckFailedException notOurs) {
      // it expired and another pass holds it now
    }
  }

  @Override
  public void markUnavailable(Offering.Key offering, String reason, Duration ttl) {
    Map<String, AttributeValue> item = key("UNAVAILABLE#" + offering.instanceType() + "#" + offering.zone() + "#"
        + offering.capacityType().label());
    item.put("reason", AttributeValue.fromS(reason));
    item.put(ClaimTable.EXPIRES_AT, AttributeValue.fromN(Long.toString(clock.instant().plus(ttl).getEpochSecond())));
    dynamo.putItem(r -> r.tableName(table).item(item));
  }

  @Override
  public Set<Offering.Key> unavailable() {
    Set<Offering.Key> result = new LinkedHashSet<>();
    long now = clock.instant().getEpochSecond();
    for (Map<String, AttributeValue> item : query("UNAVAILABLE#")) {
      // DynamoDB deletes expired items lazily: the expiry is checked here too
      if (Long.parseLong(item.get(ClaimTable.EXPIRES_AT).n()) <= now) {
        continue;
      }
      String[] parts = item.get(ClaimTable.SK).s().split("#");
      result.add(new Offering.Key(parts[1], parts[2], CapacityType.fromLabel(parts[3])));
    }
    return result;
  }

  @Override
  public void putNodeState(String node, String json) {
    putDocument(key(nodePartition, "NODE#" + node), json);
  }

  /** Writes a mirrored document unless the same one is there already. */
  private void putDocument(Map<String, AttributeValue> item, String json) {
    withDocument(item, json);
    try {
      dynamo.putItem(r -> r.tableName(table).item(item)
          .conditionExpression("attribute_not_exists(doc) OR doc <> :doc")
          .expressionAttributeValues(Map.of(":doc", AttributeValue.fromS(json))));
    } catch (ConditionalCheckFailedException unchanged) {
      // the same document is already there: nothing to write
    }
  }

  @Override
  public void putDaemonSets(String json) {
    putDocument(key(nodePartition, DAEMONSETS), json);
  }

  @Override
  public Optional<String> daemonSets() {
    return document(DAEMONSETS);
  }

  @Override
  public void putPendingPods(String json) {
    // written whole each time: its time changes with every write, so a write conditioned on a change would only send
    // the document twice
    Map<String, AttributeValue> item = withDocument(key(nodePartition, PENDING), json);
    dynamo.putItem(r -> r.tableName(table).item(item));
  }

  /** The item under {@code key} holding a mirrored document, stamped with when it was written. */
  private Map<String, AttributeValue> withDocument(Map<String, AttributeValue> key, String json) {
    key.put("doc", AttributeValue.fromS(json));
    key.put("updatedAt", AttributeValue.fromS(clock.instant().toString()));
    return key;
  }

  @Override
  public Optional<String> pendingPods() {
    return document(PENDING);
  }

  private Optional<String> document(String sortKey) {
    Map<String, AttributeValue> item = dynamo.getItem(r -> r.tableName(table).key(key(nodePartition, sortKey))
        .consistentRead(true)).item();
    return item == null || !item.containsKey("doc") ? Optional.empty() : Optional.of(item.get("doc").s());
  }

  @Override
  public void deleteNodeState(String node) {
    dynamo.deleteItem(r -> r.tableName(table).key(key(nodePartition, "NODE#" + node)));
  }

  @Override
  public Map<String, String> nodeStates() {
    Map<String, String> result = new TreeMap<>();
    for (Map<String, AttributeValue> item : query(nodePartition, "NODE#")) {
      result.put(item.get(ClaimTable.SK).s().substring("NODE#".length()), item.get("doc").s());
    }
    return result;
  }

  private List<Map<String, AttributeValue>> query(String prefix) {
    return query(partition, prefix);
  }

  private List<Map<String, AttributeValue>> query(String pk, String prefix) {
    QueryRequest request = QueryRequest.builder().tableName(table).consistentRead(true)
        .keyConditionExpression("pk = :pk AND begins_with(sk, :prefix)")
        .expressionAttributeValues(Map.of(":pk", AttributeValue.fromS(pk), ":prefix",
            AttributeValue.fromS(prefix)))
        .build();
    return dynamo.queryPaginator(request).items().stream().toList();
  }

  private Map<String, AttributeValue> claimItem(Claim claim) {
    Map<String, AttributeValue> item = key("CLAIM#" + claim.id());
    item.put("state", AttributeValue.fromS(claim.state().name()));
    item.put("version", AttributeValue.fromN(Long.toString(claim.version())));
    item.put("body", AttributeValue.fromS(json(claim)));
    if (claim.instanceId() != null) {
      item.put(ClaimTable.INSTANCE_ID, AttributeValue.fromS(claim.instanceId()));
    }
    return item;
  }

  private TransactWriteItem put(Map<String, AttributeValue> item) {
    return TransactWriteItem.builder()
        .put(p -> p.tableName(table).item(item).conditionExpression("attribute_not_exists(sk)"))
        .build();
  }

  /**
   * A reservation, conditional on the pod being free: no item, or one whose expiry has passed. Reads ignore expired
   * reservations and DynamoDB deletes them only eventually, so the write must overwrite them as well.
   */
  private TransactWriteItem reserve(Map<String, AttributeValue> item, long now) {
    return TransactWriteItem.builder()
        .put(p -> p.tableName(table).item(item)
            .conditionExpression("attribute_not_exists(sk) OR #e <= :now")
            .expressionAttributeNames(Map.of("#e", ClaimTable.EXPIRES_AT))
            .expressionAttributeValues(Map.of(":now", AttributeValue.fromN(Long.toString(now)))))
        .build();
  }

  private Map<String, AttributeValue> key(String sk) {
    return key(partition, sk);
  }

  private static Map<String, AttributeValue> key(String pk, String sk) {
    Map<String, AttributeValue> key = new HashMap<>();
    key.put(ClaimTable.PK, AttributeValue.fromS(pk));
    key.put(ClaimTable.SK, AttributeValue.fromS(sk));
    return key;
  }

  private Claim parse(Map<String, AttributeValue> item) {
    try {
      Claim claim = JSON.readValue(item.get("body").s(), Claim.class);
      return claim.withVersion(Long.parseLong(item.get("version").n()));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("claim item " + item.get(ClaimTable.SK).s() + " is not readable: "
          + e.getOriginalMessage(), e);
    }
  }

  private static String json(Claim claim) {
    try {
      return JSON.writeValueAsString(claim);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
