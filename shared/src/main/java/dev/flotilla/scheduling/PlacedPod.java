package dev.flotilla.scheduling;

import dev.flotilla.model.PendingPod;

/**
 * A pod running in a zone (DaemonSets' too: they mark the zones that have nodes). Zone spreads count it as the
 * cluster's scheduler does: a pending pod may only go where the skew against the running ones stays within maxSkew,
 * the skew taken over the zones that have nodes.
 */
public record PlacedPod(PendingPod pod, String zone) {}
