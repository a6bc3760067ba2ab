package dev.flotilla.provisioning;

import dev.flotilla.claims.ClaimStore;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.scheduling.PlacedPod;
import java.util.ArrayList;
import java.util.List;

/**
 * The running pods a plan's zone spreads must count, read from the forwarder's node mirror. A pending pod of a
 * zone-spread workload can only land in a zone that keeps the skew against its running siblings; a plan blind to
 * them puts its node in a zone the cluster's scheduler then refuses, and the pod waits for launch after launch.
 */
final class RunningZones {

  private RunningZones() {}

  /** Empty unless some pending pod spreads over zones: only then is the mirror read. */
  static List<PlacedPod> countedBy(List<PendingPod> pending, ClaimStore store) {
    boolean zoneSpread = pending.stream().anyMatch(p -> p.spreads().stream()
        .anyMatch(s -> s.topologyKey().equals(WellKnownLabels.ZONE)));
    if (!zoneSpread) {
      return List.of();
    }
    List<PlacedPod> running = new ArrayList<>();
    for (String doc : store.nodeStates().values()) {
      NodeState node = NodeState.parse(doc);
      String zone = node.labels().get(WellKnownLabels.ZONE);
      if (zone == null) {
        continue;
      }
      for (NodeState.NodePod p : node.pods()) {
        running.add(new PlacedPod(p.pod(), zone));
      }
    }
    // pods reserved on nodes still in flight land in their claim's zone: they count there already
    for (dev.flotilla.claims.Claim c : store.claims()) {
      boolean inFlight = c.state() == dev.flotilla.claims.ClaimState.Launched
          || c.state() == dev.flotilla.claims.ClaimState.Registered;
      if (inFlight && c.zone() != null) {
        for (dev.flotilla.claims.PodKind kind : c.kinds()) {
          for (int i = 0; i < kind.count(); i++) {
            running.add(new PlacedPod(kind.pod(), c.zone()));
          }
        }
      }
    }
    return running;
  }
}
