package dev.flotilla.contracts;

import java.util.ArrayList;
import java.util.List;

/**
 * The detail of {@code Node Drained} and {@code Drain Failed}, which the forwarder sends when it finished a drain:
 * the node, the claim the drain was for, and the pods still there when it failed.
 */
public record DrainResult(String cluster, String node, String claimId, boolean drained, List<String> remainingPods) {

  public static DrainResult from(Envelope event) {
    if (!Envelope.FORWARDER.equals(event.source())) {
      throw new InvalidEventException("event.source: expected " + Envelope.FORWARDER + ", got " + event.source());
    }
    boolean drained = Envelope.NODE_DRAINED.equals(event.detailType());
    if (!drained && !Envelope.DRAIN_FAILED.equals(event.detailType())) {
      throw new InvalidEventException("event.detail-type: '" + event.detailType()
          + "' is not Node Drained or Drain Failed");
    }
    List<String> remaining = new ArrayList<>();
    event.detail().path("remainingPods").forEach(p -> remaining.add(p.asText()));
    return new DrainResult(event.detailText("cluster"), event.detailText("node"), event.detailText("claimId"), drained,
        remaining);
  }
}
