package dev.flotilla.scheduling;

import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import java.util.List;

/**
 * A node already launched or launching for a claim, with the pods it is for: its spare room is filled before any new
 * node is planned, so a burst of events never launches more than it needs.
 */
public record InFlightNode(String claimId, String nodePool, String instanceType, String zone,
    CapacityType capacityType, List<PendingPod> pods) {

  public InFlightNode {
    pods = List.copyOf(pods);
  }
}
