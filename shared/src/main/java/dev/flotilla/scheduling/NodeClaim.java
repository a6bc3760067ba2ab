package dev.flotilla.scheduling;

import dev.flotilla.model.CapacityType;
import dev.flotilla.model.Resources;
import java.util.List;

/**
 * A node to launch: its NodePool, zone and capacity type, the pods it is for, and the instance types that can hold
 * them ranked cheapest first (the first is the one priced; the rest give CreateFleet room to find capacity).
 *
 * @param zones     every zone the claim may launch in (its pods allow them all); {@code zone} is the cheapest
 * @param requests  what its pods request, DaemonSets aside
 */
public record NodeClaim(
    String nodePool,
    String zone,
    List<String> zones,
    CapacityType capacityType,
    List<InstanceTypeOption> instanceTypes,
    List<String> pods,
    Resources requests,
    Resources allocatable) {

  public NodeClaim {
    zones = List.copyOf(zones);
    instanceTypes = List.copyOf(instanceTypes);
    pods = List.copyOf(pods);
    if (instanceTypes.isEmpty()) {
      throw new IllegalArgumentException("a node claim needs at least one instance type");
    }
  }

  public String instanceType() {
    return instanceTypes.getFirst().name();
  }

  public double pricePerHour() {
    return instanceTypes.getFirst().pricePerHour();
  }

  /**
   * The same claim allowed only the instance types priced under {@code limit}, so that whatever CreateFleet finds
   * capacity for keeps the saving it was planned for; empty when none is.
   */
  public java.util.Optional<NodeClaim> pricedUnder(double limit) {
    List<InstanceTypeOption> cheaper = instanceTypes.stream().filter(t -> t.pricePerHour() < limit).toList();
    return cheaper.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(new NodeClaim(nodePool, zone, zones,
        capacityType, cheaper, pods, requests, allocatable));
  }
}
