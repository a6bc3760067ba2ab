package dev.flotilla.forwarder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * fabric8's CRUD dispatcher with the one thing it lacks: the Eviction subresource. A POST to
 * {@code pods/NAME/eviction} is refused with 429 when a PodDisruptionBudget selecting the pod allows no disruption
 * (as the API server does), with 409 when the eviction's uid precondition names another pod than the one of that
 * name, and otherwise deletes the pod through the CRUD store, so informers see it go.
 */
final class EvictingDispatcher extends KubernetesCrudDispatcher {

  private static final Pattern EVICTION = Pattern.compile("/api/v1/namespaces/([^/]+)/pods/([^/?]+)/eviction.*");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Every request served, as "METHOD path", in the order they came. */
  final Queue<String> served = new ConcurrentLinkedQueue<>();

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    served.add(request.getMethod() + " " + request.getPath());
    Matcher m = EVICTION.matcher(request.getPath());
    if (!"POST".equals(request.getMethod()) || !m.matches()) {
      return super.dispatch(request);
    }
    String podPath = "/api/v1/namespaces/" + m.group(1) + "/pods/" + m.group(2);
    try {
      MockResponse pod = handleGet(podPath);
      if (pod.code() == 404) {
        return new MockResponse().setResponseCode(404).setBody(status(404, "NotFound", "pod not found"));
      }
      JsonNode metadata = JSON.readTree(pod.getBody().readUtf8()).path("metadata");
      JsonNode labels = metadata.path("labels");
      String uid = JSON.readTree(request.getBody().readUtf8()).path("deleteOptions").path("preconditions")
          .path("uid").asText(null);
      if (uid != null && !uid.equals(metadata.path("uid").asText(null))) {
        return new MockResponse().setResponseCode(409).setBody(status(409, "Conflict",
            "Precondition failed: UID in precondition: " + uid));
      }
      JsonNode budgets = JSON.readTree(handleGet("/apis/policy/v1/namespaces/" + m.group(1)
          + "/poddisruptionbudgets").getBody().readUtf8()).path("items");
      for (JsonNode pdb : budgets) {
        if (selects(pdb.path("spec").path("selector").path("matchLabels"), labels)
            && pdb.path("status").path("disruptionsAllowed").asInt(0) <= 0) {
          return new MockResponse().setResponseCode(429).setBody(status(429, "TooManyRequests",
              "Cannot evict pod as it would violate the pod's disruption budget."));
        }
      }
      handleDelete(podPath);
      return new MockResponse().setResponseCode(201).setBody(status(201, "Success", "evicted"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static boolean selects(JsonNode matchLabels, JsonNode labels) {
    Map<String, String> want = new HashMap<>();
    matchLabels.properties().forEach(e -> want.put(e.getKey(), e.getValue().asText()));
    return want.entrySet().stream().allMatch(e -> e.getValue().equals(labels.path(e.getKey()).asText(null)));
  }

  private static String status(int code, String reason, String message) {
    return "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"" + (code < 300 ? "Success" : "Failure")
        + "\",\"reason\":\"" + reason + "\",\"message\":\"" + message + "\",\"code\":" + code + "}";
  }
}
