package dev.flotilla.disruption;

import dev.flotilla.disruption.ConsolidationPlan.Action;
import dev.flotilla.disruption.ConsolidationPlan.Candidate;
import dev.flotilla.nodepool.NodePool;
import java.util.Optional;
import java.util.Set;

/**
 * What the three consolidation methods share: each asks the {@link Consolidator} for its own actions only, so the
 * search, its cache and its checks stay in one place.
 */
abstract class ConsolidationMethod implements DisruptionMethod {

  private final Consolidator consolidator;
  private final Set<Action> actions;

  ConsolidationMethod(Consolidator consolidator, Set<Action> actions) {
    this.consolidator = consolidator;
    this.actions = actions;
  }

  Set<Action> actions() {
    return actions;
  }

  /** The consolidator's plan among this method's actions; its budgets are the same accounting's. */
  ConsolidationPlan plan(Consolidator.View view) {
    return consolidator.plan(view, actions);
  }

  @Override
  public Optional<DisruptionCommand> computeCommand(Consolidator.View view, DisruptionBudgets budgets) {
    ConsolidationPlan plan = plan(view);
    if (plan.action() == Action.NONE) {
      return Optional.empty();
    }
    String pool = plan.nodes().getFirst().claim().nodePool();
    return Optional.of(new DisruptionCommand(reason(), plan.nodes(), plan.replacements(), plan.reason(),
        budgets.allowance(pool, reason()).budget(), plan));
  }

  static boolean underutilizable(Candidate candidate, Consolidator.View view) {
    return view.pools().stream().anyMatch(p -> p.name().equals(candidate.claim().nodePool())
        && p.disruption().consolidationPolicy() == NodePool.ConsolidationPolicy.WhenEmptyOrUnderutilized);
  }
}
