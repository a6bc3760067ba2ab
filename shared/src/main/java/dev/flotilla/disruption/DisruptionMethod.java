package dev.flotilla.disruption;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.disruption.ConsolidationPlan.Candidate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One way of disrupting nodes, as a method of Karpenter's disruption controller: which nodes it would take, and the
 * one command it would carry out now under the budgets. The consolidation pass asks the graceful methods in
 * Karpenter's order (emptiness, drift, multi-node and single-node consolidation) and carries out the first command
 * one gives, a drift's and then a consolidation's where both come; expiry and repair run apart, ahead of them,
 * whatever the budgets say.
 */
public interface DisruptionMethod {

  DisruptionReason reason();

  /** Whether this method would disrupt the node, budgets aside. */
  boolean shouldDisrupt(Candidate candidate, Consolidator.View view);

  /** The command to carry out now, within what {@code budgets} leave; empty when there is none. */
  Optional<DisruptionCommand> computeCommand(Consolidator.View view, DisruptionBudgets budgets);

  /** The nodes a method may disrupt: ready nodes Flotilla owns, with their mirrored state, not already going. */
  static List<Candidate> candidates(Consolidator.View view) {
    Map<String, Claim> byNode = new HashMap<>();
    for (Claim c : view.claims()) {
      if (c.state() == ClaimState.Initialized && c.nodeName() != null) {
        byNode.put(c.nodeName(), c);
      }
    }
    List<Candidate> result = new ArrayList<>();
    for (NodeState state : view.nodes()) {
      Claim claim = byNode.get(state.node());
      if (claim != null) {
        result.add(new Candidate(state, claim));
      }
    }
    return result;
  }
}
