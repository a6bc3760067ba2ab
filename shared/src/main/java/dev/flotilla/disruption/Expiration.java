package dev.flotilla.disruption;

import dev.flotilla.disruption.ConsolidationPlan.Candidate;
import dev.flotilla.nodepool.NodePool;
import java.time.Duration;
import java.util.List;

/**
 * Karpenter's expiration: a node older than its pool's {@code expireAfter} is drained at once, whatever the budgets
 * and do-not-disrupt say; its pods go pending and the provisioner places them on new nodes. Only its pool's
 * {@code terminationGracePeriod} bounds how long pods held by budgets or do-not-disrupt keep it.
 */
public final class Expiration {

  public DisruptionReason reason() {
    return DisruptionReason.Expired;
  }

  public boolean shouldDisrupt(Candidate candidate, Consolidator.View view) {
    Duration after = pool(candidate, view) == null ? null : pool(candidate, view).lifetime().expireAfter();
    return after != null && !candidate.claim().createdAt().plus(after).isAfter(view.now());
  }

  /** Every expired node, budgets aside. */
  public List<Candidate> expired(Consolidator.View view) {
    return DisruptionMethod.candidates(view).stream().filter(c -> shouldDisrupt(c, view)).toList();
  }

  static NodePool pool(Candidate c, Consolidator.View view) {
    return view.pools().stream().filter(p -> p.name().equals(c.claim().nodePool())).findFirst().orElse(null);
  }
}
