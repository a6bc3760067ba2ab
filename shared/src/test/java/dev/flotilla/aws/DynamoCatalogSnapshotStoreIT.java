package dev.flotilla.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.catalog.CatalogSnapshot;
import dev.flotilla.catalog.CatalogSnapshotStore;
import dev.flotilla.catalog.CatalogSnapshotStoreContract;
import dev.flotilla.testing.AwsEmulator;
import dev.flotilla.testing.AwsIntegrationTest;
import java.net.URI;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;

/** The catalog snapshot store contract against DynamoDB in the emulator, with chunks small enough to need several. */
@AwsIntegrationTest
class DynamoCatalogSnapshotStoreIT extends CatalogSnapshotStoreContract {

  private static final int SMALL_CHUNKS = 20_000;

  private CatalogSnapshotStore store;
  private String cluster;
  private AwsClients aws;
  private final AtomicInteger writesLeft = new AtomicInteger(Integer.MAX_VALUE);
  private DynamoDbClient crashing;

  @BeforeEach
  void table(AwsClients aws, URI endpoint) {
    this.aws = aws;
    ClaimTable.createIfMissing(aws.dynamo(), "flotilla-it");
    cluster = "it-" + UUID.randomUUID();
    store = new DynamoCatalogSnapshotStore(aws.dynamo(), "flotilla-it", cluster, SMALL_CHUNKS);
    crashing = DynamoDbClient.builder().endpointOverride(endpoint).region(AwsEmulator.REGION)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
        .httpClient(UrlConnectionHttpClient.create())
        .overrideConfiguration(o -> o.addExecutionInterceptor(new ExecutionInterceptor() {
          @Override
          public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
            if (context.request() instanceof PutItemRequest && writesLeft.getAndDecrement() <= 0) {
              throw new IllegalStateException("crashed before PutItem");
            }
          }
        }))
        .build();
  }

  @AfterEach
  void close() {
    crashing.close();
  }

  @Override
  protected CatalogSnapshotStore store() {
    return store;
  }

  @Test
  void aLargeSnapshotIsCutIntoChunksUnderTheItemLimit() {
    CatalogSnapshot big = large(T0);
    int gzipped = big.gzip().length;

    store.put(big);

    var items = aws.dynamo().query(r -> r.tableName("flotilla-it")
        .keyConditionExpression("pk = :pk AND begins_with(sk, :p)")
        .expressionAttributeValues(Map.of(":pk", AttributeValue.fromS(ClaimTable.clusterPartition(cluster)),
            ":p", AttributeValue.fromS("CATALOG#")))).items();
    long chunks = items.stream().filter(i -> !i.get("sk").s().equals(DynamoCatalogSnapshotStore.POINTER)).count();
    assertThat(chunks).isEqualTo((gzipped + SMALL_CHUNKS - 1) / SMALL_CHUNKS).isGreaterThan(1);
    assertThat(items).allSatisfy(i -> assertThat(i.getOrDefault("data", AttributeValue.fromS("")).b() == null ? 0
        : i.get("data").b().asByteArrayUnsafe().length).isLessThanOrEqualTo(SMALL_CHUNKS));
  }

  @Test
  void aWriteCutShortBeforeItsPointerLeavesThePreviousSnapshotWhole() {
    CatalogSnapshot first = snapshot(T0);
    store.put(first);
    CatalogSnapshot next = large(T0.plusSeconds(300));
    int nextChunks = (next.gzip().length + SMALL_CHUNKS - 1) / SMALL_CHUNKS;
    writesLeft.set(nextChunks - 1);

    assertThatThrownBy(() -> new DynamoCatalogSnapshotStore(crashing, "flotilla-it", cluster, SMALL_CHUNKS).put(next))
        .isInstanceOf(IllegalStateException.class);

    assertThat(store.latest()).contains(first);
  }

  @Test
  void aWriteCutShortOnAnEmptyTableLeavesNoSnapshot() {
    writesLeft.set(1);

    assertThatThrownBy(() -> new DynamoCatalogSnapshotStore(crashing, "flotilla-it", cluster, SMALL_CHUNKS)
        .put(large(T0))).isInstanceOf(IllegalStateException.class);

    assertThat(store.latest()).isEmpty();
  }
}
