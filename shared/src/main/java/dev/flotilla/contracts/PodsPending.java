package dev.flotilla.contracts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.events.BusEvent;
import dev.flotilla.model.PendingPod;
import java.util.List;

/** The detail of a {@code Pods Pending} event: pods the Kubernetes scheduler could not place, with their facts. */
public record PodsPending(String cluster, String batchId, List<PendingPod> pods) {

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  public PodsPending {
    if (cluster == null || cluster.isBlank()) {
      throw new IllegalArgumentException("cluster is required");
    }
    if (pods == null || pods.isEmpty()) {
      throw new IllegalArgumentException("pods must not be empty");
    }
    pods = List.copyOf(pods);
  }

  /** Reads the detail, naming the field and its path when something is wrong. */
  public static PodsPending from(Envelope event) {
    event.expect(Envelope.FORWARDER, Envelope.PODS_PENDING);
    try {
      return JSON.treeToValue(event.detail(), PodsPending.class);
    } catch (JsonMappingException e) {
      String path = e.getPath().stream()
          .map(r -> r.getFieldName() != null ? "." + r.getFieldName() : "[" + r.getIndex() + "]")
          .reduce("detail", String::concat);
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      throw new InvalidEventException("Pods Pending event " + event.id() + ": " + path + ": "
          + (root instanceof IllegalArgumentException ? root.getMessage() : e.getOriginalMessage()), e);
    } catch (JsonProcessingException e) {
      throw new InvalidEventException("Pods Pending event " + event.id() + ": " + e.getOriginalMessage(), e);
    }
  }

  /** The bytes one pod adds to an event's detail (its JSON and a separator). */
  public static int sizeOf(PendingPod pod) {
    try {
      return JSON.writeValueAsBytes(pod).length + 1;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  public BusEvent toBusEvent() {
    try {
      return new BusEvent(Envelope.FORWARDER, Envelope.PODS_PENDING, JSON.writeValueAsString(this));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
