package dev.flotilla.disruption;

import dev.flotilla.disruption.ConsolidationPlan.Action;
import dev.flotilla.disruption.ConsolidationPlan.Candidate;
import java.util.EnumSet;

/**
 * Karpenter's single-node consolidation: one node whose pods fit in the others' spare room (delete), or on a cheaper
 * node or several much cheaper ones (replace).
 */
public final class SingleNodeConsolidation extends ConsolidationMethod {

  public SingleNodeConsolidation(Consolidator consolidator) {
    super(consolidator, EnumSet.of(Action.DELETE, Action.REPLACE));
  }

  @Override
  public DisruptionReason reason() {
    return DisruptionReason.Underutilized;
  }

  @Override
  public boolean shouldDisrupt(Candidate candidate, Consolidator.View view) {
    return underutilizable(candidate, view);
  }
}
