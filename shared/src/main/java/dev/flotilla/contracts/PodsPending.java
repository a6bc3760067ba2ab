package dev.flotilla.contracts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.events.BusEvent;
import dev.flotilla.model.PendingPod;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The detail of a {@code Pods Pending} event: pods the Kubernetes scheduler could not place, with their facts.
 *
 * <p>On the bus (version 2) the pods travel as kinds: the facts of pods alike but for their names once, with the
 * names of its pods after a common prefix. The pods of one deployment make one kind, so a burst of 10,000 pods of 60
 * deployments is about 60 pod specs and 10,000 short name suffixes: one entry, planned as one. A batch that still
 * exceeds an entry is split between whole kinds (a kind alone too large, between its names), each part saying so;
 * see {@link #events}.
 *
 * @param part  which of the batch's {@code parts} this event is, from 1
 */
public record PodsPending(String cluster, String batchId, int part, int parts, List<PendingPod> pods) {

  /** The version this class writes; version 1 (a flat {@code pods} list) is still read. */
  public static final int VERSION = 2;
  /** Room left in an entry for the envelope fields EventBridge counts besides the detail. */
  public static final int ENTRY_BUDGET = BusEvent.MAX_BYTES - 4 * 1024;

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
    if (parts < 1 || part < 1 || part > parts) {
      throw new IllegalArgumentException("part " + part + " of " + parts + " is not a part of a batch");
    }
    pods = List.copyOf(pods);
  }

  /** A whole batch in one event. */
  public PodsPending(String cluster, String batchId, List<PendingPod> pods) {
    this(cluster, batchId, 1, 1, pods);
  }

  /** One kind on the bus: the shared facts, and its pods' names as {@code namePrefix + name}. */
  record Kind(String namePrefix, List<String> names, ObjectNode pod) {}

  /**
   * The batch as Pods Pending events: one, unless its kinds together exceed an entry; then as few parts as whole
   * kinds allow, in the order the kinds first appear, and a kind alone larger than an entry split between its
   * names. Every part carries the batch's id and says which part of how many it is.
   */
  public static List<BusEvent> events(String cluster, String batchId, List<PendingPod> pods) {
    List<Kind> kinds = kinds(pods);
    int envelope = detail(cluster, batchId, 1, 1, List.of()).getBytes(StandardCharsets.UTF_8).length
        + new BusEvent(Envelope.FORWARDER, Envelope.PODS_PENDING, "").sizeBytes();
    List<List<Kind>> parts = new ArrayList<>();
    List<Kind> current = new ArrayList<>();
    int bytes = envelope;
    for (Kind whole : kinds) {
      for (Kind kind : fitting(whole, ENTRY_BUDGET - envelope)) {
        int size = size(kind);
        if (!current.isEmpty() && bytes + size > ENTRY_BUDGET) {
          parts.add(current);
          current = new ArrayList<>();
          bytes = envelope;
        }
        current.add(kind);
        bytes += size;
      }
    }
    parts.add(current);
    List<BusEvent> events = new ArrayList<>(parts.size());
    for (int i = 0; i < parts.size(); i++) {
      events.add(new BusEvent(Envelope.FORWARDER, Envelope.PODS_PENDING,
          detail(cluster, batchId, i + 1, parts.size(), parts.get(i))));
    }
    return events;
  }

  /** This event alone, in the bus format (its kinds are assumed to fit an entry). */
  public BusEvent toBusEvent() {
    return new BusEvent(Envelope.FORWARDER, Envelope.PODS_PENDING, detail(cluster, batchId, part, parts, kinds(pods)));
  }

  /** Reads the detail, naming the field and its path when something is wrong. */
  public static PodsPending from(Envelope event) {
    event.expect(Envelope.FORWARDER, Envelope.PODS_PENDING);
    String what = "Pods Pending event " + event.id() + ": ";
    JsonNode d = event.detail();
    JsonNode version = d.get("version");
    if (version == null && d.has("pods")) {
      return readV1(event, what);
    }
    if (version == null || !version.isInt() || version.asInt() != VERSION) {
      throw new InvalidEventException(what + "detail.version: expected " + VERSION + " (or 1 without the field), got "
          + (version == null ? "nothing" : version.toString()));
    }
    String cluster = text(d, "cluster", what, true);
    String batchId = text(d, "batchId", what, false);
    int part = count(d, "part", what);
    int parts = count(d, "parts", what);
    if (part > parts) {
      throw new InvalidEventException(what + "detail.part: " + part + " is beyond detail.parts " + parts);
    }
    JsonNode kinds = d.get("kinds");
    if (kinds == null || !kinds.isArray() || kinds.isEmpty()) {
      throw new InvalidEventException(what + "detail.kinds: must be a non-empty array");
    }
    List<PendingPod> pods = readKinds(kinds, what, "detail.kinds", " in the event");
    return new PodsPending(cluster, batchId, part, parts, pods);
  }

  /**
   * Reads pods written as kinds ({@link #kinds}), naming the field and its path when something is wrong.
   *
   * @param what  what is read, as the start of every message
   * @param where the kinds' path in it
   * @param scope where a name may appear only once, for the message
   */
  static List<PendingPod> readKinds(JsonNode kinds, String what, String where, String scope) {
    List<PendingPod> pods = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int k = 0; k < kinds.size(); k++) {
      String at = where + "[" + k + "]";
      JsonNode kind = kinds.get(k);
      if (!kind.isObject()) {
        throw new InvalidEventException(what + at + ": must be an object");
      }
      JsonNode prefixNode = kind.path("namePrefix");
      if (!prefixNode.isMissingNode() && !prefixNode.isTextual()) {
        throw new InvalidEventException(what + at + ".namePrefix: must be text");
      }
      String prefix = prefixNode.asText("");
      JsonNode names = kind.get("names");
      if (names == null || !names.isArray() || names.isEmpty()) {
        throw new InvalidEventException(what + at + ".names: must be a non-empty array of pod names");
      }
      JsonNode facts = kind.get("pod");
      if (facts == null || !facts.isObject()) {
        throw new InvalidEventException(what + at + ".pod: must be an object with the pods' facts");
      }
      List<String> full = new ArrayList<>(names.size());
      for (int i = 0; i < names.size(); i++) {
        JsonNode n = names.get(i);
        String name = prefix + n.asText();
        if (!n.isTextual() || name.isBlank()) {
          throw new InvalidEventException(what + at + ".names[" + i + "]: must be a pod name");
        }
        if (!seen.add(name)) {
          throw new InvalidEventException(what + at + ".names[" + i + "]: '" + name + "' appears twice" + scope);
        }
        full.add(name);
      }
      PendingPod template = pod(what, ((ObjectNode) facts.deepCopy()).put("name", full.getFirst()), at + ".pod");
      for (String name : full) {
        pods.add(name.equals(template.name()) ? template : template.withName(name));
      }
    }
    return pods;
  }

  /** The format before kinds: every pod whole, in {@code detail.pods}. */
  private static PodsPending readV1(Envelope event, String what) {
    JsonNode d = event.detail();
    String cluster = text(d, "cluster", what, true);
    JsonNode pods = d.get("pods");
    if (!pods.isArray() || pods.isEmpty()) {
      throw new InvalidEventException(what + "detail.pods: must be a non-empty array");
    }
    List<PendingPod> read = new ArrayList<>();
    for (int i = 0; i < pods.size(); i++) {
      read.add(pod(what, pods.get(i), "detail.pods[" + i + "]"));
    }
    return new PodsPending(cluster, d.path("batchId").asText(null), read);
  }

  private static PendingPod pod(String what, JsonNode facts, String at) {
    try {
      return JSON.treeToValue(facts, PendingPod.class);
    } catch (JsonMappingException e) {
      String path = e.getPath().stream()
          .map(r -> r.getFieldName() != null ? "." + r.getFieldName() : "[" + r.getIndex() + "]")
          .reduce(at, String::concat);
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      throw new InvalidEventException(what + path + ": "
          + (root instanceof IllegalArgumentException ? root.getMessage() : e.getOriginalMessage()), e);
    } catch (JsonProcessingException e) {
      throw new InvalidEventException(what + at + ": " + e.getOriginalMessage(), e);
    }
  }

  private static String text(JsonNode d, String field, String what, boolean required) {
    JsonNode v = d.get(field);
    if (v == null || v.isNull()) {
      if (required) {
        throw new InvalidEventException(what + "detail." + field + ": is required");
      }
      return null;
    }
    if (!v.isTextual() || (required && v.asText().isBlank())) {
      throw new InvalidEventException(what + "detail." + field + ": must be " + (required ? "non-blank " : "")
          + "text");
    }
    return v.asText();
  }

  private static int count(JsonNode d, String field, String what) {
    JsonNode v = d.get(field);
    if (v == null || !v.isInt() || v.asInt() < 1) {
      throw new InvalidEventException(what + "detail." + field + ": must be a whole number of 1 or more");
    }
    return v.asInt();
  }

  /** The pods grouped by everything but their names, in the order each kind first appears. */
  static List<Kind> kinds(List<PendingPod> pods) {
    Map<PendingPod, List<String>> byFacts = new LinkedHashMap<>();
    Set<String> seen = new HashSet<>();
    for (PendingPod p : pods) {
      if (seen.add(p.name())) {
        byFacts.computeIfAbsent(p.kind(), k -> new ArrayList<>()).add(p.name());
      }
    }
    List<Kind> kinds = new ArrayList<>(byFacts.size());
    byFacts.forEach((facts, names) -> {
      String prefix = prefix(names);
      ObjectNode pod = JSON.valueToTree(facts);
      pod.remove("name");
      kinds.add(new Kind(prefix, names.stream().map(n -> n.substring(prefix.length())).toList(), pod));
    });
    return kinds;
  }

  /**
   * The names' common prefix, cut back to just after a '/' or '-' so that what is left of each name reads as its
   * own ({@code default/web-7d9f8c6b5-} and {@code x2k4p}, {@code default/db-} and {@code 10}); never a whole name.
   */
  static String prefix(List<String> names) {
    String first = names.getFirst();
    int common = first.length() - 1;
    for (String n : names) {
      int i = 0;
      int max = Math.min(common, n.length() - 1);
      while (i < max && n.charAt(i) == first.charAt(i)) {
        i++;
      }
      common = i;
    }
    int cut = common;
    while (cut > 0 && first.charAt(cut - 1) != '/' && first.charAt(cut - 1) != '-') {
      cut--;
    }
    return first.substring(0, cut);
  }

  /** The kind as one or more kinds, each small enough for an entry on its own. */
  static List<Kind> fitting(Kind kind, int room) {
    if (size(kind) <= room) {
      return List.of(kind);
    }
    int fixed = size(new Kind(kind.namePrefix(), List.of(), kind.pod()));
    List<Kind> pieces = new ArrayList<>();
    List<String> names = new ArrayList<>();
    int bytes = fixed;
    for (String n : kind.names()) {
      int size = n.getBytes(StandardCharsets.UTF_8).length + 3;
      if (!names.isEmpty() && bytes + size > room) {
        pieces.add(new Kind(kind.namePrefix(), names, kind.pod()));
        names = new ArrayList<>();
        bytes = fixed;
      }
      names.add(n);
      bytes += size;
    }
    pieces.add(new Kind(kind.namePrefix(), names, kind.pod()));
    return pieces;
  }

  /** The bytes a kind adds to a detail: its JSON and a separator. */
  static int size(Kind kind) {
    return json(kind).toString().getBytes(StandardCharsets.UTF_8).length + 1;
  }

  static ObjectNode json(Kind kind) {
    ObjectNode n = JSON.createObjectNode();
    n.put("namePrefix", kind.namePrefix());
    ArrayNode names = n.putArray("names");
    kind.names().forEach(names::add);
    n.set("pod", kind.pod());
    return n;
  }

  private static String detail(String cluster, String batchId, int part, int parts, List<Kind> kinds) {
    ObjectNode d = JSON.createObjectNode();
    d.put("version", VERSION).put("cluster", cluster);
    if (batchId != null) {
      d.put("batchId", batchId);
    }
    d.put("part", part).put("parts", parts);
    ArrayNode array = d.putArray("kinds");
    kinds.forEach(k -> array.add(json(k)));
    return d.toString();
  }
}
