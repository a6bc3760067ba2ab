package dev.flotilla.cloud;

import java.util.List;

/**
 * The compute Flotilla buys. Only instances carrying this cluster's ownership tag are ever terminated or listed as
 * owned; the same rule is enforced again by IAM conditions in AWS.
 */
public interface CloudProvider {

  /** How long an offering that ran out of capacity stays off the menu. */
  java.time.Duration UNAVAILABLE_FOR = java.time.Duration.ofMinutes(3);

  /** What terminating did. */
  enum Termination { TERMINATED, ALREADY_GONE, REFUSED_NOT_OWNED }

  /** One result per request, in order. Identical requests are launched together. */
  List<LaunchResult> launch(List<LaunchRequest> requests);

  Termination terminate(String instanceId);

  /** Instances of this cluster that are not terminated. */
  List<CloudInstance> ownedInstances();

  /** The instance, if it is one of this cluster's and not terminated. */
  default java.util.Optional<CloudInstance> ownedInstance(String instanceId) {
    return ownedInstances().stream().filter(i -> i.id().equals(instanceId)).findFirst();
  }
}
