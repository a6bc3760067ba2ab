package dev.flotilla.provisioning;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.PodKind;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.scheduling.PlacedPod;
import dev.flotilla.scheduling.RunningPods;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The running pods a plan's zone rules must count, read from the forwarder's node mirror. A pending pod of a
 * zone-spread workload can only land in a zone that keeps the skew against its running siblings, one with zone
 * affinity only in a zone where a pod it selects runs, one with zone anti-affinity only where none does; a plan blind
 * to them puts its node in a zone the cluster's scheduler then refuses, and the pod waits for launch after launch.
 * A capacity-type spread counts them the same way, by their nodes' capacity type.
 */
final class RunningZones {

  private RunningZones() {}

  /** Empty unless some pending pod has a zone rule (spread, affinity, anti-affinity): only then is the mirror read. */
  static RunningPods countedBy(List<PendingPod> pending, Supplier<List<NodeState>> mirror, List<Claim> claims) {
    return countedBy(pending, mirror, claims, java.util.Set.of());
  }

  /** As above, without the running pods named in {@code leaving} (those of a node about to go). */
  static RunningPods countedBy(List<PendingPod> pending, Supplier<List<NodeState>> mirror, List<Claim> claims,
      java.util.Set<String> leaving) {
    boolean zoneRules = pending.stream().anyMatch(p -> p.spreads().stream()
        .anyMatch(s -> s.topologyKey().equals(WellKnownLabels.ZONE))
        || p.affinity().stream().anyMatch(t -> t.topologyKey().equals(WellKnownLabels.ZONE)
            || t.topologyKey().equals(WellKnownLabels.HOSTNAME))
        || p.antiAffinity().stream().anyMatch(t -> t.topologyKey().equals(WellKnownLabels.ZONE))
        || p.spreads().stream().anyMatch(s -> s.topologyKey().equals(WellKnownLabels.CAPACITY_TYPE)));
    if (!zoneRules) {
      return RunningPods.NONE;
    }
    List<PlacedPod> running = new ArrayList<>();
    Map<String, PendingPod> runningByName = new HashMap<>();
    for (NodeState node : mirror.get()) {
      String zone = node.labels().get(WellKnownLabels.ZONE);
      if (zone == null) {
        continue;
      }
      for (NodeState.NodePod p : node.pods()) {
        runningByName.put(p.pod().name(), p.pod());
        if (!leaving.contains(p.pod().name())) {
          running.add(PlacedPod.on(p.pod(), zone, node.labels()));
        }
      }
    }
    // pods reserved on nodes still in flight land in their claim's zone: they count there already
    for (Claim c : claims) {
      boolean inFlight = c.state() == ClaimState.Launched || c.state() == ClaimState.Registered;
      if (inFlight && c.zone() != null) {
        for (PodKind kind : c.kindsStillToLand(runningByName)) {
          for (int i = 0; i < kind.count(); i++) {
            running.add(new PlacedPod(kind.pod(), c.zone(),
                c.capacityType() == null ? null : c.capacityType().label()));
          }
        }
      }
    }
    return RunningPods.of(running);
  }
}
