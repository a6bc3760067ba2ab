package dev.flotilla.simulation.karpenter;

import dev.flotilla.model.CapacityType;
import dev.flotilla.scheduling.InstanceTypeOption;
import dev.flotilla.scheduling.NodeClaim;
import dev.flotilla.simulation.karpenter.NodePoolTemplate.TypeOption;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * What a planned NodeClaim asks EC2 for, as aws/karpenter-provider-aws {@code pkg/providers/instance} builds its
 * CreateFleet request: spot when the claim allows spot and some type has a spot offering in its zones, else
 * on-demand; the types with an offering of that capacity type, cheapest offering first, truncated to
 * {@link #MAX_INSTANCE_TYPES}. CreateFleet then takes spot by price-capacity-optimized and on-demand by lowest price;
 * the simulated EC2 stands for both with the cheapest offering that has capacity.
 */
final class LaunchOrder {

  /** aws/karpenter-provider-aws {@code pkg/providers/instance/instance.go}: {@code maxInstanceTypes = 60}. */
  static final int MAX_INSTANCE_TYPES = 60;

  private LaunchOrder() {}

  static CapacityType capacityType(List<TypeOption> types, Set<String> zones, Set<CapacityType> allowed) {
    return allowed.contains(CapacityType.SPOT) && types.stream().anyMatch(t -> t.offered(zones, Set.of(CapacityType.SPOT)))
        ? CapacityType.SPOT : CapacityType.ON_DEMAND;
  }

  /** The types a claim of this capacity type may launch as, cheapest first, every one of them (no truncation). */
  static List<InstanceTypeOption> byPrice(List<TypeOption> types, Set<String> zones, CapacityType capacityType) {
    return types.stream().filter(t -> !Double.isNaN(t.price(zones, capacityType)))
        .map(t -> new InstanceTypeOption(t.type().name(), t.price(zones, capacityType)))
        .sorted(Comparator.comparingDouble(InstanceTypeOption::pricePerHour).thenComparing(InstanceTypeOption::name))
        .toList();
  }

  /** The request for a planned claim. */
  static NodeClaim of(NodeClaimDraft draft) {
    CapacityType ct = capacityType(draft.types, draft.zones, draft.capacityTypes);
    return request(draft, ct, byPrice(draft.types, draft.zones, ct));
  }

  /** A request for the claim's pods with these ranked types, truncated as the provider truncates. */
  static NodeClaim request(NodeClaimDraft draft, CapacityType ct, List<InstanceTypeOption> ranked) {
    List<InstanceTypeOption> sent = ranked.subList(0, Math.min(MAX_INSTANCE_TYPES, ranked.size()));
    String first = sent.getFirst().name();
    TypeOption cheapest = draft.types.stream().filter(t -> t.type().name().equals(first)).findFirst().orElseThrow();
    String zone = cheapest.offerings().stream().filter(o -> draft.zones.contains(o.zone()) && o.capacityType() == ct)
        .min(Comparator.comparingDouble(dev.flotilla.catalog.Offering::pricePerHour)
            .thenComparing(dev.flotilla.catalog.Offering::zone)).orElseThrow().zone();
    return new NodeClaim(draft.template.pool.name(), zone, List.copyOf(draft.zones), ct, sent,
        draft.pods.stream().map(dev.flotilla.model.PendingPod::name).toList(), draft.requests, cheapest.room());
  }
}
