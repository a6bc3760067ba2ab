package dev.flotilla.functions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpResponse;

/**
 * An HTTP client that answers a decision's AWS calls here, without a network, as AWS would answer them starting from
 * an empty table: DynamoDB takes every write and finds again the items put; EC2's CreateFleet launches what was asked
 * for, of the first override's type and subnet. Clients over it run the SDK's whole request path (marshalling, signing, retries,
 * unmarshalling of JSON and XML answers) on a representative decision, so that the first real one finds it loaded
 * and compiled. Nothing it answers leaves the process.
 */
final class PrimingTransport implements SdkHttpClient {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final AtomicLong instances = new AtomicLong();
  /** Items put, by key, in the order first put. */
  private final Map<String, JsonNode> items = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>());
  private final Map<String, Integer> answered = new java.util.concurrent.ConcurrentHashMap<>();

  /** How many calls of each operation ({@code DynamoDB_20120810.Query}, {@code CreateFleet}) it answered. */
  Map<String, Integer> answered() {
    return Map.copyOf(answered);
  }

  @Override
  public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
    return new ExecutableHttpRequest() {
      @Override
      public HttpExecuteResponse call() throws IOException {
        String target = request.httpRequest().firstMatchingHeader("X-Amz-Target").orElse("");
        if (!target.isEmpty()) {
          answered.merge(target, 1, Integer::sum);
          return answer("application/x-amz-json-1.0", dynamo(target.substring(target.indexOf('.') + 1),
              body(request)));
        }
        Map<String, String> form = form(body(request));
        String action = form.getOrDefault("Action", "Unknown");
        answered.merge(action, 1, Integer::sum);
        return answer("text/xml", "CreateFleet".equals(action) ? createFleet(form)
            : "<" + action + "Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>priming"
                + "</requestId><return>true</return></" + action + "Response>");
      }

      @Override
      public void abort() {
        // answered at once: nothing to abort
      }
    };
  }

  /**
   * DynamoDB's answer: items put (alone or in a transaction) are kept, and reads find them, so that a second
   * decision reads claims and reservations as the first real one may; updates and deletes are taken and ignored.
   */
  private String dynamo(String operation, String body) throws IOException {
    JsonNode request = JSON.readTree(body);
    switch (operation) {
      case "TransactWriteItems" -> request.path("TransactItems").forEach(i -> keep(i.path("Put").path("Item")));
      case "PutItem" -> keep(request.path("Item"));
      case "GetItem" -> {
        JsonNode item = items.get(key(request.path("Key")));
        return item == null ? "{}" : "{\"Item\":" + item + "}";
      }
      case "BatchGetItem" -> {
        ObjectNode responses = JSON.createObjectNode();
        request.path("RequestItems").properties().forEach(table -> {
          ArrayNode found = responses.putArray(table.getKey());
          table.getValue().path("Keys").forEach(k -> {
            JsonNode item = items.get(key(k));
            if (item != null) {
              found.add(item);
            }
          });
        });
        return "{\"Responses\":" + responses + ",\"UnprocessedKeys\":{}}";
      }
      case "Query" -> {
        JsonNode values = request.path("ExpressionAttributeValues");
        String pk = values.path(":pk").path("S").asText();
        String prefix = values.path(":prefix").path("S").asText();
        ArrayNode found = JSON.createArrayNode();
        items.forEach((key, item) -> {
          if (item.path("pk").path("S").asText().equals(pk) && item.path("sk").path("S").asText().startsWith(prefix)) {
            found.add(item);
          }
        });
        return "{\"Items\":" + found + ",\"Count\":" + found.size() + ",\"ScannedCount\":" + found.size() + "}";
      }
      default -> {
        // taken: an update, a delete, a lease
      }
    }
    return "{}";
  }

  private void keep(JsonNode item) {
    if (item.has("pk") && item.has("sk")) {
      items.put(key(item), item);
    }
  }

  private static String key(JsonNode item) {
    return item.path("pk").path("S").asText() + "\n" + item.path("sk").path("S").asText();
  }

  private String createFleet(Map<String, String> form) {
    String type = form.getOrDefault("LaunchTemplateConfigs.1.Overrides.1.InstanceType", "m7g.large");
    String subnet = form.getOrDefault("LaunchTemplateConfigs.1.Overrides.1.SubnetId", "subnet-priming");
    int count = Integer.parseInt(form.getOrDefault("TargetCapacitySpecification.TotalTargetCapacity", "1"));
    String lifecycle = "spot".equals(form.get("TargetCapacitySpecification.DefaultTargetCapacityType"))
        ? "spot" : "on-demand";
    StringBuilder ids = new StringBuilder();
    for (int i = 0; i < count; i++) {
      ids.append("<item>i-priming").append(instances.incrementAndGet()).append("</item>");
    }
    return "<CreateFleetResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><fleetId>fleet-priming</fleetId>"
        + "<fleetInstanceSet><item><launchTemplateAndOverrides><launchTemplateSpecification><launchTemplateId>"
        + "lt-priming</launchTemplateId><version>1</version></launchTemplateSpecification><overrides><instanceType>"
        + type + "</instanceType><subnetId>" + subnet + "</subnetId></overrides></launchTemplateAndOverrides>"
        + "<lifecycle>" + lifecycle + "</lifecycle><instanceIds>" + ids + "</instanceIds><instanceType>" + type
        + "</instanceType></item></fleetInstanceSet><errorSet/><requestId>priming</requestId></CreateFleetResponse>";
  }

  private static String body(HttpExecuteRequest request) throws IOException {
    if (request.contentStreamProvider().isEmpty()) {
      return "";
    }
    try (InputStream in = request.contentStreamProvider().get().newStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static Map<String, String> form(String body) {
    Map<String, String> form = new HashMap<>();
    for (String pair : body.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        form.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return form;
  }

  private static HttpExecuteResponse answer(String contentType, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    return HttpExecuteResponse.builder()
        .response(SdkHttpResponse.builder().statusCode(200).putHeader("Content-Type", contentType)
            .putHeader("Content-Length", Integer.toString(bytes.length)).putHeader("x-amzn-RequestId", "priming")
            .build())
        .responseBody(AbortableInputStream.create(new ByteArrayInputStream(bytes)))
        .build();
  }

  @Override
  public String clientName() {
    return "Priming";
  }

  @Override
  public void close() {
    // holds nothing
  }
}
