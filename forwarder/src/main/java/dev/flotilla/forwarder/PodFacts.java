package dev.flotilla.forwarder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
   * The Kubernetes scheduler marked it Unschedulable, and it is not bound, not nominated to a node the cluster has,
   * not terminating and not a DaemonSet's pod (those follow nodes, they never need one).
   *
   * <p>A pod nominated to a node is waiting for room there (a Flotilla node it was planned on, or victims kube-scheduler
   * preempts for it), so nothing is launched for it. A nomination to a node the cluster no longer has holds nothing:
   * kube-scheduler clears it
   * only the next time the pod fails to schedule, and never for a pod with {@code preemptionPolicy: Never}, so such
   * a pod is provisionable at once.
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
    if (nominated != null && !nominated.isEmpty() && nodeExists.test(nominated)) {
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

  static PendingPod pending(Pod pod) {
    String ns = pod.getMetadata().getNamespace();
    String name = ns + "/" + pod.getMetadata().getName();
    JsonNode node;
    try {
      node = JSON.readTree(Serialization.asJson(pod));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("pod " + name + " did not serialise: " + e.getOriginalMessage(), e);
    }
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
   * The fewest disruptions any budget over the pod allows, or -1 when no budget covers it. A budget without a
   * selector is read as covering every pod of its namespace: the cautious reading for a drain.
   */
  static int disruptionsAllowed(Pod pod, List<PodDisruptionBudget> pdbs) {
    int allowed = -1;
    Map<String, String> labels = pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
    for (PodDisruptionBudget pdb : pdbs) {
      if (!pod.getMetadata().getNamespace().equals(pdb.getMetadata().getNamespace())) {
        continue;
      }
      var selector = pdb.getSpec() == null ? null : pdb.getSpec().getSelector();
      List<Requirement> expressions = new ArrayList<>();
      if (selector != null && selector.getMatchExpressions() != null) {
        selector.getMatchExpressions().forEach(e -> expressions.add(new Requirement(e.getKey(),
            Operator.parse(e.getOperator()), e.getValues())));
      }
      LabelSelector domain = new LabelSelector(selector == null ? null : selector.getMatchLabels(), expressions);
      if (domain.matches(labels)) {
        int a = pdb.getStatus() == null || pdb.getStatus().getDisruptionsAllowed() == null ? 0
            : pdb.getStatus().getDisruptionsAllowed();
        allowed = allowed < 0 ? a : Math.min(allowed, a);
      }
    }
    return allowed;
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
