package dev.flotilla.scheduling;

import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.PodAffinityTerm;
import dev.flotilla.model.TopologySpread;
import dev.flotilla.model.WellKnownLabels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Settles zone-level topology before packing by splitting each class into shares pinned to zones (and capacity
 * types): zone and capacity-type spread go to the least-used domain pod by pod, required zone anti-affinity puts one
 * matching pod per zone, required zone affinity keeps a class and the pods it selects in one zone (the cheapest
 * that can hold them). Counts are kept per selector across classes, so replicas of different workloads that one
 * constraint selects spread together.
 */
final class ZoneTopology {

  private final List<NodeShape> shapes;
  private final List<String> zones;
  private final Map<Topology.Group, long[]> zoneCounts = new HashMap<>();
  private final Map<Topology.Group, long[]> capacityCounts = new HashMap<>();
  private final Map<Topology.Group, Long> usedZones = new HashMap<>();
  private final Map<Topology.Group, Integer> affinityZone = new HashMap<>();

  ZoneTopology(List<NodeShape> shapes, List<String> zones) {
    this.shapes = shapes;
    this.zones = zones;
  }

  List<PodClass.Item> split(List<PodClass> classes, List<Unschedulable> unschedulable) {
    pinAffinity(classes);
    List<PodClass.Item> items = new ArrayList<>();
    for (PodClass c : classes) {
      if (c.zoneMask == 0) {
        String reason = "required pod affinity on " + WellKnownLabels.ZONE
            + " cannot be met in any zone its requirements allow";
        c.names.forEach(n -> unschedulable.add(new Unschedulable(n, reason)));
        continue;
      }
      PendingPod pod = c.template;
      List<TopologySpread> zoneSpreads = pod.spreads().stream()
          .filter(s -> s.topologyKey().equals(WellKnownLabels.ZONE)).toList();
      List<TopologySpread> capacitySpreads = pod.spreads().stream()
          .filter(s -> s.topologyKey().equals(WellKnownLabels.CAPACITY_TYPE)).toList();
      List<PodAffinityTerm> zoneAnti = pod.antiAffinity().stream()
          .filter(t -> t.topologyKey().equals(WellKnownLabels.ZONE)).toList();
      if (zoneSpreads.isEmpty() && capacitySpreads.isEmpty() && zoneAnti.isEmpty()) {
        items.add(new PodClass.Item(items.size(), c, c.zoneMask, c.capacityTypeMask, c.names));
        continue;
      }
      long eligible = eligibleZones(c);
      // one share per (zone mask, capacity-type mask), in the order first used
      Map<Long, List<String>> shares = new LinkedHashMap<>();
      for (String name : c.names) {
        long zoneMask = eligible;
        String problem = null;
        for (PodAffinityTerm anti : zoneAnti) {
          Topology.Group g = group(anti.selector(), Topology.namespaces(anti, pod));
          long free = zoneMask & ~usedZones.getOrDefault(g, 0L);
          if (free == 0) {
            problem = "required pod anti-affinity on " + WellKnownLabels.ZONE
                + " allows one matching pod per zone and every zone it may use has one";
            break;
          }
          zoneMask = Long.lowestOneBit(free);
        }
        if (problem != null) {
          unschedulable.add(new Unschedulable(name, problem));
          continue;
        }
        for (TopologySpread spread : zoneSpreads) {
          long[] counts = zoneCounts.computeIfAbsent(group(spread.selector(), List.of(pod.namespace())),
              k -> new long[zones.size()]);
          zoneMask = Long.lowestOneBit(leastUsed(counts, zoneMask));
        }
        int capacityMask = c.capacityTypeMask;
        for (TopologySpread spread : capacitySpreads) {
          long[] counts = capacityCounts.computeIfAbsent(group(spread.selector(), List.of(pod.namespace())),
              k -> new long[CapacityType.values().length]);
          capacityMask = (int) Long.lowestOneBit(leastUsed(counts, capacityMask));
        }
        record(pod, zoneMask, capacityMask);
        shares.computeIfAbsent(zoneMask * 4 + capacityMask, k -> new ArrayList<>()).add(name);
      }
      for (Map.Entry<Long, List<String>> share : shares.entrySet()) {
        long key = share.getKey();
        items.add(new PodClass.Item(items.size(), c, key >>> 2, (int) (key & 3), share.getValue()));
      }
    }
    return items;
  }

  /** Counts a pod pinned to one zone (and capacity type) in every group that selects it. */
  private void record(PendingPod pod, long zoneMask, int capacityMask) {
    if (Long.bitCount(zoneMask) == 1) {
      int z = Long.numberOfTrailingZeros(zoneMask);
      zoneCounts.forEach((g, counts) -> {
        if (g.matches(pod)) {
          counts[z]++;
        }
      });
      usedZones.replaceAll((g, used) -> g.matches(pod) ? used | zoneMask : used);
      for (PodAffinityTerm anti : pod.antiAffinity()) {
        if (anti.topologyKey().equals(WellKnownLabels.ZONE)) {
          Topology.Group g = group(anti.selector(), Topology.namespaces(anti, pod));
          usedZones.putIfAbsent(g, 0L);
          if (g.matches(pod)) {
            usedZones.put(g, usedZones.get(g) | zoneMask);
          }
        }
      }
    }
    if (Integer.bitCount(capacityMask) == 1) {
      int t = Integer.numberOfTrailingZeros(capacityMask);
      capacityCounts.forEach((g, counts) -> {
        if (g.matches(pod)) {
          counts[t]++;
        }
      });
    }
  }

  /** Pins classes with required zone affinity, and the classes they select, to one zone per selector. */
  private void pinAffinity(List<PodClass> classes) {
    Map<Topology.Group, List<PodClass>> members = new HashMap<>();
    for (PodClass c : classes) {
      for (PodAffinityTerm term : c.template.affinity()) {
        if (!term.topologyKey().equals(WellKnownLabels.ZONE)) {
          continue;
        }
        Topology.Group g = group(term.selector(), Topology.namespaces(term, c.template));
        List<PodClass> selected = members.computeIfAbsent(g,
            k -> classes.stream().filter(other -> k.matches(other.template)).toList());
        Integer zone = affinityZone.get(g);
        if (zone == null) {
          // the pods it selects decide: it follows them, never the other way round
          long candidates = c.zoneMask;
          for (PodClass other : selected) {
            candidates &= other.zoneMask;
          }
          zone = candidates == 0 ? -1 : cheapestZone(c, candidates);
          if (zone < 0) {
            c.zoneMask = 0;
            continue;
          }
          affinityZone.put(g, zone);
          for (PodClass other : selected) {
            other.zoneMask &= 1L << zone;
          }
        }
        c.zoneMask &= 1L << zone;
      }
    }
  }

  private int cheapestZone(PodClass c, long mask) {
    int best = -1;
    double bestPrice = Double.POSITIVE_INFINITY;
    for (int z = 0; z < zones.size(); z++) {
      if ((mask & (1L << z)) == 0) {
        continue;
      }
      for (int s = c.shapes.nextSetBit(0); s >= 0; s = c.shapes.nextSetBit(s + 1)) {
        double p = shapes.get(s).zonePrice[z];
        if (!Double.isNaN(p) && p < bestPrice) {
          bestPrice = p;
          best = z;
        }
      }
    }
    return best;
  }

  private long eligibleZones(PodClass c) {
    long mask = 0;
    for (int s = c.shapes.nextSetBit(0); s >= 0; s = c.shapes.nextSetBit(s + 1)) {
      mask |= shapes.get(s).zoneMask;
    }
    return mask & c.zoneMask;
  }

  /** The domains among {@code allowed} with the lowest count, as a mask. */
  private static long leastUsed(long[] counts, long allowed) {
    long min = Long.MAX_VALUE;
    for (int d = 0; d < counts.length; d++) {
      if ((allowed & (1L << d)) != 0) {
        min = Math.min(min, counts[d]);
      }
    }
    long mask = 0;
    for (int d = 0; d < counts.length; d++) {
      if ((allowed & (1L << d)) != 0 && counts[d] == min) {
        mask |= 1L << d;
      }
    }
    return mask;
  }

  private static Topology.Group group(dev.flotilla.model.LabelSelector selector, List<String> namespaces) {
    return new Topology.Group(WellKnownLabels.ZONE, selector, namespaces, null);
  }
}
