package dev.flotilla.claims;

import dev.flotilla.model.CapacityType;
import java.time.Instant;
import java.util.List;

/**
 * A node Flotilla decided to launch, as the claim store keeps it: what it is for (pods, NodePool, allowed instance
 * types and zones) and what it became (instance, type, zone, price). Every change goes through a conditional write
 * on {@code state} and {@code version}, so two functions never both move the same claim.
 *
 * @param instanceTypes ranked cheapest first, as CreateFleet gets them
 * @param pods          the keys (uid, or namespace/name) of the pods it reserves
 */
public record Claim(
    String id,
    String nodePool,
    ClaimState state,
    long version,
    List<String> instanceTypes,
    List<String> zones,
    CapacityType capacityType,
    List<String> pods,
    String instanceId,
    String instanceType,
    String zone,
    double pricePerHour,
    String nodeName,
    Instant createdAt,
    Instant updatedAt) {

  public Claim {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("claim: id is required");
    }
    instanceTypes = instanceTypes == null ? List.of() : List.copyOf(instanceTypes);
    zones = zones == null ? List.of() : List.copyOf(zones);
    pods = pods == null ? List.of() : List.copyOf(pods);
  }

  /** A new claim, before any instance exists. */
  public static Claim launching(String id, String nodePool, List<String> instanceTypes, List<String> zones,
      CapacityType capacityType, List<String> pods, double estimatedPrice, Instant now) {
    return new Claim(id, nodePool, ClaimState.Launching, 1, instanceTypes, zones, capacityType, pods, null, null,
        null, estimatedPrice, null, now, now);
  }

  /** The claim once its instance exists. */
  public Claim launched(String instanceId, String instanceType, String zone, CapacityType boughtAs, double price,
      Instant now) {
    return new Claim(id, nodePool, ClaimState.Launched, version, instanceTypes, zones, boughtAs, pods, instanceId,
        instanceType, zone, price, nodeName, createdAt, now);
  }

  public Claim moved(ClaimState to, Instant now) {
    return new Claim(id, nodePool, to, version, instanceTypes, zones, capacityType, pods, instanceId, instanceType,
        zone, pricePerHour, nodeName, createdAt, now);
  }

  public Claim withNode(String node) {
    return new Claim(id, nodePool, state, version, instanceTypes, zones, capacityType, pods, instanceId,
        instanceType, zone, pricePerHour, node, createdAt, updatedAt);
  }

  Claim withVersion(long v) {
    return new Claim(id, nodePool, state, v, instanceTypes, zones, capacityType, pods, instanceId, instanceType,
        zone, pricePerHour, nodeName, createdAt, updatedAt);
  }
}
