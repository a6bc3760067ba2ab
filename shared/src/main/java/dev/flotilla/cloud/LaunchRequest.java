package dev.flotilla.cloud;

import dev.flotilla.model.CapacityType;
import java.util.List;

/**
 * One instance to launch for one claim: the instance types it may be (ranked, cheapest first), the zones it may be
 * in, how to buy it. Requests alike in all but the claim go out together as one CreateFleet.
 *
 * @param nodePoolHash the NodePool's template hash the claim notes, tagged on the instance (null: none)
 */
public record LaunchRequest(String claimId, String nodePool, List<String> instanceTypes, List<String> zones,
    CapacityType capacityType, String nodePoolHash) {

  public LaunchRequest {
    instanceTypes = List.copyOf(instanceTypes);
    zones = List.copyOf(zones);
    if (instanceTypes.isEmpty() || zones.isEmpty()) {
      throw new IllegalArgumentException("launch for claim " + claimId + " needs instance types and zones");
    }
  }

  public LaunchRequest(String claimId, String nodePool, List<String> instanceTypes, List<String> zones,
      CapacityType capacityType) {
    this(claimId, nodePool, instanceTypes, zones, capacityType, null);
  }

  /** What identical requests share: everything but the claim. */
  public record Shape(String nodePool, List<String> instanceTypes, List<String> zones, CapacityType capacityType,
      String nodePoolHash) {}

  public Shape shape() {
    return new Shape(nodePool, instanceTypes, zones, capacityType, nodePoolHash);
  }
}
