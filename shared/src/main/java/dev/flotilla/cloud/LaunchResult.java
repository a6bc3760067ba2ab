package dev.flotilla.cloud;

import dev.flotilla.model.CapacityType;

/** What became of a launch request. */
public sealed interface LaunchResult {

  String claimId();

  /**
   * An instance runs for the claim.
   *
   * @param subnet         the subnet it was launched into, where the cloud says (null otherwise)
   * @param securityGroups the security groups its launch template gives it, where known (empty otherwise)
   */
  record Launched(String claimId, String instanceId, String instanceType, String zone, CapacityType capacityType,
      double pricePerHour, String subnet, java.util.List<String> securityGroups) implements LaunchResult {

    public Launched {
      securityGroups = securityGroups == null ? java.util.List.of() : java.util.List.copyOf(securityGroups);
    }

    /** An instance whose network is not known. */
    public Launched(String claimId, String instanceId, String instanceType, String zone, CapacityType capacityType,
        double pricePerHour) {
      this(claimId, instanceId, instanceType, zone, capacityType, pricePerHour, null, java.util.List.of());
    }
  }

  /** No instance could be had; {@code reason} carries EC2's error codes. */
  record Failed(String claimId, String reason) implements LaunchResult {}
}
