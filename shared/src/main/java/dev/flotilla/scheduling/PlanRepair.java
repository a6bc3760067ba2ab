package dev.flotilla.scheduling;

import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.model.WellKnownLabels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * After packing: takes out of a plan the pods whose rules the cluster's scheduler would no longer honour where they
 * are, and reports them. Packing leaves pods unplaced (NodePool limits, no affine node), and a pod that counts for
 * another's hostname affinity, zone spread or zone affinity may be among them; each pod taken out may leave another
 * without its partner, so this repeats until nothing more goes. Changes when what a plan must keep after packing
 * changes.
 */
final class PlanRepair {
  private final SchedulingInput input;
  private final Map<String, Integer> zoneIndex;
  /** Where the pods taken out are reported. */
  private final List<Unschedulable> unschedulable;

  PlanRepair(SchedulingInput input, Map<String, Integer> zoneIndex, List<Unschedulable> unschedulable) {
    this.input = input;
    this.zoneIndex = zoneIndex;
    this.unschedulable = unschedulable;
  }

  /**
   * The claims without the pods whose hostname affinity or zone topology no longer holds, round after round until
   * both hold; the in-flight placements lose them too.
   */
  List<NodeClaim> keep(ZoneTopology zoneTopology, List<NodeClaim> claims, List<InFlightPlacement> placements) {
    for (int reported = -1; reported != unschedulable.size(); ) {
      reported = unschedulable.size();
      claims = keepHostnameAffinity(claims, placements);
      claims = keepZoneTopology(zoneTopology, claims, placements);
    }
    return claims;
  }

  /**
   * Takes out of the plan the pods whose required hostname affinity the cluster's scheduler would refuse on their
   * node, and reports them. A node meets a term where it holds a pod the term selects that does not carry the term
   * itself (it binds regardless); where no such pod is anywhere (plan, in-flight room, cluster), the pods that select
   * their own kind may all go on one node, the first of them binding there as kube-scheduler lets the first pod of
   * such a group bind anywhere. The packing puts a pod only beside those it follows; this keeps what no packing
   * checks, round after round, as each pod taken out may leave another without its partner.
   */
  private List<NodeClaim> keepHostnameAffinity(List<NodeClaim> claims, List<InFlightPlacement> placements) {
    if (input.pods().stream().noneMatch(Scheduler::hasHostnameAffinity)) {
      return claims;
    }
    Map<String, PendingPod> byName = new HashMap<>();
    input.pods().forEach(p -> byName.put(p.name(), p));
    // each node's pods: a new node's, or an in-flight node's own and those placed on it
    List<List<PendingPod>> nodes = new ArrayList<>();
    claims.forEach(c -> nodes.add(c.pods().stream().map(byName::get).toList()));
    Map<String, List<PendingPod>> inFlightPods = new HashMap<>();
    input.inFlight().forEach(n -> inFlightPods.put(n.claimId(), n.pods()));
    for (InFlightPlacement placement : placements) {
      List<PendingPod> pods = new ArrayList<>(inFlightPods.getOrDefault(placement.claimId(), List.of()));
      placement.pods().forEach(n -> pods.add(byName.get(n)));
      nodes.add(pods);
    }
    Set<String> removed = new HashSet<>();
    for (boolean changed = true; changed; ) {
      changed = false;
      Map<Topology.Group, List<PendingPod>> seedNode = new HashMap<>();
      for (List<PendingPod> node : nodes) {
        for (PendingPod pod : node) {
          if (removed.contains(pod.name()) || !byName.containsKey(pod.name())) {
            continue;
          }
          for (Topology.Group term : Topology.hostnameAffinity(pod)) {
            if (!seedNode.containsKey(term)) {
              seedNode.put(term, seedNode(term, nodes, removed, byName));
            }
            if (!hasAnchor(term, node, removed, byName) && node != seedNode.get(term)) {
              removed.add(pod.name());
              changed = true;
              break;
            }
          }
        }
      }
    }
    if (removed.isEmpty()) {
      return claims;
    }
    removed.stream().sorted().forEach(p -> unschedulable.add(new Unschedulable(p, Scheduler.NO_AFFINE_NODE)));
    return withoutPods(claims, placements, removed);
  }

  /**
   * The one node where pods that select their own kind may start a group, or null: none where a pod the term
   * selects runs in the cluster or is on any node without carrying the term; else the node holding most of them.
   */
  private List<PendingPod> seedNode(Topology.Group term, List<List<PendingPod>> nodes,
      Set<String> removed, Map<String, PendingPod> pending) {
    if (!input.running().byZone(term::matches).isEmpty()) {
      return null;
    }
    List<PendingPod> seed = null;
    long most = 0;
    for (List<PendingPod> node : nodes) {
      if (hasAnchor(term, node, removed, pending)) {
        return null;
      }
      long members = node.stream().filter(p -> !removed.contains(p.name()) && term.matches(p)).count();
      if (members > most) {
        most = members;
        seed = node;
      }
    }
    return seed;
  }

  /**
   * Whether the node holds a pod the term selects that binds there regardless: one that does not carry the term, or
   * one already there (an in-flight node's own, not among the pending).
   */
  private static boolean hasAnchor(Topology.Group term, List<PendingPod> node, Set<String> removed,
      Map<String, PendingPod> pending) {
    for (PendingPod p : node) {
      if (!removed.contains(p.name()) && term.matches(p)
          && (!pending.containsKey(p.name()) || !Topology.hostnameAffinity(p).contains(term))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Takes out of the plan the pods whose zone spread or zone affinity no longer holds because pods it counts were
   * left unplaced (NodePool limits), and reports them; pods in in-flight claims' room count where those claims are,
   * and claims left empty go.
   */
  private List<NodeClaim> keepZoneTopology(ZoneTopology zoneTopology, List<NodeClaim> claims,
      List<InFlightPlacement> placements) {
    Map<String, Integer> zoneOf = new HashMap<>();
    for (NodeClaim claim : claims) {
      int z = zoneIndex.get(claim.zone());
      claim.pods().forEach(p -> zoneOf.put(p, z));
    }
    Map<String, Integer> inFlightZone = new HashMap<>();
    input.inFlight().forEach(n -> inFlightZone.put(n.claimId(), zoneIndex.get(n.zone())));
    for (InFlightPlacement placement : placements) {
      int z = inFlightZone.get(placement.claimId());
      placement.pods().forEach(p -> zoneOf.put(p, z));
    }
    Map<String, Integer> typeOf = new HashMap<>();
    claims.forEach(c -> c.pods().forEach(p -> typeOf.put(p, c.capacityType().ordinal())));
    Map<String, Integer> inFlightType = new HashMap<>();
    input.inFlight().stream().filter(n -> n.capacityType() != null)
        .forEach(n -> inFlightType.put(n.claimId(), n.capacityType().ordinal()));
    placements.stream().filter(pl -> inFlightType.containsKey(pl.claimId()))
        .forEach(pl -> pl.pods().forEach(p -> typeOf.put(p, inFlightType.get(pl.claimId()))));
    // a pod taken out for one spread leaves the others that count it: round after round until both hold
    List<String> out = new ArrayList<>();
    List<String> capacityOut = new ArrayList<>();
    ZoneRuleRepair repair = zoneTopology.repair();
    while (true) {
      List<String> capacity = repair.unbalancedCapacity(typeOf);
      capacity.forEach(zoneOf::remove);
      capacityOut.addAll(capacity);
      List<String> zone = repair.unbalanced(zoneOf);
      zone.forEach(typeOf::remove);
      out.addAll(zone);
      if (zone.isEmpty()) {
        break;
      }
    }
    if (out.isEmpty() && capacityOut.isEmpty()) {
      return claims;
    }
    for (String pod : capacityOut) {
      unschedulable.add(new Unschedulable(pod, "required capacity-type topology spread cannot be kept: pods it"
          + " counts are left unplaced (NodePool limits, or rules of their own)"));
    }
    for (String pod : out) {
      unschedulable.add(new Unschedulable(pod, "required zone topology cannot be kept: NodePool limits leave"
          + " pods its " + WellKnownLabels.ZONE + " spread or affinity counts on unplaced"));
    }
    Set<String> removed = new HashSet<>(out);
    removed.addAll(capacityOut);
    return withoutPods(claims, placements, removed);
  }

  /**
   * The claims without the pods named in {@code removed} (each claim's requests what it keeps, a claim left empty
   * gone); the in-flight placements lose them too.
   */
  private List<NodeClaim> withoutPods(List<NodeClaim> claims, List<InFlightPlacement> placements,
      Set<String> removed) {
    Map<String, PendingPod> byName = new HashMap<>();
    input.pods().forEach(p -> byName.put(p.name(), p));
    List<NodeClaim> kept = new ArrayList<>();
    for (NodeClaim claim : claims) {
      List<String> pods = claim.pods().stream().filter(p -> !removed.contains(p)).toList();
      if (pods.size() == claim.pods().size()) {
        kept.add(claim);
      } else if (!pods.isEmpty()) {
        Resources requests = Resources.NONE;
        for (String p : pods) {
          requests = requests.plus(byName.get(p).requests());
        }
        kept.add(new NodeClaim(claim.nodePool(), claim.zone(), claim.zones(), claim.capacityType(),
            claim.instanceTypes(), pods, requests, claim.allocatable()));
      }
    }
    placements.replaceAll(p -> p.pods().stream().noneMatch(removed::contains) ? p
        : new InFlightPlacement(p.claimId(), p.pods().stream().filter(n -> !removed.contains(n)).toList()));
    placements.removeIf(p -> p.pods().isEmpty());
    return kept;
  }
}
