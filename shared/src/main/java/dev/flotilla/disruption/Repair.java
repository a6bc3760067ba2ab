package dev.flotilla.disruption;

import dev.flotilla.disruption.ConsolidationPlan.Candidate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Karpenter's node repair: a node whose {@code Ready} condition has been False or Unknown for 30 minutes is drained
 * (its pods evicted where the API allows, then deleted) and terminated, whatever the budgets say; its pods go
 * pending and are placed on new nodes. No node of a pool is repaired while more of its nodes are unhealthy than 20%
 * (rounded up, as Karpenter scales it): a fault that broad is the cluster's, and replacing nodes would not mend it.
 */
public final class Repair {

  /** How long a node must have been not Ready before it is repaired. */
  public static final Duration TOLERATION = Duration.ofMinutes(30);
  /** The share of a pool's nodes that may be unhealthy for its nodes still to be repaired. */
  public static final int UNHEALTHY_PERCENT = 20;
  /** A repair's drain: one round of evictions, then what is left is deleted. */
  public static final Duration DRAIN_GRACE = Duration.ofMinutes(1);

  /** What a repair pass found: the nodes to repair, and the pools held back by the 20% guard. */
  public record Found(List<Candidate> nodes, List<String> heldBack) {}

  public DisruptionReason reason() {
    return DisruptionReason.Unhealthy;
  }

  public boolean shouldDisrupt(Candidate candidate, Consolidator.View view) {
    return candidate.state().condition("Ready")
        .filter(c -> "False".equals(c.status()) || "Unknown".equals(c.status()))
        .filter(c -> c.lastTransitionTime() != null && !c.lastTransitionTime().plus(TOLERATION).isAfter(view.now()))
        .isPresent();
  }

  public Found unhealthy(Consolidator.View view, DisruptionBudgets budgets) {
    List<Candidate> candidates = DisruptionMethod.candidates(view);
    Map<String, Integer> notReady = new HashMap<>();
    for (Candidate c : candidates) {
      if (!c.state().ready()) {
        notReady.merge(c.claim().nodePool(), 1, Integer::sum);
      }
    }
    List<Candidate> nodes = new ArrayList<>();
    List<String> heldBack = new ArrayList<>();
    for (Candidate c : candidates) {
      if (!shouldDisrupt(c, view)) {
        continue;
      }
      String pool = c.claim().nodePool();
      int allowed = (int) Math.ceil(budgets.nodes(pool) * UNHEALTHY_PERCENT / 100.0);
      if (notReady.getOrDefault(pool, 0) > allowed) {
        if (!heldBack.contains(pool)) {
          heldBack.add(pool);
        }
        continue;
      }
      nodes.add(c);
    }
    return new Found(nodes, heldBack);
  }
}
