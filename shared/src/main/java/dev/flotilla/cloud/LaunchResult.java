package dev.flotilla.cloud;

import dev.flotilla.model.CapacityType;

/** What became of a launch request. */
public sealed interface LaunchResult {

  String claimId();

  /** An instance runs for the claim. */
  record Launched(String claimId, String instanceId, String instanceType, String zone, CapacityType capacityType,
      double pricePerHour) implements LaunchResult {}

  /** No instance could be had; {@code reason} carries EC2's error codes. */
  record Failed(String claimId, String reason) implements LaunchResult {}
}
