package dev.flotilla.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.catalog.OnDemandPrices;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.pricing.PricingClient;
import software.amazon.awssdk.services.pricing.model.Filter;
import software.amazon.awssdk.services.pricing.model.FilterType;
import software.amazon.awssdk.services.pricing.model.GetProductsRequest;
import software.amazon.awssdk.services.pricing.model.GetProductsResponse;

/**
 * On-demand prices from the AWS Price List API: GetProducts for AmazonEC2 in one region (the {@code regionCode}
 * attribute), Linux, shared tenancy, no pre-installed software, capacity status Used, read page by page through
 * NextToken. Each answer is a JSON document per product; its instance type is {@code product.attributes.instanceType}
 * and its price {@code terms.OnDemand.*.priceDimensions.*.pricePerUnit.USD}.
 *
 * <p>A product without an instance type, without a price, or with a price that is not a positive number is left
 * out with a warning naming it: one bad item never fails the read. A call that fails (after the client's bounded
 * retries) or outlasts its timeout does, and so does a read of all pages that outlasts {@link #READ_BUDGET}, so a
 * slow Price List never holds a function to its own timeout: the caller then prices from its own table.
 */
public final class PriceListOnDemandPrices implements OnDemandPrices {

  /** Each GetProducts page must answer within this, retries included. */
  public static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
  /** Every page of a read must have answered within this (a page is about a second; a region about ten pages). */
  public static final Duration READ_BUDGET = Duration.ofSeconds(25);
  /** The most a page holds; a region's Linux types take about ten pages. */
  static final int PAGE_SIZE = 100;
  private static final Logger LOG = LoggerFactory.getLogger(PriceListOnDemandPrices.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final PricingClient pricing;
  private final Duration callTimeout;
  private final Duration readBudget;

  /** @param pricing a client built like {@link AwsClients#pricing()}: bounded retries, in a Price List region */
  public PriceListOnDemandPrices(PricingClient pricing) {
    this(pricing, CALL_TIMEOUT);
  }

  public PriceListOnDemandPrices(PricingClient pricing, Duration callTimeout) {
    this(pricing, callTimeout, READ_BUDGET);
  }

  public PriceListOnDemandPrices(PricingClient pricing, Duration callTimeout, Duration readBudget) {
    this.pricing = pricing;
    this.callTimeout = callTimeout;
    this.readBudget = readBudget;
  }

  /** @throws software.amazon.awssdk.core.exception.SdkException when a page cannot be read */
  @Override
  public Map<String, Double> usdPerHour(String region) {
    Map<String, Double> prices = new HashMap<>();
    long deadline = System.nanoTime() + readBudget.toNanos();
    String token = null;
    int pages = 0;
    do {
      Duration left = Duration.ofNanos(deadline - System.nanoTime());
      if (left.isNegative() || left.isZero()) {
        throw SdkClientException.create("Price List read for " + region + " did not finish within " + readBudget
            + " (" + pages + " page(s) read)");
      }
      GetProductsResponse page = pricing.getProducts(request(region, token, left.compareTo(callTimeout) < 0
          ? left : callTimeout));
      pages++;
      for (String document : page.priceList()) {
        parse(document).ifPresent(p -> prices.merge(p.type(), p.usdPerHour(), Math::min));
      }
      token = page.nextToken() == null || page.nextToken().isBlank() ? null : page.nextToken();
    } while (token != null);
    LOG.info("Price List: {} on-demand prices for {} in {} page(s)", prices.size(), region, pages);
    return prices;
  }

  private static GetProductsRequest request(String region, String token, Duration timeout) {
    return GetProductsRequest.builder()
        .serviceCode("AmazonEC2")
        .formatVersion("aws_v1")
        .filters(List.of(
            term("regionCode", region),
            term("operatingSystem", "Linux"),
            term("tenancy", "Shared"),
            term("preInstalledSw", "NA"),
            term("capacitystatus", "Used")))
        .maxResults(PAGE_SIZE)
        .nextToken(token)
        .overrideConfiguration(o -> o.apiCallTimeout(timeout))
        .build();
  }

  private static Filter term(String field, String value) {
    return Filter.builder().type(FilterType.TERM_MATCH).field(field).value(value).build();
  }

  /** One instance type's price. */
  record Price(String type, double usdPerHour) {
  }

  /** One PriceList document's type and hourly price; empty, with a warning, when either is missing or unusable. */
  static Optional<Price> parse(String document) {
    JsonNode root;
    try {
      root = JSON.readTree(document);
    } catch (IOException e) {
      LOG.warn("Price List: skipping a product that is not JSON ({})", e.getMessage());
      return Optional.empty();
    }
    JsonNode attributes = root.path("product").path("attributes");
    String type = attributes.path("instanceType").asText("");
    if (type.isBlank()) {
      LOG.warn("Price List: skipping product {}: it names no instance type", root.path("product").path("sku").asText("?"));
      return Optional.empty();
    }
    if (!otherwiseOnDemandLinux(attributes)) {
      return Optional.empty();
    }
    Double price = null;
    String seen = null;
    for (JsonNode term : iterable(root.path("terms").path("OnDemand"))) {
      for (JsonNode dimension : iterable(term.path("priceDimensions"))) {
        JsonNode usd = dimension.path("pricePerUnit").path("USD");
        if (usd.isMissingNode()) {
          continue;
        }
        seen = usd.asText();
        try {
          double value = Double.parseDouble(seen.trim());
          if (value > 0 && Double.isFinite(value)) {
            price = price == null ? value : Math.min(price, value);
          }
        } catch (NumberFormatException e) {
          // seen names it below
        }
      }
    }
    if (price == null) {
      if (seen == null) {
        LOG.warn("Price List: skipping {}: no on-demand USD price", type);
      } else {
        LOG.warn("Price List: skipping {}: on-demand USD price '{}' is not a positive number", type, seen);
      }
      return Optional.empty();
    }
    return Optional.of(new Price(type, price));
  }

  /**
   * The filters leave a few products beside plain on-demand Linux: capacity blocks and licence-included variants.
   * Attributes that are absent pass, since older documents lack them.
   */
  private static boolean otherwiseOnDemandLinux(JsonNode attributes) {
    String market = attributes.path("marketoption").asText("OnDemand");
    String licence = attributes.path("licenseModel").asText("No License required");
    return market.equals("OnDemand") && licence.equals("No License required");
  }

  private static Iterable<JsonNode> iterable(JsonNode node) {
    return node.isObject() ? node::elements : List.<JsonNode>of();
  }
}
