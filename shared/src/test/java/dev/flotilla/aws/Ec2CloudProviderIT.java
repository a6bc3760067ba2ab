package dev.flotilla.aws;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.cloud.CloudProvider;
import dev.flotilla.cloud.CloudProviderContract;
import dev.flotilla.testing.AwsEmulator;
import dev.flotilla.testing.AwsIntegrationTest;
import java.net.URI;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.CreateFleetRequest;

/** The cloud provider contract against EC2 in the emulator: real CreateFleet, tags, DescribeInstances, terminate. */
@AwsIntegrationTest
class Ec2CloudProviderIT extends CloudProviderContract {

  private final AtomicInteger fleets = new AtomicInteger();
  private Ec2Client ec2;
  private CloudProvider cloud;

  @BeforeEach
  void network(URI endpoint) {
    ec2 = Ec2Client.builder().endpointOverride(endpoint).region(AwsEmulator.REGION)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
        .httpClient(UrlConnectionHttpClient.create())
        .overrideConfiguration(o -> o.addExecutionInterceptor(new ExecutionInterceptor() {
          @Override
          public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
            if (context.request() instanceof CreateFleetRequest) {
              fleets.incrementAndGet();
            }
          }
        }))
        .build();
    EmulatorAccount account = EmulatorAccount.create(ec2, "contract", ZONES);
    OfferingCatalog catalog = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.ratio(0.35));
    cloud = new Ec2CloudProvider(ec2,
        new Ec2CloudProvider.Settings(CLUSTER, account.launchTemplateId(), account.subnetByZone()),
        catalog::price, new InMemoryClaimStore(Clock.systemUTC()));
  }

  @AfterEach
  void close() {
    ec2.close();
  }

  @Override
  protected CloudProvider cloud() {
    return cloud;
  }

  @Override
  protected int fleetRequests() {
    return fleets.get();
  }

  @Override
  protected String startForeign() {
    return ec2.runInstances(r -> r.imageId("ami-12c6146b").minCount(1).maxCount(1).instanceType("m5.large"))
        .instances().getFirst().instanceId();
  }
}
