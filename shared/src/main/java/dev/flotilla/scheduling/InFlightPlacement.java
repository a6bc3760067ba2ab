package dev.flotilla.scheduling;

import java.util.List;

/** Pending pods the plan puts in the spare room of an in-flight claim's node. */
public record InFlightPlacement(String claimId, List<String> pods) {

  public InFlightPlacement {
    pods = List.copyOf(pods);
  }
}
