package dev.flotilla.disruption;

import dev.flotilla.disruption.ConsolidationPlan.Candidate;
import dev.flotilla.scheduling.NodeClaim;
import java.util.List;

/**
 * What a disruption method decided: the nodes that go, for which reason, the new nodes launched first (none: the
 * pods fit elsewhere, or the nodes go at once), why, and which budget let it happen.
 *
 * @param plan the consolidation plan behind it, for the consolidation methods; null for the others
 */
public record DisruptionCommand(DisruptionReason reason, List<Candidate> nodes, List<NodeClaim> replacements,
    String explanation, String allowedBy, ConsolidationPlan plan) {

  public DisruptionCommand {
    nodes = List.copyOf(nodes);
    replacements = List.copyOf(replacements);
  }

  public List<String> claimIds() {
    return nodes.stream().map(c -> c.claim().id()).toList();
  }
}
