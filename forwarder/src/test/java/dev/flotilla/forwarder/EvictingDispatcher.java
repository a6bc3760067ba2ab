package dev.flotilla.forwarder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * fabric8's CRUD dispatcher with what it lacks: the Eviction subresource, and preconditions on a pod's delete. A POST
 * to {@code pods/NAME/eviction} is refused, as the API server's {@code EvictionREST} does before it looks at
 * preconditions, with 500 when two PodDisruptionBudgets guard a running pod, and with 429 when the one that does allows
 * no disruption and the pod is Ready (or its budget neither always allows unhealthy pods to go nor is healthy); with
 * 409 when the eviction's uid precondition names
 * another pod than the one of that name, and otherwise deletes the pod through the CRUD store, so informers see it
 * go. A DELETE of a pod is refused with 409 when its uid or resourceVersion precondition does not match the pod's.
 */
final class EvictingDispatcher extends KubernetesCrudDispatcher {

  private static final Pattern EVICTION = Pattern.compile("/api/v1/namespaces/([^/]+)/pods/([^/?]+)/eviction.*");
  private static final Pattern POD = Pattern.compile("(/api/v1/namespaces/[^/]+/pods/[^/?]+)(\\?.*)?");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The user agent of a test's own client whose requests {@link #served} leaves out: its checks, not the code's. */
  static final String OBSERVER = "flotilla-test-observer";

  /** Every request served, as "METHOD path", in the order they came. */
  final Queue<String> served = new ConcurrentLinkedQueue<>();

  /** How many of the next patches of a node to refuse with 409, as when the kubelet wrote the node meanwhile. */
  final AtomicInteger nodePatchesToRefuse = new AtomicInteger();

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    if (!OBSERVER.equals(request.getHeader("User-Agent"))) {
      served.add(request.getMethod() + " " + request.getPath());
    }
    if ("PATCH".equals(request.getMethod()) && request.getPath().startsWith("/api/v1/nodes/")
        && nodePatchesToRefuse.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      return conflict();
    }
    Matcher eviction = EVICTION.matcher(request.getPath());
    Matcher pod = POD.matcher(request.getPath());
    try {
      if ("POST".equals(request.getMethod()) && eviction.matches()) {
        return evict(eviction.group(1), "/api/v1/namespaces/" + eviction.group(1) + "/pods/" + eviction.group(2),
            JSON.readTree(request.getBody().readUtf8()).path("deleteOptions").path("preconditions"));
      }
      if ("DELETE".equals(request.getMethod()) && pod.matches()) {
        // read without consuming: the CRUD dispatcher still reads the delete's options
        String body = request.getBody() == null ? ""
            : new String(request.getBody().getBytes(), java.nio.charset.StandardCharsets.UTF_8);
        JsonNode stored = stored(pod.group(1));
        if (stored != null && !body.isBlank() && !met(JSON.readTree(body).path("preconditions"), stored)) {
          return conflict();
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return super.dispatch(request);
  }

  private MockResponse evict(String namespace, String podPath, JsonNode preconditions) throws java.io.IOException {
    JsonNode pod = stored(podPath);
    if (pod == null) {
      return new MockResponse().setResponseCode(404).setBody(status(404, "NotFound", "pod not found"));
    }
    String phase = pod.path("status").path("phase").asText("");
    boolean running = !List.of("Pending", "Succeeded", "Failed").contains(phase)
        && pod.path("metadata").path("deletionTimestamp").isMissingNode();
    List<JsonNode> guarding = new ArrayList<>();
    for (JsonNode pdb : JSON.readTree(handleGet("/apis/policy/v1/namespaces/" + namespace
        + "/poddisruptionbudgets").getBody().readUtf8()).path("items")) {
      if (!pdb.path("spec").path("selector").path("matchExpressions").isMissingNode()) {
        throw new IllegalStateException("this test server reads a budget's matchLabels only");
      }
      JsonNode matchLabels = pdb.path("spec").path("selector").path("matchLabels");
      // a missing or empty selector guards nothing
      if (running && !matchLabels.isEmpty() && selects(matchLabels, pod.path("metadata").path("labels"))) {
        guarding.add(pdb);
      }
    }
    if (guarding.size() > 1) {
      return new MockResponse().setResponseCode(500).setBody(status(500, "InternalError",
          "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."));
    }
    if (guarding.size() == 1 && refuses(guarding.getFirst(), pod)) {
      return new MockResponse().setResponseCode(429).setBody(status(429, "TooManyRequests",
          "Cannot evict pod as it would violate the pod's disruption budget."));
    }
    if (!met(preconditions, pod)) {
      return conflict();
    }
    handleDelete(podPath);
    return new MockResponse().setResponseCode(201).setBody(status(201, "Success", "evicted"));
  }

  private JsonNode stored(String podPath) throws java.io.IOException {
    MockResponse pod = handleGet(podPath);
    return pod.code() == 404 ? null : JSON.readTree(pod.getBody().readUtf8());
  }

  private static boolean met(JsonNode preconditions, JsonNode pod) {
    for (String field : new String[] {"uid", "resourceVersion"}) {
      String wanted = preconditions.path(field).asText(null);
      if (wanted != null && !wanted.equals(pod.path("metadata").path(field).asText(null))) {
        return false;
      }
    }
    return true;
  }

  private static MockResponse conflict() {
    return new MockResponse().setResponseCode(409).setBody(status(409, "Conflict",
        "Precondition failed: the object was modified or replaced"));
  }

  /** A pod not Ready goes without counting when its budget always allows that or is not disrupted now. */
  private static boolean refuses(JsonNode pdb, JsonNode pod) {
    boolean ready = false;
    for (JsonNode c : pod.path("status").path("conditions")) {
      ready |= "Ready".equals(c.path("type").asText()) && "True".equals(c.path("status").asText());
    }
    JsonNode status = pdb.path("status");
    if (!ready && ("AlwaysAllow".equals(pdb.path("spec").path("unhealthyPodEvictionPolicy").asText())
        || status.path("desiredHealthy").asInt(0) > 0
        && status.path("currentHealthy").asInt(0) >= status.path("desiredHealthy").asInt(0))) {
      return false;
    }
    return status.path("disruptionsAllowed").asInt(0) <= 0
        || status.has("observedGeneration")
        && status.path("observedGeneration").asLong() < pdb.path("metadata").path("generation").asLong(0);
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
