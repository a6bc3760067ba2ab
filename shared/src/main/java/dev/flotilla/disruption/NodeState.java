package dev.flotilla.disruption;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Quantity;
import dev.flotilla.model.Resources;
import dev.flotilla.model.Taint;
import dev.flotilla.model.WellKnownLabels;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node as the forwarder mirrors it into the claim store: what disruption decisions read instead of the cluster.
 *
 * @param pods every pod bound to the node, with the facts the scheduler needs and the PodDisruptionBudget headroom
 */
public record NodeState(String node, String instanceId, Map<String, String> labels, boolean doNotDisrupt,
    Resources allocatable, List<Taint> taints, List<NodePod> pods, List<Condition> conditions) {

  /**
   * One of the node's status conditions ({@code Ready}, {@code MemoryPressure}, ...) and when its status last
   * changed: what repair judges a node by.
   */
  public record Condition(String type, String status, java.time.Instant lastTransitionTime) {}

  /** A node whose conditions are not mirrored: taken as Ready. */
  public NodeState(String node, String instanceId, Map<String, String> labels, boolean doNotDisrupt,
      Resources allocatable, List<Taint> taints, List<NodePod> pods) {
    this(node, instanceId, labels, doNotDisrupt, allocatable, taints, pods, List.of());
  }

  /** The node's condition of this type, if mirrored. */
  public java.util.Optional<Condition> condition(String type) {
    return conditions.stream().filter(c -> c.type().equals(type)).findFirst();
  }

  /** Whether the node is Ready: its Ready condition is True, or not mirrored at all. */
  public boolean ready() {
    return condition("Ready").map(c -> "True".equals(c.status())).orElse(true);
  }

  /** A pod on the node; {@code disruptionsAllowed} is -1 when no budget covers it. */
  public record NodePod(PendingPod pod, int disruptionsAllowed) {

    public boolean daemon() {
      return "DaemonSet".equals(pod.ownerKind());
    }

    /** Why evicting it is not allowed now, or null when it may go. */
    public String blocker() {
      if (pod.doNotDisrupt()) {
        return "pod " + pod.name() + " is marked do-not-disrupt";
      }
      if (pod.ownerKind().isEmpty()) {
        return "pod " + pod.name() + " has no controller to recreate it";
      }
      if (disruptionsAllowed == 0) {
        return "pod " + pod.name() + " is protected by a PodDisruptionBudget that allows no disruption";
      }
      return null;
    }
  }

  // the mirror adds fields beside the pod's facts (its disruption headroom)
  private static final ObjectMapper JSON = new ObjectMapper()
      .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  public NodeState {
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    allocatable = allocatable == null ? Resources.NONE : allocatable;
    taints = taints == null ? List.of() : List.copyOf(taints);
    pods = pods == null ? List.of() : List.copyOf(pods);
    conditions = conditions == null ? List.of() : List.copyOf(conditions);
  }

  /** The pods that would need a new home if the node went: all but the DaemonSet's. */
  public List<PendingPod> displaced() {
    return pods.stream().filter(p -> !p.daemon()).map(NodePod::pod).toList();
  }

  /**
   * Loads this node into {@code binder} as the cluster's scheduler sees it: its pods bound, and without the startup
   * taint, which does not keep out the pods nominated to the node (they are tried before it goes).
   */
  public void joinTo(dev.flotilla.binding.Binder binder) {
    binder.addNode(node, labels, schedulingTaints(), allocatable);
    bindPods(binder);
  }

  /**
   * As {@link #joinTo(dev.flotilla.binding.Binder)}, at {@code position} in the order the binder searches, with the
   * startup taint kept where {@code startupTaintHolds}: a node whose pods' nominations have not come (its Nominate
   * was lost or is late) takes nothing else until they do.
   */
  public void joinTo(dev.flotilla.binding.Binder binder, int position, boolean startupTaintHolds) {
    binder.addNode(node, labels, startupTaintHolds ? taints : schedulingTaints(), allocatable, position);
    bindPods(binder);
  }

  /** Whether the node still carries the startup taint Flotilla's nodes register with. */
  public boolean initializing() {
    return taints.stream().anyMatch(dev.flotilla.binding.StartupTaint::is);
  }

  private List<Taint> schedulingTaints() {
    return taints.stream().filter(t -> !dev.flotilla.binding.StartupTaint.is(t)).toList();
  }

  private void bindPods(dev.flotilla.binding.Binder binder) {
    for (NodePod p : pods) {
      binder.bound(node, p.pod());
    }
  }

  public boolean empty() {
    return pods.stream().allMatch(NodePod::daemon);
  }

  public String instanceType() {
    return labels.get(WellKnownLabels.INSTANCE_TYPE);
  }

  public String zone() {
    return labels.get(WellKnownLabels.ZONE);
  }

  /** The mirror's document for this state: what {@link #parse} reads. */
  public String toJson() {
    com.fasterxml.jackson.databind.node.ObjectNode doc = JSON.createObjectNode();
    doc.put("node", node);
    if (instanceId != null) {
      doc.put("instanceId", instanceId);
    }
    doc.set("labels", JSON.valueToTree(labels));
    doc.put("doNotDisrupt", doNotDisrupt);
    com.fasterxml.jackson.databind.node.ObjectNode a = doc.putObject("allocatable");
    allocatable.amounts().forEach((name, amount) -> a.put(name, Resources.CPU.equals(name) ? amount + "m"
        : Long.toString(amount)));
    com.fasterxml.jackson.databind.node.ArrayNode t = doc.putArray("taints");
    taints.forEach(taint -> t.addObject().put("key", taint.key()).put("value", taint.value() == null ? ""
        : taint.value()).put("effect", taint.effect()));
    com.fasterxml.jackson.databind.node.ArrayNode array = doc.putArray("pods");
    for (NodePod p : pods) {
      com.fasterxml.jackson.databind.node.ObjectNode pod = JSON.valueToTree(p.pod());
      pod.put("disruptionsAllowed", p.disruptionsAllowed());
      array.add(pod);
    }
    if (!conditions.isEmpty()) {
      com.fasterxml.jackson.databind.node.ArrayNode cs = doc.putArray("conditions");
      conditions.forEach(c -> {
        com.fasterxml.jackson.databind.node.ObjectNode o = cs.addObject().put("type", c.type())
            .put("status", c.status());
        if (c.lastTransitionTime() != null) {
          o.put("lastTransitionTime", c.lastTransitionTime().toString());
        }
      });
    }
    return doc.toString();
  }

  /** Kubernetes quantities by resource name ({@code 1930m}, {@code 7Gi}) as resources: CPU in millicores. */
  public static Resources resources(Map<String, String> quantities) {
    Map<String, Long> amounts = new LinkedHashMap<>();
    quantities.forEach((name, quantity) -> amounts.put(name,
        Resources.CPU.equals(name) ? Quantity.millis(quantity) : Quantity.units(quantity)));
    return Resources.fromJson(amounts);
  }

  /** Reads the mirror's document, naming the field that is wrong. */
  public static NodeState parse(String json) {
    return parse(json, java.util.function.UnaryOperator.identity());
  }

  /** As {@link #parse(String)}, each pod passed through {@code pods}, which gives back an equal pod. */
  static NodeState parse(String json, java.util.function.UnaryOperator<PendingPod> pods) {
    try {
      JsonNode doc = JSON.readTree(json);
      String node = doc.path("node").asText("");
      if (node.isEmpty()) {
        throw new IllegalArgumentException("node state: node is required");
      }
      Map<String, String> labels = new LinkedHashMap<>();
      doc.path("labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
      Map<String, String> quantities = new LinkedHashMap<>();
      doc.path("allocatable").properties().forEach(e -> quantities.put(e.getKey(), e.getValue().asText()));
      List<Taint> taints = new ArrayList<>();
      for (JsonNode t : doc.path("taints")) {
        taints.add(new Taint(t.path("key").asText(), t.path("value").asText(""), t.path("effect").asText()));
      }
      List<NodePod> running = new ArrayList<>();
      for (JsonNode p : doc.path("pods")) {
        running.add(new NodePod(pods.apply(JSON.treeToValue(p, PendingPod.class)),
            p.path("disruptionsAllowed").asInt(-1)));
      }
      List<Condition> conditions = new ArrayList<>();
      int i = 0;
      for (JsonNode c : doc.path("conditions")) {
        String type = c.path("type").asText("");
        if (type.isEmpty()) {
          throw new IllegalArgumentException("node state: conditions[" + i + "].type is required");
        }
        java.time.Instant since = null;
        if (c.hasNonNull("lastTransitionTime")) {
          try {
            since = java.time.Instant.parse(c.path("lastTransitionTime").asText());
          } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException("node state: conditions[" + i + "].lastTransitionTime '"
                + c.path("lastTransitionTime").asText() + "' is not an ISO-8601 instant", e);
          }
        }
        conditions.add(new Condition(type, c.path("status").asText("Unknown"), since));
        i++;
      }
      return new NodeState(node, doc.path("instanceId").asText(null), labels, doc.path("doNotDisrupt").asBoolean(),
          resources(quantities), taints, running, conditions);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("node state: " + e.getOriginalMessage(), e);
    }
  }
}
