package dev.flotilla.disruption;

import dev.flotilla.disruption.ConsolidationPlan.Action;
import dev.flotilla.disruption.ConsolidationPlan.Candidate;
import java.util.EnumSet;

/** Karpenter's emptiness: nodes running only DaemonSets' pods go, as many at once as the budgets for Empty allow. */
public final class Emptiness extends ConsolidationMethod {

  public Emptiness(Consolidator consolidator) {
    super(consolidator, EnumSet.of(Action.DELETE_EMPTY));
  }

  @Override
  public DisruptionReason reason() {
    return DisruptionReason.Empty;
  }

  @Override
  public boolean shouldDisrupt(Candidate candidate, Consolidator.View view) {
    return candidate.state().empty();
  }
}
