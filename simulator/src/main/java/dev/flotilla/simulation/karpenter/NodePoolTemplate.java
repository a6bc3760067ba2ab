package dev.flotilla.simulation.karpenter;

import dev.flotilla.catalog.InstanceType;
import dev.flotilla.catalog.NodeCapacity;
import dev.flotilla.catalog.NodeLabels;
import dev.flotilla.catalog.Offering;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a new NodeClaim from one NodePool may be (Karpenter's {@code NodeClaimTemplate}): the instance types the pool's
 * requirements allow with an offering that can be bought now, each with its labels and the room its pods get once
 * the DaemonSets that would run there have taken theirs, and the zones and capacity types the pool allows.
 */
final class NodePoolTemplate {

  /** One instance type a NodeClaim may launch as. */
  record TypeOption(InstanceType type, Map<String, String> labels, Resources room, List<Offering> offerings) {

    boolean offered(Set<String> zones, Set<CapacityType> capacityTypes) {
      return offerings.stream().anyMatch(o -> zones.contains(o.zone()) && capacityTypes.contains(o.capacityType()));
    }

    /** The cheapest price among the offerings allowed, or NaN. */
    double price(Set<String> zones, CapacityType capacityType) {
      return offerings.stream().filter(o -> zones.contains(o.zone()) && o.capacityType() == capacityType)
          .mapToDouble(Offering::pricePerHour).min().orElse(Double.NaN);
    }
  }

  final NodePool pool;
  final List<TypeOption> types;
  final Set<String> zones;
  final Set<CapacityType> capacityTypes;

  private NodePoolTemplate(NodePool pool, List<TypeOption> types, Set<String> zones, Set<CapacityType> capacityTypes) {
    this.pool = pool;
    this.types = List.copyOf(types);
    this.zones = zones;
    this.capacityTypes = capacityTypes;
  }

  /** The same template with only the types {@code keep} accepts. */
  NodePoolTemplate narrowed(java.util.function.Predicate<TypeOption> keep) {
    return new NodePoolTemplate(pool, types.stream().filter(keep).toList(), zones, capacityTypes);
  }

  NodePoolTemplate(NodePool pool, OfferingCatalog catalog, List<PendingPod> daemonSets) {
    this.pool = pool;
    Set<CapacityType> cts = EnumSet.noneOf(CapacityType.class);
    for (CapacityType ct : CapacityType.values()) {
      if (pool.allows(ct)) {
        cts.add(ct);
      }
    }
    this.capacityTypes = cts;
    Set<String> allowedZones = new TreeSet<>();
    for (String z : catalog.zones()) {
      if (pool.requirements().stream().filter(PodRules::isZone).allMatch(r -> r.matchesValue(z))) {
        allowedZones.add(z);
      }
    }
    List<TypeOption> options = new ArrayList<>();
    Set<String> offeredZones = new TreeSet<>();
    for (InstanceType type : catalog.types()) {
      Map<String, String> labels = labels(pool, type, catalog.region());
      boolean allowed = true;
      for (Requirement r : pool.requirements()) {
        if (!PodRules.isZone(r) && !PodRules.isCapacityType(r) && !r.matches(labels)) {
          allowed = false;
          break;
        }
      }
      if (!allowed) {
        continue;
      }
      List<Offering> offerings = catalog.offerings(type).stream()
          .filter(o -> allowedZones.contains(o.zone()) && cts.contains(o.capacityType())).toList();
      if (offerings.isEmpty()) {
        continue;
      }
      Resources overhead = daemonSets.stream().filter(d -> PodRules.daemonRuns(d, pool.taints(), labels))
          .map(PendingPod::requests).reduce(Resources.NONE, Resources::plus);
      options.add(new TypeOption(type, labels, NodeCapacity.allocatable(type).minus(overhead), offerings));
      offerings.forEach(o -> offeredZones.add(o.zone()));
    }
    this.types = List.copyOf(options);
    this.zones = offeredZones;
  }

  /** The labels a node of this type from this pool carries, zone and capacity type aside. */
  static Map<String, String> labels(NodePool pool, InstanceType type, String region) {
    Map<String, String> labels = new LinkedHashMap<>(NodeLabels.of(type));
    NodeLabels.putRegion(labels, region);
    labels.put(WellKnownLabels.NODEPOOL, pool.name());
    labels.putAll(pool.labels());
    return NodeLabels.withAliases(labels);
  }
}
