package dev.flotilla.forwarder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.manifest.PodSpecReader;
import dev.flotilla.model.PendingPod;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.Operator;
import dev.flotilla.model.Requirement;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the forwarder reads from a live pod: whether Flotilla should provision for it, and its scheduling facts in
 * the scheduler's terms. The pod's JSON goes through the same reader as manifests, so a pod means the same thing to
 * {@code flotilla plan -f}, the forwarder and the simulator.
 */
final class PodFacts {

  private static final ObjectMapper JSON = new ObjectMapper();

  private PodFacts() {}

  /**
   * The Kubernetes scheduler marked it Unschedulable, and it is not bound, not held by a nomination, not terminating
   * and not a DaemonSet's pod (those follow nodes, they never need one).
   *
   * <p>A pod nominated to a node is waiting for room there (a Flotilla node it was planned on, or victims kube-scheduler
   * preempts for it), so nothing is launched for it. A nomination to a node the cluster no longer has holds nothing,
   * nor does one on a pod that may not preempt ({@link #mayPreempt}): kube-scheduler clears a nomination only the next
   * time the pod fails to schedule, and never for such a pod, so these pods are provisionable at once.
   *
   * @param nodeExists whether the cluster has a node of that name
   */
  static boolean provisionable(Pod pod, java.util.function.Predicate<String> nodeExists) {
    if (pod.getMetadata().getDeletionTimestamp() != null || pod.getSpec() == null || pod.getStatus() == null) {
      return false;
    }
    if (pod.getSpec().getNodeName() != null && !pod.getSpec().getNodeName().isEmpty()) {
      return false;
    }
    String nominated = pod.getStatus().getNominatedNodeName();
    if (nominated != null && !nominated.isEmpty() && nodeExists.test(nominated) && mayPreempt(pod)) {
      return false;
    }
    if ("DaemonSet".equals(ownerKind(pod))) {
      return false;
    }
    if (pod.getStatus().getConditions() == null) {
      return false;
    }
    for (PodCondition c : pod.getStatus().getConditions()) {
      if ("PodScheduled".equals(c.getType()) && "False".equals(c.getStatus()) && "Unschedulable".equals(c.getReason())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether kube-scheduler may preempt for the pod, and so ever nominates it or clears its nomination: not with
   * {@code preemptionPolicy: Never} ({@code DefaultPreemption}'s eligibility check comes first).
   */
  static boolean mayPreempt(Pod pod) {
    return pod.getSpec() == null || !"Never".equals(pod.getSpec().getPreemptionPolicy());
  }

  /** As {@link #pending(Pod)}, held to {@code volumeZones} (its bound volumes' zones, see {@link VolumeZones}). */
  static PendingPod pending(Pod pod, java.util.Set<String> volumeZones) {
    return held(pending(pod), volumeZones);
  }

  /**
   * As {@link #pending(Pod, java.util.Set)}, for a pod already on a node. Its room, labels, ports and disruption
   * rules are what others are weighed against; where a rule of its own placement cannot be read (a spread or a pod
   * affinity on a key Flotilla does not plan for), its spreads, then its pod (anti-)affinity, are left out rather
   * than the node's whole state.
   */
  static PendingPod placed(Pod pod, java.util.Set<String> volumeZones) {
    JsonNode node = json(pod);
    try {
      return held(read(pod, node), volumeZones);
    } catch (IllegalArgumentException unreadable) {
      if (!(node.get("spec") instanceof ObjectNode spec)) {
        throw unreadable;
      }
      // its spreads bind only itself, which is placed; its pod (anti-)affinity binds others too, so it goes last,
      // and its node affinity never: consolidation must not move it where kube-scheduler would not
      spec.remove("topologySpreadConstraints");
      try {
        return held(read(pod, node), volumeZones);
      } catch (IllegalArgumentException podAffinity) {
        if (spec.get("affinity") instanceof ObjectNode affinity) {
          affinity.remove(List.of("podAffinity", "podAntiAffinity"));
        }
        return held(read(pod, node), volumeZones);
      }
    }
  }

  private static PendingPod held(PendingPod facts, java.util.Set<String> volumeZones) {
    return volumeZones.isEmpty() ? facts : facts.toBuilder().volumeZones(volumeZones).build();
  }

  static PendingPod pending(Pod pod) {
    return read(pod, json(pod));
  }

  private static JsonNode json(Pod pod) {
    try {
      return JSON.readTree(Serialization.asJson(pod));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("pod " + pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName()
          + " did not serialise: " + e.getOriginalMessage(), e);
    }
  }

  private static PendingPod read(Pod pod, JsonNode node) {
    String ns = pod.getMetadata().getNamespace();
    String name = ns + "/" + pod.getMetadata().getName();
    PodSpecReader reader = new PodSpecReader("Pod '" + name + "'");
    Map<String, String> labels = reader.stringMap(node.path("metadata").path("labels"), "metadata.labels");
    Map<String, String> annotations =
        reader.stringMap(node.path("metadata").path("annotations"), "metadata.annotations");
    PendingPod facts = reader.pod(name, ns, labels, annotations, node.path("spec"), "spec", ownerKind(pod));
    // a do-not-disrupt duration holds the pod only until it has run that long
    return !facts.doNotDisrupt() && doNotDisrupt(pod, java.time.Instant.now())
        ? facts.toBuilder().doNotDisrupt(true).build() : facts;
  }

  /** Whether the pod's do-not-disrupt annotation holds it at {@code now}: "true", or a duration from its start. */
  static boolean doNotDisrupt(Pod pod, java.time.Instant now) {
    Map<String, String> annotations = pod.getMetadata().getAnnotations() == null ? Map.of()
        : pod.getMetadata().getAnnotations();
    java.time.Instant started = null;
    if (pod.getStatus() != null && pod.getStatus().getStartTime() != null) {
      try {
        started = java.time.Instant.parse(pod.getStatus().getStartTime());
      } catch (java.time.format.DateTimeParseException e) {
        started = null;
      }
    }
    return dev.flotilla.model.DoNotDisrupt.holds(annotations, started, now);
  }

  /**
   * The fewest disruptions the budgets that guard the pod's eviction allow: -1 when its eviction checks none, 0 when
   * it is refused whatever the budgets' counts. As the API server's eviction decides ({@code EvictionREST}): a pod
   * not running (Pending, Succeeded, Failed) or already terminating is deleted without a budget; a budget guards a pod
   * of its namespace its selector matches, a missing or empty selector matching none; a pod two budgets guard can
   * never be evicted; a pod not Ready is evicted without counting against its budget when the budget's
   * {@code unhealthyPodEvictionPolicy} is {@code AlwaysAllow}, or when the application it guards is not disrupted
   * now (at least as many healthy pods as it desires, and it desires some); a budget its controller has not yet
   * caught up with refuses (the server answers 429 until it has).
   */
  static int disruptionsAllowed(Pod pod, List<PodDisruptionBudget> pdbs) {
    if (budgetIgnored(pod)) {
      return -1;
    }
    List<PodDisruptionBudget> guarding = guarding(pod, pdbs);
    if (guarding.isEmpty()) {
      return -1;
    }
    if (guarding.size() > 1) {
      return 0;
    }
    PodDisruptionBudget pdb = guarding.getFirst();
    var status = pdb.getStatus();
    if (!ready(pod)) {
      if ("AlwaysAllow".equals(pdb.getSpec().getUnhealthyPodEvictionPolicy())) {
        return -1;
      }
      if (status != null && status.getDesiredHealthy() != null && status.getCurrentHealthy() != null
          && status.getDesiredHealthy() > 0 && status.getCurrentHealthy() >= status.getDesiredHealthy()) {
        return -1;
      }
    }
    // a status its controller wrote always names the generation it observed; one without (written by hand) is taken
    // at its word, and the server's 429 then answers the eviction
    if (status == null || status.getDisruptionsAllowed() == null || status.getObservedGeneration() != null
        && pdb.getMetadata().getGeneration() != null && status.getObservedGeneration() < pdb.getMetadata().getGeneration()) {
      return 0;
    }
    return Math.max(0, status.getDisruptionsAllowed());
  }

  /** Why the pod's budgets refuse its eviction now, or null when they do not. */
  static String budgetRefusal(Pod pod, List<PodDisruptionBudget> pdbs) {
    if (disruptionsAllowed(pod, pdbs) != 0) {
      return null;
    }
    List<PodDisruptionBudget> guarding = guarding(pod, pdbs);
    return guarding.size() > 1
        ? "more than one PodDisruptionBudget guards it (" + guarding.stream().map(b -> b.getMetadata().getName())
            .sorted().collect(java.util.stream.Collectors.joining(", ")) + "), which eviction does not support"
        : "PodDisruptionBudget " + guarding.getFirst().getMetadata().getName() + " allows no disruption now";
  }

  private static boolean budgetIgnored(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return "Pending".equals(phase) || "Succeeded".equals(phase) || "Failed".equals(phase)
        || pod.getMetadata().getDeletionTimestamp() != null;
  }

  private static List<PodDisruptionBudget> guarding(Pod pod, List<PodDisruptionBudget> pdbs) {
    Map<String, String> labels = pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
    List<PodDisruptionBudget> guarding = new ArrayList<>();
    for (PodDisruptionBudget pdb : pdbs) {
      var selector = pdb.getSpec() == null ? null : pdb.getSpec().getSelector();
      boolean empty = selector == null || (selector.getMatchLabels() == null || selector.getMatchLabels().isEmpty())
          && (selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty());
      if (empty || !pod.getMetadata().getNamespace().equals(pdb.getMetadata().getNamespace())) {
        continue;
      }
      List<Requirement> expressions = new ArrayList<>();
      try {
        if (selector.getMatchExpressions() != null) {
          selector.getMatchExpressions().forEach(e -> expressions.add(new Requirement(e.getKey(),
              Operator.parse(e.getOperator()), e.getValues())));
        }
      } catch (IllegalArgumentException e) {
        continue; // a selector the server cannot read matches no pod
      }
      if (new LabelSelector(selector.getMatchLabels(), expressions).matches(labels)) {
        guarding.add(pdb);
      }
    }
    return guarding;
  }

  private static boolean ready(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return false;
    }
    return pod.getStatus().getConditions().stream()
        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  static String ownerKind(Pod pod) {
    if (pod.getMetadata().getOwnerReferences() == null) {
      return "";
    }
    for (OwnerReference ref : pod.getMetadata().getOwnerReferences()) {
      if (Boolean.TRUE.equals(ref.getController())) {
        return ref.getKind();
      }
    }
    return "";
  }
}
