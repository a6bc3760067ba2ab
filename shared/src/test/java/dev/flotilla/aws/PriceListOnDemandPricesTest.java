package dev.flotilla.aws;

import static dev.flotilla.testing.PriceListServer.product;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.flotilla.testing.PriceListServer;
import dev.flotilla.testing.PriceListServer.Answer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.regions.Region;

/**
 * The Price List adapter over the wire: the SDK's pricing client, built by {@link AwsClients} as in Lambda, calls a
 * local server that answers GetProducts in the API's format.
 */
class PriceListOnDemandPricesTest {

  private final ListAppender<ILoggingEvent> log = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(PriceListOnDemandPrices.class);
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
  void readsEveryPageAndLeavesOutProductsWithoutAUsablePrice() {
    start(call -> call.nextToken() == null
        ? Answer.page(List.of(
            product("eu-west-1", "m5.large", "0.1070000000"),
            product("eu-west-1", "c5.large", "0.0960000000"),
            product("eu-west-1", "t3.micro", null)), "page-2")
        : Answer.page(List.of(
            product("eu-west-1", "m6g.large", "0.0860000000"),
            product("eu-west-1", "r5.large", "N/A"),
            product("eu-west-1", "m5.xlarge", "0.0000000000"),
            product("eu-west-1", "p5.48xlarge", "31.4640000000", "CapacityBlock"),
            "{\"product\": {\"attributes\": "), null));

    Map<String, Double> prices = new PriceListOnDemandPrices(aws.pricing()).usdPerHour("eu-west-1");

    assertThat(prices).containsExactlyInAnyOrderEntriesOf(Map.of(
        "m5.large", 0.107, "c5.large", 0.096, "m6g.large", 0.086));
    List<PriceListServer.Call> calls = server.calls();
    assertThat(calls).hasSize(2);
    assertThat(calls.get(0).nextToken()).isNull();
    assertThat(calls.get(1).nextToken()).isEqualTo("page-2");
    for (PriceListServer.Call call : calls) {
      assertThat(call.target()).isEqualTo(PriceListServer.TARGET);
      assertThat(call.body().path("ServiceCode").asText()).isEqualTo("AmazonEC2");
      assertThat(call.body().path("MaxResults").asInt()).isEqualTo(100);
      assertThat(call.filters()).containsExactlyInAnyOrderEntriesOf(Map.of("regionCode", "eu-west-1",
          "operatingSystem", "Linux", "tenancy", "Shared", "preInstalledSw", "NA", "capacitystatus", "Used"));
      assertThat(call.body().path("Filters").findValuesAsText("Type")).containsOnly("TERM_MATCH");
      // signed for the Price List's own region, whatever region the function runs in
      assertThat(call.authorization()).contains("/us-east-1/pricing/aws4_request");
    }
    assertThat(warnings()).anySatisfy(w -> assertThat(w).contains("t3.micro").contains("no on-demand USD price"))
        .anySatisfy(w -> assertThat(w).contains("r5.large").contains("'N/A'"))
        .anySatisfy(w -> assertThat(w).contains("m5.xlarge").contains("'0.0000000000'"))
        .anySatisfy(w -> assertThat(w).contains("not JSON"))
        .noneSatisfy(w -> assertThat(w).contains("p5.48xlarge"));
  }

  @Test
  void throttlingFailsTheReadAfterTheClientsBoundedRetries() {
    start(call -> Answer.throttled());

    assertThatThrownBy(() -> new PriceListOnDemandPrices(aws.pricing()).usdPerHour("eu-west-1"))
        .isInstanceOfSatisfying(AwsServiceException.class, e -> {
          assertThat(e.isThrottlingException()).isTrue();
          assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ThrottlingException");
        });
    assertThat(server.calls()).hasSize(AwsClients.MAX_ATTEMPTS);
  }

  @Test
  void anAnswerSlowerThanTheCallTimeoutFailsTheRead() {
    start(call -> Answer.page(List.of(product("eu-west-1", "m5.large", "0.107")), null).after(5_000));

    long started = System.nanoTime();
    assertThatThrownBy(() -> new PriceListOnDemandPrices(aws.pricing(), Duration.ofMillis(800))
        .usdPerHour("eu-west-1")).isInstanceOf(ApiCallTimeoutException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(4));
  }

  @Test
  void aReadWhosePagesOutlastItsBudgetFails() {
    java.util.concurrent.atomic.AtomicInteger page = new java.util.concurrent.atomic.AtomicInteger();
    start(call -> Answer.page(List.of(product("eu-west-1", "m5.large", "0.107")), "page-" + page.incrementAndGet())
        .after(300));

    assertThatThrownBy(() -> new PriceListOnDemandPrices(aws.pricing(), Duration.ofSeconds(5),
        Duration.ofMillis(1_000)).usdPerHour("eu-west-1"))
        // the budget left caps the last page's call timeout, or runs out between pages
        .isInstanceOf(software.amazon.awssdk.core.exception.SdkClientException.class);
    assertThat(server.calls().size()).isBetween(2, 5);
  }

  private void start(java.util.function.Function<PriceListServer.Call, Answer> responder) {
    server = PriceListServer.start(responder);
    aws = new AwsClients(AwsClients.Settings.emulator(server.endpoint(), Region.EU_WEST_1));
  }

  private List<String> warnings() {
    return log.list.stream().filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
        .map(ILoggingEvent::getFormattedMessage).toList();
  }
}
