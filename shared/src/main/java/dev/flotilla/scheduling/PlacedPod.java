package dev.flotilla.scheduling;

import dev.flotilla.model.PendingPod;

/**
 * A pod running in a zone (DaemonSets' too: they mark the zones that have nodes), on a node of a capacity type (null
 * where its node has no such label). Zone and capacity-type spreads count it as the cluster's scheduler does: a
 * pending pod may only go where the skew against the running ones stays within maxSkew, the skew taken over the zones
 * that have nodes.
 */
public record PlacedPod(PendingPod pod, String zone, String capacityType) {

  public PlacedPod(PendingPod pod, String zone) {
    this(pod, zone, null);
  }

  /** The pod on a node with {@code labels}, its zone and capacity type read from them (either spelling). */
  public static PlacedPod on(PendingPod pod, String zone, java.util.Map<String, String> labels) {
    String capacityType = labels.get(dev.flotilla.model.WellKnownLabels.CAPACITY_TYPE);
    if (capacityType == null) {
      capacityType = labels.get("karpenter.sh/capacity-type");
    }
    return new PlacedPod(pod, zone, capacityType);
  }
}
