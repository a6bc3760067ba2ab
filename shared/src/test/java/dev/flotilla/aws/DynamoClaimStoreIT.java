package dev.flotilla.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.claims.ClaimStoreContract;
import dev.flotilla.testing.AwsEmulator;
import dev.flotilla.testing.AwsIntegrationTest;
import java.net.URI;
import java.util.List;
import java.util.Set;
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
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/** The claim store contract against DynamoDB in the emulator, through the real SDK client. */
@AwsIntegrationTest
class DynamoClaimStoreIT extends ClaimStoreContract {

  private static final Set<Class<?>> WRITES = Set.of(PutItemRequest.class, UpdateItemRequest.class,
      DeleteItemRequest.class, TransactWriteItemsRequest.class, BatchWriteItemRequest.class);

  private ClaimStore store;
  /** Writes the crashing client lets through before every later write fails, as if the function died there. */
  private final AtomicInteger writesLeft = new AtomicInteger(Integer.MAX_VALUE);
  private DynamoDbClient crashing;

  @BeforeEach
  void table(AwsClients aws, URI endpoint) {
    ClaimTable.createIfMissing(aws.dynamo(), "flotilla-it");
    store = new DynamoClaimStore(aws.dynamo(), "flotilla-it", "it-cluster", clock);
    crashing = DynamoDbClient.builder().endpointOverride(endpoint).region(AwsEmulator.REGION)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
        .httpClient(UrlConnectionHttpClient.create())
        .overrideConfiguration(o -> o.addExecutionInterceptor(new ExecutionInterceptor() {
          @Override
          public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
            if (WRITES.contains(context.request().getClass()) && writesLeft.getAndDecrement() <= 0) {
              throw new IllegalStateException("crashed before " + context.request().getClass().getSimpleName());
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
  protected ClaimStore store() {
    return store;
  }

  private ClaimStore crashingAfter(int writes) {
    writesLeft.set(writes);
    return new DynamoClaimStore(crashing, "flotilla-it", "it-cluster", clock);
  }

  @Test
  void aTerminationCutShortLeavesNoTerminatedClaimHoldingPods() {
    Claim c = ((ClaimStore.Created) store.create(claim("c1", List.of("a", "b")))).claim();

    try {
      crashingAfter(1).transition(c, c.moved(ClaimState.Terminated, clock.instant()));
    } catch (IllegalStateException crashed) {
      // the function died here
    }

    Claim after = store.claim("c1").orElseThrow();
    if (after.state() == ClaimState.Terminated) {
      assertThat(store.reservations(List.of("a", "b"))).isEmpty();
    } else {
      assertThat(after.version()).isEqualTo(c.version());
      store.transition(after, after.moved(ClaimState.Terminated, clock.instant()));
      assertThat(store.reservations(List.of("a", "b"))).isEmpty();
    }
  }

  @Test
  void aLargeClaimCutShortWhileTerminatingStaysLiveUntilTheNextRunFinishesIt() {
    List<String> many = pods("big", 250);
    Claim c = ((ClaimStore.Created) store.create(claim("big", many))).claim();

    assertThatThrownBy(() -> crashingAfter(1).transition(c, c.moved(ClaimState.Terminated, clock.instant())))
        .isInstanceOf(IllegalStateException.class);

    Claim after = store.claim("big").orElseThrow();
    assertThat(after.state()).isEqualTo(ClaimState.Launching);
    assertThat(after.version()).isEqualTo(c.version());
    Claim closed = store.transition(after, after.moved(ClaimState.Terminated, clock.instant()));
    assertThat(closed.state()).isEqualTo(ClaimState.Terminated);
    assertThat(store.reservations(many)).isEmpty();
    assertThat(store.create(claim("next", many))).isInstanceOf(ClaimStore.Created.class);
  }
}
