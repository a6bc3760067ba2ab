package dev.flotilla.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A stand-in for the AWS Price List API on 127.0.0.1, as no emulator has one: it takes GetProducts calls as the
 * SDK sends them (AWS JSON 1.1, POST /, {@code X-Amz-Target: AWSPriceListService.GetProducts}) and answers what the
 * test's responder returns, in the API's own format: each product a JSON document inside a string.
 */
public final class PriceListServer implements AutoCloseable {

  public static final String TARGET = "AWSPriceListService.GetProducts";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One call as it arrived. */
  public record Call(String target, String authorization, JsonNode body) {

    public String nextToken() {
      return body.path("NextToken").isMissingNode() ? null : body.path("NextToken").asText();
    }

    /** The request's TERM_MATCH filters, field to value. */
    public Map<String, String> filters() {
      java.util.Map<String, String> result = new java.util.TreeMap<>();
      body.path("Filters").forEach(f -> result.put(f.path("Field").asText(), f.path("Value").asText()));
      return result;
    }
  }

  /** An answer: an HTTP status and a JSON body; a delay before it, to outlast a client's timeout. */
  public record Answer(int status, String body, long delayMillis) {

    /** A page of products, with the token of the next page (null on the last). */
    public static Answer page(List<String> products, String nextToken) {
      ObjectNode body = JSON.createObjectNode().put("FormatVersion", "aws_v1");
      ArrayNode list = body.putArray("PriceList");
      products.forEach(list::add);
      if (nextToken != null) {
        body.put("NextToken", nextToken);
      }
      return new Answer(200, body.toString(), 0);
    }

    public static Answer throttled() {
      return new Answer(400, "{\"__type\":\"ThrottlingException\",\"Message\":\"Rate exceeded\"}", 0);
    }

    public Answer after(long millis) {
      return new Answer(status, body, millis);
    }
  }

  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final List<Call> calls = new CopyOnWriteArrayList<>();

  private PriceListServer(Function<Call, Answer> responder) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(threads);
    server.createContext("/", exchange -> answer(exchange, responder));
    server.start();
  }

  public static PriceListServer start(Function<Call, Answer> responder) {
    try {
      return new PriceListServer(responder);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  public List<Call> calls() {
    return List.copyOf(calls);
  }

  private void answer(HttpExchange exchange, Function<Call, Answer> responder) throws IOException {
    try (exchange) {
      byte[] in = exchange.getRequestBody().readAllBytes();
      Call call = new Call(exchange.getRequestHeaders().getFirst("X-Amz-Target"),
          exchange.getRequestHeaders().getFirst("Authorization"),
          JSON.readTree(in.length == 0 ? "{}" : new String(in, StandardCharsets.UTF_8)));
      calls.add(call);
      Answer answer = TARGET.equals(call.target()) ? responder.apply(call)
          : new Answer(400, "{\"__type\":\"UnknownOperationException\"}", 0);
      if (answer.delayMillis() > 0) {
        Thread.sleep(answer.delayMillis());
      }
      byte[] out = answer.body().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
      exchange.getResponseHeaders().add("x-amzn-RequestId", "req-" + calls.size());
      exchange.sendResponseHeaders(answer.status(), out.length);
      exchange.getResponseBody().write(out);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // the client gave up (its timeout): nothing to answer
    }
  }

  /**
   * A product document as the Price List returns it for a Linux, shared-tenancy instance type: the attributes the
   * filters match, and one on-demand term with one hourly price dimension ({@code usd} null: no on-demand term).
   */
  public static String product(String region, String instanceType, String usd) {
    return product(region, instanceType, usd, "OnDemand");
  }

  public static String product(String region, String instanceType, String usd, String marketOption) {
    String sku = Integer.toHexString((region + instanceType + marketOption).hashCode()).toUpperCase();
    ObjectNode root = JSON.createObjectNode();
    ObjectNode product = root.putObject("product").put("productFamily", "Compute Instance").put("sku", sku);
    ObjectNode attributes = product.putObject("attributes");
    attributes.put("servicecode", "AmazonEC2").put("regionCode", region).put("location", "Somewhere")
        .put("locationType", "AWS Region").put("instanceType", instanceType).put("operatingSystem", "Linux")
        .put("tenancy", "Shared").put("preInstalledSw", "NA").put("capacitystatus", "Used")
        .put("licenseModel", "No License required").put("marketoption", marketOption)
        .put("usagetype", "BoxUsage:" + instanceType).put("operation", "RunInstances").put("vcpu", "2");
    root.put("serviceCode", "AmazonEC2").put("version", "20261120000000")
        .put("publicationDate", "2026-11-20T00:00:00Z");
    ObjectNode terms = root.putObject("terms");
    if (usd != null) {
      String term = sku + ".JRTCKXETXF";
      ObjectNode onDemand = terms.putObject("OnDemand").putObject(term)
          .put("offerTermCode", "JRTCKXETXF").put("sku", sku).put("effectiveDate", "2026-11-01T00:00:00Z");
      onDemand.putObject("termAttributes");
      onDemand.putObject("priceDimensions").putObject(term + ".6YS6EN2CT7")
          .put("unit", "Hrs").put("beginRange", "0").put("endRange", "Inf")
          .put("description", "$" + usd + " per On Demand Linux " + instanceType + " Instance Hour")
          .put("rateCode", term + ".6YS6EN2CT7").<ObjectNode>set("appliesTo", JSON.createArrayNode())
          .putObject("pricePerUnit").put("USD", usd);
    }
    return root.toString();
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
