package dev.flotilla.scheduling;

import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.nodepool.NodePool;
import java.util.List;
import java.util.Map;

/**
 * Everything one scheduling decision depends on.
 *
 * @param daemonSets pod templates of the DaemonSets: each takes its requests and a pod slot on every node it matches
 * @param poolUsage  capacity the pools' existing and in-flight nodes already count against their limits
 * @param inFlight   nodes launched or launching whose spare room is filled first
 * @param running    pods running now, with their zones, that zone spreads count
 */
public record SchedulingInput(
    List<PendingPod> pods,
    List<NodePool> pools,
    OfferingCatalog catalog,
    List<PendingPod> daemonSets,
    Map<String, Resources> poolUsage,
    List<InFlightNode> inFlight,
    RunningPods running) {

  public SchedulingInput {
    pods = List.copyOf(pods);
    pools = pools == null || pools.isEmpty() ? List.of(NodePool.defaultPool()) : List.copyOf(pools);
    daemonSets = daemonSets == null ? List.of() : List.copyOf(daemonSets);
    poolUsage = poolUsage == null ? Map.of() : Map.copyOf(poolUsage);
    inFlight = inFlight == null ? List.of() : List.copyOf(inFlight);
    running = running == null ? RunningPods.NONE : running;
  }

  public SchedulingInput(List<PendingPod> pods, List<NodePool> pools, OfferingCatalog catalog,
      List<PendingPod> daemonSets, Map<String, Resources> poolUsage, List<InFlightNode> inFlight) {
    this(pods, pools, catalog, daemonSets, poolUsage, inFlight, RunningPods.NONE);
  }

  public SchedulingInput(List<PendingPod> pods, List<NodePool> pools, OfferingCatalog catalog,
      List<PendingPod> daemonSets, Map<String, Resources> poolUsage) {
    this(pods, pools, catalog, daemonSets, poolUsage, List.of(), RunningPods.NONE);
  }

  public SchedulingInput(List<PendingPod> pods, List<NodePool> pools, OfferingCatalog catalog) {
    this(pods, pools, catalog, List.of(), Map.of(), List.of(), RunningPods.NONE);
  }
}
