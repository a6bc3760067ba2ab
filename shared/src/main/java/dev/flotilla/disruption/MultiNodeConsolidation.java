package dev.flotilla.disruption;

import dev.flotilla.disruption.ConsolidationPlan.Action;
import dev.flotilla.disruption.ConsolidationPlan.Candidate;
import java.util.EnumSet;

/** Karpenter's multi-node consolidation: a group of nodes whose pods fit elsewhere and on one cheaper node. */
public final class MultiNodeConsolidation extends ConsolidationMethod {

  public MultiNodeConsolidation(Consolidator consolidator) {
    super(consolidator, EnumSet.of(Action.MULTI_NODE));
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
