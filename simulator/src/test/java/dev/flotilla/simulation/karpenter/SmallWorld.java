package dev.flotilla.simulation.karpenter;

import dev.flotilla.catalog.InstanceType;
import dev.flotilla.catalog.NodeCapacity;
import dev.flotilla.catalog.Offering;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Hand-sized catalogs, pools, pods and nodes for working Karpenter's rules out on paper. */
final class SmallWorld {

  static final String ZONE = "us-east-1a";
  static final long GIB = NodeCapacity.GIB;

  private SmallWorld() {}

  /** An amd64 type with plenty of memory and pod slots, offered in one zone on-demand and, when spot > 0, spot. */
  static InstanceType type(String name, int vcpu, double onDemand) {
    return new InstanceType(name, name.substring(0, name.indexOf('.')), vcpu, 64 * 1024L, "amd64", 0, 0, 110,
        onDemand, List.of(ZONE), true, false, 0, 0);
  }

  static OfferingCatalog catalog(List<InstanceType> types, double spotRatio) {
    List<Offering> offerings = new ArrayList<>();
    for (InstanceType t : types) {
      offerings.add(new Offering(t, ZONE, CapacityType.ON_DEMAND, t.onDemandUsdPerHour()));
      if (spotRatio > 0) {
        offerings.add(new Offering(t, ZONE, CapacityType.SPOT, t.onDemandUsdPerHour() * spotRatio));
      }
    }
    return new OfferingCatalog("us-east-1", types, offerings);
  }

  static NodePool pool(String name, int weight, String... capacityTypes) {
    return new NodePool(name, List.of(Requirement.in(WellKnownLabels.CAPACITY_TYPE, capacityTypes)), Map.of(),
        List.of(), List.of(), Resources.NONE, weight, new NodePool.Disruption(
            NodePool.ConsolidationPolicy.WhenEmptyOrUnderutilized, Duration.ZERO, List.of(), false));
  }

  static PendingPod pod(String name, long cpuMillis, long memoryGiB) {
    return PendingPod.builder("default/" + name).requests(Resources.of(cpuMillis, memoryGiB * GIB))
        .ownerKind("ReplicaSet").labels(Map.of("app", name)).build();
  }

  /** A claim whose node is ready, with its mirrored state holding {@code pods}, written to the store. */
  static Claim readyNode(ClaimStore store, String id, InstanceType type, CapacityType capacityType, double price,
      String pool, Instant at, List<PendingPod> pods) {
    Claim c = Claim.launching(id, pool, List.of(type.name()), List.of(ZONE), capacityType, List.of(),
        Resources.NONE, price, at);
    store.create(c);
    Claim launched = store.transition(c, c.launched("i-" + id, type.name(), ZONE, capacityType, price, at));
    Claim ready = store.transition(launched, launched.withNode("node-" + id).moved(ClaimState.Initialized, at));
    store.putNodeState("node-" + id, state(ready, type, pods).toJson());
    return ready;
  }

  static NodeState state(Claim claim, InstanceType type, List<PendingPod> pods) {
    Map<String, String> labels = new LinkedHashMap<>(NodePoolTemplate.labels(pool(claim.nodePool(), 0, "spot",
        "on-demand"), type, "us-east-1"));
    labels.put(WellKnownLabels.ZONE, ZONE);
    labels.put(WellKnownLabels.CAPACITY_TYPE, claim.capacityType().label());
    labels.put(WellKnownLabels.HOSTNAME, claim.nodeName());
    return new NodeState(claim.nodeName(), claim.instanceId(), labels, false, NodeCapacity.allocatable(type),
        List.of(), pods.stream().map(p -> new NodeState.NodePod(p, -1)).toList());
  }
}
