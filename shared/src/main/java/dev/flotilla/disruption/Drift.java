package dev.flotilla.disruption;

import dev.flotilla.claims.Claim;
import dev.flotilla.cloud.NodeImages;
import dev.flotilla.cloud.NodeNetwork;
import dev.flotilla.disruption.ConsolidationPlan.Candidate;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.scheduling.Plan;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Karpenter's drift: a node no longer what its NodePool would launch now is replaced, within the budgets for
 * {@code Drifted}. A node has drifted when the pool's template hash differs from the one its claim was launched with,
 * when its labels no longer meet the pool's requirements (checked for compatibility, not hashed, so that widening a
 * requirement drifts nothing), when the image for its architecture is not the one it was launched with, or when
 * its subnet is no longer configured or its security groups are not the configured set. Empty
 * drifted nodes go together; otherwise one node per pass, oldest first, its replacement launched first and the node
 * drained once that is ready (or drained at once when its pods fit in the others' room).
 */
public final class Drift implements DisruptionMethod {

  private final Consolidator consolidator;
  private final NodeImages images;
  private final NodeNetwork network;

  /** @param network the subnets and security groups new nodes go into now, which network drift compares with */
  public Drift(Consolidator consolidator, NodeImages images, NodeNetwork network) {
    this.consolidator = consolidator;
    this.images = images;
    this.network = network;
  }

  @Override
  public DisruptionReason reason() {
    return DisruptionReason.Drifted;
  }

  @Override
  public boolean shouldDisrupt(Candidate candidate, Consolidator.View view) {
    return why(candidate, view).isPresent();
  }

  /**
   * Why the node has drifted, or empty when it has not; it starts with Karpenter's name for the kind of drift
   * ({@code NodePoolDrifted}, {@code RequirementsDrifted}, {@code AMIDrift}, {@code SubnetDrift},
   * {@code SecurityGroupDrift}), checked in Karpenter's order.
   */
  public Optional<String> why(Candidate candidate, Consolidator.View view) {
    Claim claim = candidate.claim();
    NodePool pool = view.pools().stream().filter(p -> p.name().equals(claim.nodePool())).findFirst().orElse(null);
    if (pool == null) {
      return Optional.empty();
    }
    String hash = claim.annotations().get(Claim.Annotations.NODEPOOL_HASH);
    if (hash != null && !hash.equals(pool.templateHash())) {
      return Optional.of("NodePoolDrifted: NodePool " + pool.name() + "'s template changed");
    }
    for (Requirement r : pool.requirements()) {
      String value = candidate.state().labels().get(r.key());
      // a label the node does not carry is left alone, as Karpenter allows undefined well-known labels
      if (value != null && !r.matchesValue(value)) {
        return Optional.of("RequirementsDrifted: label " + r.key() + "=" + value + " no longer meets NodePool " + pool.name()
            + "'s requirements");
      }
    }
    String image = claim.annotations().get(Claim.Annotations.IMAGE);
    String arch = candidate.state().labels().get(WellKnownLabels.ARCH);
    if (image != null && arch != null) {
      Optional<String> now = images.current(arch);
      if (now.isPresent() && !now.get().equals(image)) {
        return Optional.of("AMIDrift: node image " + image + " was replaced by " + now.get() + " for " + arch);
      }
    }
    // as Karpenter's EC2NodeClass: the subnet must still be one new nodes may go into, the security groups the
    // very set they get (one added drifts nodes as much as one removed)
    String subnet = claim.annotations().get(Claim.Annotations.SUBNET);
    if (subnet != null && !network.subnets().isEmpty() && !network.subnets().contains(subnet)) {
      return Optional.of("SubnetDrift: subnet " + subnet + " is no longer one of " + new TreeSet<>(network.subnets()));
    }
    Set<String> groups = NodeNetwork.split(claim.annotations().get(Claim.Annotations.SECURITY_GROUPS));
    if (!groups.isEmpty() && !network.securityGroups().isEmpty() && !groups.equals(network.securityGroups())) {
      return Optional.of("SecurityGroupDrift: security groups " + NodeNetwork.join(groups) + " are not "
          + NodeNetwork.join(network.securityGroups()));
    }
    return Optional.empty();
  }

  @Override
  public Optional<DisruptionCommand> computeCommand(Consolidator.View view, DisruptionBudgets budgets) {
    List<Candidate> owned = DisruptionMethod.candidates(view);
    Set<String> beingReplaced = new HashSet<>();
    view.claims().stream().filter(c -> c.state().live()).forEach(c -> beingReplaced.addAll(c.replaces()));
    List<Candidate> drifted = new ArrayList<>();
    for (Candidate c : owned) {
      if (!beingReplaced.contains(c.claim().id()) && blocker(c) == null && shouldDisrupt(c, view)) {
        drifted.add(c);
      }
    }
    drifted.sort(Comparator.comparing((Candidate c) -> c.claim().createdAt()).thenComparing(c -> c.claim().id()));
    // empty ones together, each within its pool's budget
    java.util.Map<String, Integer> left = new java.util.HashMap<>();
    List<Candidate> empty = new ArrayList<>();
    for (Candidate c : drifted) {
      String pool = c.claim().nodePool();
      if (c.state().empty() && left.computeIfAbsent(pool, p -> budgets.remaining(p, reason())) > 0) {
        left.merge(pool, -1, Integer::sum);
        empty.add(c);
      }
    }
    if (!empty.isEmpty()) {
      return Optional.of(new DisruptionCommand(reason(), empty, List.of(), empty.size() + " drifted node(s) run no "
          + "pods but DaemonSets' (" + why(empty.getFirst(), view).orElse("") + ")",
          budgets.allowance(empty.getFirst().claim().nodePool(), reason()).budget(), null));
    }
    for (Candidate c : drifted) {
      if (c.state().empty() || budgets.remaining(c.claim().nodePool(), reason()) <= 0) {
        continue;
      }
      Plan plan = consolidator.simulate(List.of(c), owned, view);
      if (plan == null) {
        continue;
      }
      return Optional.of(new DisruptionCommand(reason(), List.of(c), plan.nodeClaims(), why(c, view).orElse("")
          + (plan.nodeClaims().isEmpty() ? "; its pods fit in the others' room" : "; replaced by "
          + plan.nodeClaims().size() + " node(s)"), budgets.allowance(c.claim().nodePool(), reason()).budget(), null));
    }
    return Optional.empty();
  }

  /** What holds a node against a graceful disruption: do-not-disrupt on it or a pod, a budget with no room. */
  static String blocker(Candidate c) {
    if (c.state().doNotDisrupt()) {
      return "node is marked do-not-disrupt";
    }
    for (NodeState.NodePod pod : c.state().pods()) {
      String b = pod.daemon() ? null : pod.blocker();
      if (b != null) {
        return b;
      }
    }
    return null;
  }
}
