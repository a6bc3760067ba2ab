package dev.flotilla.scheduling;

import dev.flotilla.model.CapacityType;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The running pods a zone rule's selector matches, counted per zone of the catalog (and per capacity type): what the
 * cluster's scheduler counts before any planned pod lands. Changes when what counts as running, or where, changes.
 */
final class RunningZoneCounts {
  private final RunningPods running;
  private final int zoneCount;
  private final List<RunningPods.Count> counts;
  /** The index in the zones of each running count's zone, -1 where the catalog has none. */
  private final int[] zoneOf;
  /** Where the cluster has nodes: a running cluster's scheduler counts a spread's skew over these zones alone. */
  private final Set<String> zonesWithNodes = new HashSet<>();

  RunningZoneCounts(RunningPods running, List<String> zones) {
    this.running = running;
    this.zoneCount = zones.size();
    this.counts = running.counts();
    // each spread counts the running pods again: their zones looked up once
    this.zoneOf = new int[counts.size()];
    for (int i = 0; i < counts.size(); i++) {
      String zone = counts.get(i).zone();
      zonesWithNodes.add(zone);
      zoneOf[i] = zones.indexOf(zone);
    }
  }

  /** Whether no pod runs. */
  boolean isEmpty() {
    return running.isEmpty();
  }

  /** Whether a running pod's node is in the zone. */
  boolean hasNodesIn(String zone) {
    return zonesWithNodes.contains(zone);
  }

  /**
   * The zones where pods the group selects run already: a pod with zone affinity to them must go there, and one with
   * zone anti-affinity must not, whatever the plan does.
   */
  long zones(Topology.Group g) {
    long[] n = counts(g);
    long mask = 0;
    for (int z = 0; z < zoneCount; z++) {
      mask |= n[z] > 0 ? 1L << z : 0;
    }
    return mask;
  }

  /** How many pods the group selects run in each zone, and in all (the last entry). */
  long[] counts(Topology.Group g) {
    long[] n = new long[zoneCount + 1];
    for (int i = 0; i < zoneOf.length; i++) {
      if (zoneOf[i] >= 0 && g.matches(counts.get(i).pod())) {
        n[zoneOf[i]] += counts.get(i).count();
        n[zoneCount] += counts.get(i).count();
      }
    }
    return n;
  }

  /** A new spread starts from the pods already running in each zone: the skew the cluster's scheduler checks. */
  ZoneSpread seeded(ZoneSpread spread) {
    long[] n = counts(spread.group);
    for (int z = 0; z < zoneCount; z++) {
      spread.counts[z] += n[z];
    }
    return spread;
  }

  /** How many pods the group selects run on each capacity type (by ordinal; nodes labelled with one). */
  long[] byCapacityType(Topology.Group g) {
    long[] n = new long[CapacityType.values().length];
    Map<String, Integer> byType = running.byCapacityType(g::matches);
    for (CapacityType type : CapacityType.values()) {
      n[type.ordinal()] = byType.getOrDefault(type.label(), 0);
    }
    return n;
  }
}
