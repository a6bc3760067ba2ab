package dev.flotilla.forwarder;

import dev.flotilla.claims.ClaimStore;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.model.Taint;
import dev.flotilla.model.WellKnownLabels;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Mirrors each node's state into the claim store for the consolidation function: allocatable, labels, taints, its
 * pods with their requests, constraints and owner kinds, do-not-disrupt, and how many disruptions the budgets over
 * each pod allow. A node is written when it changed, at most once every {@code minInterval}.
 */
final class NodeMirror implements AutoCloseable {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(NodeMirror.class);

  private final ClaimStore store;
  private final Function<String, Node> nodes;
  private final Function<String, List<Pod>> podsOn;
  private final Supplier<List<PodDisruptionBudget>> budgets;
  private final java.util.function.BooleanSupplier listed;
  /** A pod's bound volumes' zones: consolidation must not move such a pod to a node in another zone. */
  private final Function<Pod, Set<String>> volumeZones;
  private final long minIntervalNanos;
  // changed() runs on the informers' thread: it must never wait for a write pass, or events queue up as whole objects
  private final Set<String> dirty = ConcurrentHashMap.newKeySet();
  private final Map<String, Long> writtenAt = new HashMap<>();
  // a digest of what was last written per node, not the document: a thousand nodes' documents are megabytes
  private final Map<String, String> written = new HashMap<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "node-mirror");
    t.setDaemon(true);
    return t;
  });

  /**
   * @param listed whether the caches answer for the whole cluster: until they do, nothing is written, since a node
   *               whose pods are not listed yet would be mirrored empty, and consolidation removes empty nodes
   * @param volumeZones a pod's bound volumes' zones (see {@link VolumeZones})
   */
  NodeMirror(ClaimStore store, Function<String, Node> nodes, Function<String, List<Pod>> podsOn,
      Supplier<List<PodDisruptionBudget>> budgets, java.util.function.BooleanSupplier listed,
      Function<Pod, Set<String>> volumeZones, Duration minInterval, Duration tick) {
    this.listed = listed;
    this.volumeZones = volumeZones;
    this.store = store;
    this.nodes = nodes;
    this.podsOn = podsOn;
    this.budgets = budgets;
    this.minIntervalNanos = minInterval.toNanos();
    timer.scheduleWithFixedDelay(this::writeDue, tick.toMillis(), tick.toMillis(), TimeUnit.MILLISECONDS);
  }

  void changed(String node) {
    if (node != null) {
      dirty.add(node);
    }
  }

  synchronized void deleted(String node) {
    dirty.remove(node);
    written.remove(node);
    writtenAt.remove(node);
    store.deleteNodeState(node);
  }

  /** Writes every changed node whose last write is old enough. */
  synchronized void writeDue() {
    if (!listed.getAsBoolean()) {
      return; // the changed nodes stay marked
    }
    long now = System.nanoTime();
    for (var it = dirty.iterator(); it.hasNext(); ) {
      String name = it.next();
      Long last = writtenAt.get(name);
      if (last != null && now - last < minIntervalNanos) {
        continue;
      }
      // removed before the node is read, so that a change arriving meanwhile marks it again
      it.remove();
      Node node = nodes.apply(name);
      if (node == null) {
        continue;
      }
      try {
        String json = snapshot(node);
        String digest = digest(json);
        if (!digest.equals(written.get(name))) {
          store.putNodeState(name, json);
          written.put(name, digest);
          writtenAt.put(name, now);
        }
      } catch (RuntimeException e) {
        // the timer's task must never throw: a scheduled task that does is never run again, and every node's
        // mirror would go stale for good. The node is tried again after minInterval.
        dirty.add(name);
        writtenAt.put(name, now);
        LOG.atWarn().setMessage("node state not mirrored; will retry").addKeyValue("node", name)
            .addKeyValue("reason", String.valueOf(e.getMessage())).log();
      }
    }
  }

  private static String digest(String json) {
    try {
      return java.util.Base64.getEncoder().encodeToString(java.security.MessageDigest.getInstance("SHA-256")
          .digest(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  private String snapshot(Node node) {
    Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
    Map<String, String> annotations = node.getMetadata().getAnnotations() == null ? Map.of()
        : node.getMetadata().getAnnotations();
    Map<String, String> allocatable = new LinkedHashMap<>();
    if (node.getStatus() != null && node.getStatus().getAllocatable() != null) {
      node.getStatus().getAllocatable().forEach((k, v) -> allocatable.put(k, v.toString()));
    }
    List<Taint> taints = new ArrayList<>();
    if (node.getSpec() != null && node.getSpec().getTaints() != null) {
      node.getSpec().getTaints().forEach(t -> taints.add(new Taint(t.getKey(), t.getValue(), t.getEffect())));
    }
    List<PodDisruptionBudget> pdbs = budgets.get();
    List<NodeState.NodePod> pods = new ArrayList<>();
    for (Pod pod : podsOn.apply(node.getMetadata().getName())) {
      pods.add(new NodeState.NodePod(PodFacts.placed(pod, volumeZones.apply(pod)),
          PodFacts.disruptionsAllowed(pod, pdbs)));
    }
    // each condition's status and when it last changed, not its heartbeat: the document changes on transitions only
    List<NodeState.Condition> conditions = new ArrayList<>();
    if (node.getStatus() != null && node.getStatus().getConditions() != null) {
      for (var c : node.getStatus().getConditions()) {
        java.time.Instant since = null;
        try {
          since = c.getLastTransitionTime() == null ? null : java.time.Instant.parse(c.getLastTransitionTime());
        } catch (java.time.format.DateTimeParseException e) {
          since = null;
        }
        conditions.add(new NodeState.Condition(c.getType(), c.getStatus(), since));
      }
    }
    return new NodeState(node.getMetadata().getName(), NodeEvents.instanceId(node).orElse(null), labels,
        "true".equals(annotations.get(WellKnownLabels.DO_NOT_DISRUPT))
            || "true".equals(annotations.get(WellKnownLabels.KARPENTER_DO_NOT_DISRUPT)),
        NodeState.resources(allocatable), taints, pods, conditions).toJson();
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
