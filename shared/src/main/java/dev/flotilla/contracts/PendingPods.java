package dev.flotilla.contracts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.model.PendingPod;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * The pods pending in the cluster as the forwarder last saw them, mirrored into the table beside the nodes: the
 * consolidation check queues them ahead of the pods an action displaces, as kube-scheduler's queue has them (they
 * were pending first), so that an action is not counted on room they are about to take. Written as the {@code Pods
 * Pending} event writes its pods (kinds, each with its pods' names), under {@link #MAX_BYTES}: the pods past it are
 * left out, and how many is said. Rewritten at least every {@link #REFRESH}; one older than {@link #STALE_AFTER} is
 * from a forwarder gone (uninstalled, rolled back, leaderless) and is not read.
 *
 * @param at       when the forwarder saw the cluster this way
 * @param listedAt when the forwarder writing it had listed the cluster's pods (its start), or null when not said:
 *     a document written just after is of pods its handlers may not all have seen yet
 * @param pods     the pending pods the document holds
 * @param leftOut  how many more were pending, left out for the document's size
 */
public record PendingPods(Instant at, Instant listedAt, List<PendingPod> pods, int leftOut) {

  /**
   * Well under DynamoDB's 400 KB item: a write costs a unit a kilobyte, and the document shares its partition with
   * every node's state. About 10,000 pods of a few dozen deployments fit.
   */
  public static final int MAX_BYTES = 100 * 1024;
  /** How often the document is written at the least, changed or not. */
  public static final java.time.Duration REFRESH = java.time.Duration.ofMinutes(1);
  /** How old a document may be and still be read. */
  public static final java.time.Duration STALE_AFTER = java.time.Duration.ofMinutes(3);

  private static final ObjectMapper JSON = new ObjectMapper();

  public PendingPods {
    if (at == null) {
      throw new IllegalArgumentException("at is required");
    }
    pods = List.copyOf(pods);
    if (leftOut < 0) {
      throw new IllegalArgumentException("leftOut must not be negative");
    }
  }

  /** Whether the document is too old to be read at {@code now} ({@link #STALE_AFTER}). */
  public boolean staleAt(Instant now) {
    return at.plus(STALE_AFTER).isBefore(now);
  }

  /** All of {@code pods}, as the forwarder saw them {@code at}, its listing time not said. */
  public static PendingPods of(Instant at, List<PendingPod> pods) {
    return new PendingPods(at, null, pods, 0);
  }

  /** All of {@code pods}, as the forwarder that listed the cluster's pods at {@code listedAt} saw them {@code at}. */
  public static PendingPods of(Instant listedAt, Instant at, List<PendingPod> pods) {
    return new PendingPods(at, listedAt, pods, 0);
  }

  /** The document: its kinds in the order they first appear, as many of their pods as fit {@link #MAX_BYTES}. */
  public String toJson() {
    return toJson(MAX_BYTES);
  }

  String toJson(int maxBytes) {
    ObjectNode doc = JSON.createObjectNode();
    doc.put("at", at.toString());
    if (listedAt != null) {
      doc.put("listedAt", listedAt.toString());
    }
    ArrayNode kinds = doc.putArray("kinds");
    int bytes = doc.toString().getBytes(StandardCharsets.UTF_8).length + 24;
    int left = leftOut;
    // whole kinds first, in the order they first appear, passing over those larger than the room left; then as many
    // of the pods of those as still fit, so that one large deployment never keeps the others out
    List<PodsPending.Kind> all = PodsPending.kinds(pods);
    ObjectNode[] written = new ObjectNode[all.size()];
    for (int k = 0; k < all.size(); k++) {
      int size = PodsPending.size(all.get(k));
      if (bytes + size <= maxBytes) {
        written[k] = PodsPending.json(all.get(k));
        bytes += size;
      }
    }
    for (int k = 0; k < all.size(); k++) {
      PodsPending.Kind whole = all.get(k);
      if (written[k] != null) {
        continue;
      }
      int room = maxBytes - bytes;
      PodsPending.Kind part = room < PodsPending.size(new PodsPending.Kind(whole.namePrefix(), List.of(),
          whole.pod())) + 64 ? null : PodsPending.fitting(whole, room).getFirst();
      if (part != null && PodsPending.size(part) <= room) {
        written[k] = PodsPending.json(part);
        bytes += PodsPending.size(part);
        left += whole.names().size() - part.names().size();
      } else {
        left += whole.names().size();
      }
    }
    for (ObjectNode kind : written) {
      if (kind != null) {
        kinds.add(kind);
      }
    }
    doc.put("leftOut", left);
    return doc.toString();
  }

  /** Reads a mirrored document, naming the field that is wrong. */
  public static PendingPods parse(String json) {
    String what = "the mirrored pending pods document: ";
    JsonNode doc;
    try {
      doc = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(what + e.getOriginalMessage(), e);
    }
    if (doc == null || !doc.isObject()) {
      throw new IllegalArgumentException(what + "must be an object");
    }
    Instant at;
    try {
      at = Instant.parse(doc.path("at").asText(""));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(what + "at: must be an instant, got " + doc.path("at"), e);
    }
    Instant listedAt = null;
    if (doc.hasNonNull("listedAt")) {
      try {
        listedAt = Instant.parse(doc.get("listedAt").asText(""));
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(what + "listedAt: must be an instant, got " + doc.get("listedAt"), e);
      }
    }
    JsonNode kinds = doc.get("kinds");
    if (kinds == null || !kinds.isArray()) {
      throw new IllegalArgumentException(what + "kinds: must be an array");
    }
    JsonNode leftOut = doc.path("leftOut");
    if (!leftOut.isMissingNode() && (!leftOut.isInt() || leftOut.asInt() < 0)) {
      throw new IllegalArgumentException(what + "leftOut: must be a whole number of 0 or more");
    }
    try {
      return new PendingPods(at, listedAt, PodsPending.readKinds(kinds, what, "kinds", " in the document"),
          leftOut.asInt(0));
    } catch (InvalidEventException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }
}
