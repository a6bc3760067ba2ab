package dev.flotilla.provisioning;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.PodKind;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.scheduling.PlacedPod;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The running pods a plan's zone spreads must count, read from the forwarder's node mirror. A pending pod of a
 * zone-spread workload can only land in a zone that keeps the skew against its running siblings; a plan blind to
 * them puts its node in a zone the cluster's scheduler then refuses, and the pod waits for launch after launch.
 */
final class RunningZones {

  private RunningZones() {}

  /** Empty unless some pending pod spreads over zones: only then is the mirror read. */
  static List<PlacedPod> countedBy(List<PendingPod> pending, Supplier<List<NodeState>> mirror, List<Claim> claims) {
    boolean zoneSpread = pending.stream().anyMatch(p -> p.spreads().stream()
        .anyMatch(s -> s.topologyKey().equals(WellKnownLabels.ZONE)));
    if (!zoneSpread) {
      return List.of();
    }
    List<PlacedPod> running = new ArrayList<>();
    Map<String, PendingPod> runningByName = new HashMap<>();
    for (NodeState node : mirror.get()) {
      String zone = node.labels().get(WellKnownLabels.ZONE);
      if (zone == null) {
        continue;
      }
      for (NodeState.NodePod p : node.pods()) {
        running.add(new PlacedPod(p.pod(), zone));
        runningByName.put(p.pod().name(), p.pod());
      }
    }
    // pods reserved on nodes still in flight land in their claim's zone: they count there already
    for (Claim c : claims) {
      boolean inFlight = c.state() == ClaimState.Launched || c.state() == ClaimState.Registered;
      if (inFlight && c.zone() != null) {
        for (PodKind kind : stillToLand(c, runningByName)) {
          for (int i = 0; i < kind.count(); i++) {
            running.add(new PlacedPod(kind.pod(), c.zone()));
          }
        }
      }
    }
    return running;
  }

  /**
   * The claim's kinds less its reserved pods the mirror shows running already: those count where they run. A claim
   * still Registered whose node runs pods is one whose Ready event was lost; counting its reservations on top of
   * its running pods would make its zone look fuller than it is, and a plan would then avoid the very zone a
   * spread's minimum is in, launching nodes the cluster's scheduler refuses the pods on.
   */
  private static List<PodKind> stillToLand(Claim c, Map<String, PendingPod> runningByName) {
    List<PendingPod> landed = c.pods().stream().map(runningByName::get).filter(Objects::nonNull).toList();
    if (landed.isEmpty()) {
      return c.kinds();
    }
    List<PodKind> left = new ArrayList<>();
    List<PendingPod> unmatched = new ArrayList<>(landed);
    for (PodKind kind : c.kinds()) {
      int count = kind.count();
      // a spread's selector reads a pod's namespace and labels: a landed pod with the kind's is one of its pods
      for (var it = unmatched.iterator(); it.hasNext() && count > 0; ) {
        PendingPod pod = it.next();
        if (pod.namespace().equals(kind.pod().namespace()) && pod.labels().equals(kind.pod().labels())) {
          it.remove();
          count--;
        }
      }
      if (count > 0) {
        left.add(new PodKind(kind.pod(), count));
      }
    }
    return left;
  }
}
