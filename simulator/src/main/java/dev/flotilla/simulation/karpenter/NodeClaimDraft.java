package dev.flotilla.simulation.karpenter;

import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.simulation.karpenter.NodePoolTemplate.TypeOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A NodeClaim the scheduling simulation is building (kubernetes-sigs/karpenter
 * {@code provisioning/scheduling/nodeclaim.go}): it starts from its NodePool's template and takes pods one by one; each
 * pod narrows its zones and capacity types to what the pod allows and its instance types to those that match the pod
 * and still hold every pod it has, and is refused when no type would be left. The type is chosen only at launch.
 */
final class NodeClaimDraft {

  final NodePoolTemplate template;
  final List<PendingPod> pods = new ArrayList<>();
  List<TypeOption> types;
  Set<String> zones;
  Set<CapacityType> capacityTypes;
  Resources requests = Resources.NONE;

  NodeClaimDraft(NodePoolTemplate template) {
    this.template = template;
    this.types = template.types;
    this.zones = new TreeSet<>(template.zones);
    this.capacityTypes = EnumSet.copyOf(template.capacityTypes);
  }

  /** Adds the pod if some instance type would still hold all the pods, within what the spread allows. */
  boolean add(Preferences pod, ZoneSpread spread) {
    PendingPod p = pod.original();
    if (!PodRules.admits(pod, template.pool.taints(), pods)) {
      return false;
    }
    List<Requirement> reqs = PodRules.requirements(pod);
    Set<String> z = new TreeSet<>(zones);
    Set<CapacityType> ct = EnumSet.copyOf(capacityTypes);
    for (Requirement r : reqs) {
      if (PodRules.isZone(r)) {
        z.removeIf(zone -> !r.matchesValue(zone));
      } else if (PodRules.isCapacityType(r)) {
        ct.removeIf(c -> !r.matchesValue(c.label()));
      }
    }
    if (!p.volumeZones().isEmpty()) {
      z.retainAll(p.volumeZones());
    }
    Resources total = requests.plus(p.requests());
    List<TypeOption> kept = new ArrayList<>();
    for (TypeOption t : types) {
      if (total.fitsIn(t.room()) && matches(reqs, t) && t.offered(z, ct)) {
        kept.add(t);
      }
    }
    if (kept.isEmpty()) {
      return false;
    }
    String pinned = spread.pick(pod, offeredZones(kept, z, ct));
    if (pinned != null) {
      if (pinned.isEmpty()) {
        return false;
      }
      z = new TreeSet<>(Set.of(pinned));
      Set<String> only = z;
      kept.removeIf(t -> !t.offered(only, ct));
    }
    types = kept;
    zones = z;
    capacityTypes = ct;
    requests = total;
    pods.add(p);
    spread.record(p, zones.size() == 1 ? zones.iterator().next() : null);
    return true;
  }

  private static boolean matches(List<Requirement> reqs, TypeOption t) {
    for (Requirement r : reqs) {
      if (!PodRules.isZone(r) && !PodRules.isCapacityType(r) && !r.matches(t.labels())) {
        return false;
      }
    }
    return true;
  }

  private static Set<String> offeredZones(List<TypeOption> types, Set<String> zones, Set<CapacityType> cts) {
    Set<String> offered = new TreeSet<>();
    for (TypeOption t : types) {
      t.offerings().stream().filter(o -> zones.contains(o.zone()) && cts.contains(o.capacityType()))
          .forEach(o -> offered.add(o.zone()));
    }
    return offered;
  }

  /** What the NodeClaim counts against its pool's limits while planned: its largest type, as Karpenter subtracts. */
  Resources largestCapacity() {
    Resources max = Resources.NONE;
    for (TypeOption t : types) {
      max = max.max(dev.flotilla.catalog.NodeCapacity.capacity(t.type()));
    }
    return max;
  }
}
