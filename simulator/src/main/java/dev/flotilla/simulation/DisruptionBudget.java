package dev.flotilla.simulation;

import dev.flotilla.manifest.Manifest;
import dev.flotilla.manifest.PodSpecReader;
import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.PendingPod;
import java.util.ArrayList;
import java.util.List;

/**
 * A PodDisruptionBudget as the cluster's disruption controller keeps its status: how many of the pods it selects may
 * be evicted now. The simulated cluster hands that figure to the forwarder's mirror (where the functions leave a
 * node alone when a pod's budget allows no disruption) and evicts through it when it drains a node.
 *
 * <p>As Kubernetes counts: the pods expected are those the budget selects (each made again by its controller at
 * once when evicted, so the count is the workloads' replicas), the healthy ones those bound to a node; a percentage
 * is of the pods expected, rounded up; {@code minAvailable} allows {@code healthy - minAvailable} disruptions,
 * {@code maxUnavailable} {@code healthy - (expected - maxUnavailable)}, never fewer than none.
 *
 * @param minAvailable   {@code spec.minAvailable} as written (a number or a percentage), or null
 * @param maxUnavailable {@code spec.maxUnavailable} as written, or null
 */
record DisruptionBudget(String name, String namespace, LabelSelector selector, String minAvailable,
    String maxUnavailable) {

  /** The budgets among the manifests; a malformed one is refused with the field that is wrong. */
  static List<DisruptionBudget> of(List<Manifest> manifests) {
    List<DisruptionBudget> budgets = new ArrayList<>();
    for (Manifest m : manifests) {
      if (!m.kind().equals("PodDisruptionBudget")) {
        continue;
      }
      var spec = m.node().path("spec");
      String min = spec.hasNonNull("minAvailable") ? spec.path("minAvailable").asText() : null;
      String max = spec.hasNonNull("maxUnavailable") ? spec.path("maxUnavailable").asText() : null;
      if ((min == null) == (max == null)) {
        throw m.error("spec", "exactly one of minAvailable and maxUnavailable is needed");
      }
      for (String value : new String[] {min, max}) {
        if (value != null && !value.matches("\\d+%?")) {
          throw m.error(min != null ? "spec.minAvailable" : "spec.maxUnavailable",
              "'" + value + "' is neither a count nor a percentage");
        }
      }
      if (!spec.has("selector")) {
        throw m.error("spec.selector", "missing (a budget without a selector selects no pod)");
      }
      LabelSelector selector = new PodSpecReader(m.describe()).labelSelector(spec.path("selector"), "spec.selector");
      budgets.add(new DisruptionBudget(m.name(), m.namespace(), selector, min, max));
    }
    return budgets;
  }

  boolean selects(PendingPod pod) {
    return pod.namespace().equals(namespace) && selector.matches(pod.labels());
  }

  /** How many disruptions it allows with {@code expected} pods selected, {@code healthy} of them running. */
  int allowed(int expected, int healthy) {
    int desired = minAvailable != null ? scaled(minAvailable, expected)
        : expected - scaled(maxUnavailable, expected);
    return Math.max(0, healthy - desired);
  }

  private static int scaled(String value, int expected) {
    if (value.endsWith("%")) {
      long percent = Long.parseLong(value.substring(0, value.length() - 1));
      return (int) ((percent * expected + 99) / 100);
    }
    return Integer.parseInt(value);
  }
}
