package dev.flotilla.scheduling;

import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Toleration;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import java.util.Map;

/**
 * Which DaemonSets run on a node a plan opens: one rule for the room the plan leaves them and for the node the
 * consolidation's check joins, so that the two never size a node differently.
 */
public final class DaemonSetPlacement {

  private DaemonSetPlacement() {}

  /**
   * Whether {@code ds}'s pod runs on a node of {@code pool} with these labels: the pool's taints tolerated, its node
   * selector and one of its required terms met. Its zone rules are left out: a node shape spans zones, so a DaemonSet
   * kept to some zones is counted on every node.
   */
  public static boolean runsOn(PendingPod ds, NodePool pool, Map<String, String> labels) {
    if (pool != null && Toleration.firstUntolerated(pool.schedulingTaints(), ds.tolerations()) != null) {
      return false;
    }
    for (Map.Entry<String, String> e : ds.nodeSelector().entrySet()) {
      if (!e.getKey().equals(WellKnownLabels.ZONE) && !e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return ds.requiredTerms().isEmpty() || ds.requiredTerms().stream().anyMatch(term -> term.stream()
        .allMatch(r -> r.key().equals(WellKnownLabels.ZONE) || r.matches(labels)));
  }
}
