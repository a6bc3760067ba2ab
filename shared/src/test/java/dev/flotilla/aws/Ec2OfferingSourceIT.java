package dev.flotilla.aws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.OfferingSource;
import dev.flotilla.catalog.OfferingSourceContract;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.model.CapacityType;
import dev.flotilla.testing.AwsEmulator;
import dev.flotilla.testing.AwsIntegrationTest;
import dev.flotilla.testing.MutableClock;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
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
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeInstanceTypesRequest;

/** The offering source contract against EC2's catalog APIs in the emulator, plus its cache and its fallback. */
@AwsIntegrationTest
class Ec2OfferingSourceIT extends OfferingSourceContract {

  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
  private final InMemoryClaimStore store = new InMemoryClaimStore(clock);
  private final AtomicInteger typePages = new AtomicInteger();
  private Ec2Client ec2;
  private Ec2OfferingSource source;

  @BeforeEach
  void source(URI endpoint) {
    ec2 = client(endpoint);
    source = new Ec2OfferingSource(ec2, CatalogFile.bundled(), store, clock);
  }

  @AfterEach
  void close() {
    ec2.close();
  }

  @Override
  protected OfferingSource source() {
    return source;
  }

  @Override
  protected ClaimStore store() {
    return store;
  }

  @Test
  void catalogIsBuiltOnceEveryFiveMinutes() {
    source.catalog();
    int pages = typePages.get();
    assertThat(pages).isPositive();

    clock.advance(Duration.ofMinutes(4));
    source.catalog();
    assertThat(typePages.get()).isEqualTo(pages);

    clock.advance(Duration.ofMinutes(1));
    source.catalog();
    assertThat(typePages.get()).isEqualTo(2 * pages);
    assertThat(source.servingBundled()).isFalse();
  }

  @Test
  void whenTheApisFailTheBundledCatalogServes() {
    try (Ec2Client dead = client(URI.create("http://127.0.0.1:9"))) {
      Ec2OfferingSource offline = new Ec2OfferingSource(dead, CatalogFile.bundled(), store, clock);
      var catalog = offline.catalog();
      assertThat(offline.servingBundled()).isTrue();
      assertThat(catalog.price("m5.large", "us-east-1a", CapacityType.ON_DEMAND)).isEqualTo(0.096);
    }
  }

  private Ec2Client client(URI endpoint) {
    return Ec2Client.builder().endpointOverride(endpoint).region(AwsEmulator.REGION)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
        .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(1)).build())
        .overrideConfiguration(o -> o.retryStrategy(r -> r.maxAttempts(1)).addExecutionInterceptor(
            new ExecutionInterceptor() {
              @Override
              public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof DescribeInstanceTypesRequest) {
                  typePages.incrementAndGet();
                }
              }
            }))
        .build();
  }
}
