package dev.flotilla.aws;

import static dev.flotilla.testing.PriceListServer.product;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.model.CapacityType;
import dev.flotilla.testing.MutableClock;
import dev.flotilla.testing.PriceListServer;
import dev.flotilla.testing.PriceListServer.Answer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeInstanceTypeOfferingsRequest;
import software.amazon.awssdk.services.ec2.model.DescribeInstanceTypeOfferingsResponse;
import software.amazon.awssdk.services.ec2.model.DescribeInstanceTypesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeInstanceTypesResponse;
import software.amazon.awssdk.services.ec2.model.DescribeSpotPriceHistoryRequest;
import software.amazon.awssdk.services.ec2.model.DescribeSpotPriceHistoryResponse;
import software.amazon.awssdk.services.ec2.model.InstanceTypeInfo;
import software.amazon.awssdk.services.ec2.model.InstanceTypeOffering;

/**
 * Where the offering source's on-demand prices come from: the Price List (the real adapter and SDK client, over the
 * wire to a local GetProducts server) for the types it prices, the bundled us-east-1 table for the rest, and the
 * bundled table alone while the Price List fails. EC2's own answers come from a stub, as they are not the subject.
 */
class Ec2OfferingSourcePricesTest {

  private static final String REGION = "eu-west-1";
  private static final List<String> TYPES = List.of("m5.large", "c5.large", "m6g.large", "hpc7a.12xlarge",
      "z9.large");

  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
  private final InMemoryClaimStore store = new InMemoryClaimStore(clock);
  private final ListAppender<ILoggingEvent> log = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(Ec2OfferingSource.class);
  private PriceListServer server;
  private AwsClients aws;

  @BeforeEach
  void capture() {
    log.start();
    logger.addAppender(log);
  }

  @AfterEach
  void close() {
    logger.detachAppender(log);
    if (aws != null) {
      aws.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void thePriceListPricesWhatItHasTheBundledTableTheRestAndItIsReadOnlyEverySixHours() {
    start(call -> Answer.page(List.of(
        product(REGION, "m5.large", "0.1070000000"),
        product(REGION, "m6g.large", "0.0860000000"),
        product(REGION, "hpc7a.12xlarge", "7.2000000000")), null));
    Ec2OfferingSource source = source(REGION, Duration.ofSeconds(5));

    OfferingCatalog catalog = source.catalog();

    assertThat(source.servingLivePrices()).isTrue();
    assertThat(source.servingBundled()).isFalse();
    assertThat(catalog.region()).isEqualTo(REGION);
    assertThat(onDemand(catalog, "m5.large")).isEqualTo(0.107);
    assertThat(onDemand(catalog, "m6g.large")).isEqualTo(0.086);
    // in the Price List only, so now in the catalog too
    assertThat(onDemand(catalog, "hpc7a.12xlarge")).isEqualTo(7.2);
    // the Price List lacks it: the bundled us-east-1 price, and the log says whose it is
    assertThat(onDemand(catalog, "c5.large")).isEqualTo(0.085);
    // priced by neither
    assertThat(catalog.type("z9.large")).isNull();
    assertThat(warnings()).singleElement().satisfies(w -> assertThat(w)
        .contains("1 instance types in eu-west-1 are us-east-1's").contains("c5.large"));

    clock.advance(Ec2OfferingSource.REFRESH);
    source.catalog();
    assertThat(server.calls()).hasSize(1);
    assertThat(warnings()).hasSize(1);

    clock.advance(Ec2OfferingSource.PRICE_REFRESH);
    source.catalog();
    assertThat(server.calls()).hasSize(2);
  }

  @Test
  void whileThePriceListThrottlesTheBundledTablePricesEveryTypeAndTheLogSaysSoOnce() {
    AtomicBoolean throttling = new AtomicBoolean(true);
    start(call -> throttling.get() ? Answer.throttled()
        : Answer.page(List.of(product(REGION, "m5.large", "0.1070000000")), null));
    // the default call timeout, which outlasts the retries' throttling backoff (at most 1 + 2 + 4 s)
    Ec2OfferingSource source = source(REGION, PriceListOnDemandPrices.CALL_TIMEOUT);

    OfferingCatalog catalog = source.catalog();

    assertThat(source.servingLivePrices()).isFalse();
    assertThat(source.servingBundled()).as("EC2 answered: only the prices are the table's").isFalse();
    assertThat(onDemand(catalog, "m5.large")).isEqualTo(0.096);
    assertThat(onDemand(catalog, "c5.large")).isEqualTo(0.085);
    assertThat(catalog.type("hpc7a.12xlarge")).isNull();
    assertThat(warnings()).hasSize(2)
        .anySatisfy(w -> assertThat(w).contains("Price List read for eu-west-1 failed")
            .contains("Rate exceeded").contains("the bundled us-east-1 table"))
        .anySatisfy(w -> assertThat(w).contains("3 instance types in eu-west-1 are us-east-1's")
            .contains("did not answer"));

    // asked again at the next build, still failing: nothing new in the log
    clock.advance(Ec2OfferingSource.REFRESH);
    source.catalog();
    assertThat(server.calls()).hasSize(2 * AwsClients.MAX_ATTEMPTS);
    assertThat(warnings()).hasSize(2);

    throttling.set(false);
    clock.advance(Ec2OfferingSource.REFRESH);
    catalog = source.catalog();
    assertThat(source.servingLivePrices()).isTrue();
    assertThat(onDemand(catalog, "m5.large")).isEqualTo(0.107);
  }

  @Test
  void aPriceListSlowerThanItsTimeoutLeavesUsEast1OnTheBundledTableWithoutTheForeignPriceWarning() {
    start(call -> Answer.page(List.of(product("us-east-1", "m5.large", "0.0960000000")), null).after(5_000));
    Ec2OfferingSource source = source("us-east-1", Duration.ofMillis(500));

    OfferingCatalog catalog = source.catalog();

    assertThat(source.servingLivePrices()).isFalse();
    assertThat(onDemand(catalog, "m5.large")).isEqualTo(0.096);
    assertThat(onDemand(catalog, "c5.large")).isEqualTo(0.085);
    assertThat(warnings()).singleElement().satisfies(w -> assertThat(w)
        .contains("Price List read for us-east-1 failed").contains("ApiCallTimeoutException"));
  }

  private void start(Function<PriceListServer.Call, Answer> responder) {
    server = PriceListServer.start(responder);
    aws = new AwsClients(AwsClients.Settings.emulator(server.endpoint(), Region.EU_WEST_1));
  }

  private Ec2OfferingSource source(String region, Duration priceCallTimeout) {
    PriceListOnDemandPrices prices = new PriceListOnDemandPrices(aws.pricing(), priceCallTimeout);
    return new Ec2OfferingSource(ec2(region), CatalogFile.bundled(), prices, region, store, clock);
  }

  private static double onDemand(OfferingCatalog catalog, String type) {
    return catalog.price(type, catalog.type(type).zones().getFirst(), CapacityType.ON_DEMAND);
  }

  private List<String> warnings() {
    return log.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
        .toList();
  }

  /** EC2 offering every type in two zones of the region, with no spot prices. */
  private static Ec2Client ec2(String region) {
    Map<String, String> arch = Map.of("m6g.large", "arm64");
    return new Ec2Client() {
      @Override
      public DescribeInstanceTypeOfferingsResponse describeInstanceTypeOfferings(
          DescribeInstanceTypeOfferingsRequest request) {
        return DescribeInstanceTypeOfferingsResponse.builder().instanceTypeOfferings(TYPES.stream()
            .flatMap(t -> List.of(region + "a", region + "b").stream()
                .map(z -> InstanceTypeOffering.builder().instanceType(t).location(z).build()))
            .toList()).build();
      }

      @Override
      public DescribeInstanceTypesResponse describeInstanceTypes(DescribeInstanceTypesRequest request) {
        return DescribeInstanceTypesResponse.builder().instanceTypes(TYPES.stream()
            .map(t -> InstanceTypeInfo.builder().instanceType(t).currentGeneration(true).bareMetal(false)
                .vCpuInfo(v -> v.defaultVCpus(2)).memoryInfo(m -> m.sizeInMiB(8192L))
                .networkInfo(n -> n.maximumNetworkInterfaces(3).ipv4AddressesPerInterface(10))
                .processorInfo(p -> p.supportedArchitecturesWithStrings(arch.getOrDefault(t, "x86_64")))
                .build())
            .toList()).build();
      }

      @Override
      public DescribeSpotPriceHistoryResponse describeSpotPriceHistory(DescribeSpotPriceHistoryRequest request) {
        return DescribeSpotPriceHistoryResponse.builder().build();
      }

      @Override
      public String serviceName() {
        return "ec2";
      }

      @Override
      public void close() {}
    };
  }
}
