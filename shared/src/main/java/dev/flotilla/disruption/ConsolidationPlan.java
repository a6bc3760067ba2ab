package dev.flotilla.disruption;

import dev.flotilla.claims.Claim;
import dev.flotilla.scheduling.InFlightPlacement;
import dev.flotilla.scheduling.NodeClaim;
import java.util.List;

/**
 * One consolidation decision: which nodes go, what (if anything) replaces them, where their pods would run, and
 * what it saves. {@code skipped} says, for the nodes not chosen, why not: every decision is explainable.
 *
 * @param moves       the displaced pods placed in the spare room of nodes that stay (by the nodes' claim ids)
 * @param replacements the new nodes with the pods planned on them: at most one for several nodes removed at once
 *                     ({@link Action#MULTI_NODE}); for replaced nodes, no more than they are, unless one node
 *                     is split into cheaper ones that save a quarter of its price
 */
public record ConsolidationPlan(Action action, List<Candidate> nodes, List<NodeClaim> replacements,
    List<InFlightPlacement> moves, double removedPricePerHour, double replacementPricePerHour, String reason,
    List<String> skipped) {

  /** The four consolidation actions, in the order they are looked for. */
  public enum Action {
    NONE, DELETE_EMPTY, DELETE, REPLACE, MULTI_NODE;

    public String label() {
      return switch (this) {
        case NONE -> "None";
        case DELETE_EMPTY -> "DeleteEmpty";
        case DELETE -> "Delete";
        case REPLACE -> "Replace";
        case MULTI_NODE -> "MultiNode";
      };
    }
  }

  /** A node Flotilla owns and might remove: its mirrored state, its claim. */
  public record Candidate(NodeState state, Claim claim) {
    public double price() {
      return Double.isNaN(claim.pricePerHour()) ? 0 : claim.pricePerHour();
    }
  }

  public ConsolidationPlan {
    nodes = List.copyOf(nodes);
    replacements = List.copyOf(replacements);
    moves = List.copyOf(moves);
    skipped = List.copyOf(skipped);
  }

  static ConsolidationPlan none(String reason, List<String> skipped) {
    return new ConsolidationPlan(Action.NONE, List.of(), List.of(), List.of(), 0, 0, reason, skipped);
  }

  /**
   * The plan cut down to some of its nodes and the replacements that take their pods (the parts of a replace that
   * started, where others lost a replacement at launch), its prices those of what is left.
   */
  ConsolidationPlan narrowedTo(List<Candidate> kept, List<NodeClaim> keptReplacements) {
    java.util.Set<String> pods = new java.util.HashSet<>();
    kept.forEach(c -> c.state().displaced().forEach(p -> pods.add(p.name())));
    List<InFlightPlacement> keptMoves = moves.stream().filter(m -> m.pods().stream().anyMatch(pods::contains))
        .toList();
    return new ConsolidationPlan(action, kept, keptReplacements, keptMoves,
        kept.stream().mapToDouble(Candidate::price).sum(),
        keptReplacements.stream().mapToDouble(NodeClaim::pricePerHour).sum(), reason, skipped);
  }

  public double savingPerHour() {
    return Math.round((removedPricePerHour - replacementPricePerHour) * 1e6) / 1e6;
  }

  public List<String> claimIds() {
    return nodes.stream().map(c -> c.claim().id()).toList();
  }
}
