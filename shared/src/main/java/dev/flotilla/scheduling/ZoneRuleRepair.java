package dev.flotilla.scheduling;

import dev.flotilla.model.TopologySpread;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * After packing: the pods to take out of a plan so that the zone rules {@link ZoneTopology} settled still hold once
 * packing left some pods unplaced (NodePool limits): required zone and capacity-type spreads, and zone affinity that
 * followed pods. A pod taken out leaves every count it was in, so taking out repeats until nothing more goes. Changes
 * when what a plan must keep of its settled zone rules changes.
 */
final class ZoneRuleRepair {
  private final Collection<ZoneSpread> spreads;
  private final List<PodClass> settled;
  private final Map<PodClass, ZoneRules> rules;
  private final RunningZoneCounts running;
  private final int zones;

  ZoneRuleRepair(Collection<ZoneSpread> spreads, List<PodClass> settled, Map<PodClass, ZoneRules> rules,
      RunningZoneCounts running, int zones) {
    this.spreads = spreads;
    this.settled = settled;
    this.rules = rules;
    this.running = running;
    this.zones = zones;
  }

  /**
   * The pods to take out so that every required zone spread, and zone affinity that followed pods, still holds: a
   * carrier in a zone more than maxSkew above the least-used of its domains goes.
   *
   * @param zoneOf the zone index of every placed pod, by name; the pods taken out are removed from it
   */
  List<String> unbalanced(Map<String, Integer> zoneOf) {
    List<String> out = new ArrayList<>();
    Map<ZoneSpread, long[]> counts = new HashMap<>();
    for (ZoneSpread s : spreads) {
      if (s.required) {
        // the running pods count too, as they did when the pods were settled
        counts.put(s, running.seeded(s.fresh()).counts);
      }
    }
    for (PodClass c : settled) {
      for (ZoneSpread s : counts.keySet()) {
        if (s.group.matches(c.template)) {
          long[] n = counts.get(s);
          for (String name : c.names) {
            Integer z = zoneOf.get(name);
            if (z != null) {
              n[z]++;
            }
          }
        }
      }
    }
    boolean changed = true;
    while (changed) {
      changed = removeUnbalanced(counts, zoneOf, out);
      changed |= removeUnfollowed(counts, zoneOf, out);
    }
    return out;
  }

  /**
   * As {@link #unbalanced}, for required capacity-type spreads: the carriers on a type more than maxSkew above the
   * least-used type the class may use go, round after round.
   *
   * @param typeOf the capacity type (ordinal) of every placed pod, by name; the pods taken out are removed from it
   */
  List<String> unbalancedCapacity(Map<String, Integer> typeOf) {
    List<String> out = new ArrayList<>();
    for (boolean changed = true; changed; ) {
      changed = false;
      for (PodClass c : settled) {
        ZoneRules p = rules.get(c);
        if (p == null) {
          continue;
        }
        for (TopologySpread spread : p.capacitySpreads) {
          if (!spread.required()) {
            continue;
          }
          Topology.Group g = Topology.zoneGroup(spread.selector(), List.of(c.template.namespace()));
          long[] n = running.byCapacityType(g);
          for (PodClass other : settled) {
            if (g.matches(other.template)) {
              for (String name : other.names) {
                Integer t = typeOf.get(name);
                if (t != null) {
                  n[t]++;
                }
              }
            }
          }
          long min = spread.globalMinimum(Topology.least(n, c.capacityTypeMask),
              Integer.bitCount(c.capacityTypeMask));
          for (String name : c.names) {
            Integer t = typeOf.get(name);
            if (t != null && n[t] - min > spread.maxSkew()) {
              out.add(name);
              typeOf.remove(name);
              n[t]--;
              changed = true;
            }
          }
        }
      }
    }
    return out;
  }

  private boolean removeUnbalanced(Map<ZoneSpread, long[]> counts, Map<String, Integer> zoneOf, List<String> out) {
    boolean changed = false;
    for (PodClass c : settled) {
      ZoneRules p = rules.get(c);
      if (p == null) {
        continue;
      }
      for (String name : c.names) {
        Integer z = zoneOf.get(name);
        if (z == null) {
          continue;
        }
        for (ZoneSpread s : p.carried) {
          long[] n = counts.get(s);
          if (n == null || (s.domains & (1L << z)) == 0) {
            continue;
          }
          if (n[z] - s.min(n) > s.maxSkew) {
            out.add(name);
            zoneOf.remove(name);
            changed = true;
            for (ZoneSpread other : counts.keySet()) {
              if (other.group.matches(c.template)) {
                counts.get(other)[z]--;
              }
            }
            break;
          }
        }
      }
    }
    return changed;
  }

  /**
   * Zone affinity that followed pods packing then left out: a pod it selects must still be in its zone. A pod taken
   * out leaves the spreads that count it too, so that the next round keeps their skew over what stays.
   */
  private boolean removeUnfollowed(Map<ZoneSpread, long[]> counts, Map<String, Integer> zoneOf, List<String> out) {
    Map<Topology.Group, long[]> placed = new HashMap<>();
    for (PodClass c : settled) {
      ZoneRules p = rules.get(c);
      if (p != null) {
        p.follows.forEach(g -> placed.computeIfAbsent(g, running::counts));
      }
    }
    if (placed.isEmpty()) {
      return false;
    }
    for (PodClass c : settled) {
      for (Map.Entry<Topology.Group, long[]> e : placed.entrySet()) {
        if (e.getKey().matches(c.template)) {
          for (String name : c.names) {
            Integer z = zoneOf.get(name);
            if (z != null) {
              e.getValue()[z]++;
              e.getValue()[zones]++;
            }
          }
        }
      }
    }
    boolean changed = false;
    for (PodClass c : settled) {
      ZoneRules p = rules.get(c);
      if (p == null || p.follows.isEmpty()) {
        continue;
      }
      for (String name : c.names) {
        Integer z = zoneOf.get(name);
        if (z == null) {
          continue;
        }
        for (Topology.Group g : p.follows) {
          long[] n = placed.get(g);
          int self = g.matches(c.template) ? 1 : 0;
          // a pod it selects in its zone, or none placed at all (they run outside the plan)
          if (n[z] - self <= 0 && n[zones] - self > 0) {
            out.add(name);
            zoneOf.remove(name);
            changed = true;
            for (Map.Entry<Topology.Group, long[]> e : placed.entrySet()) {
              if (e.getKey().matches(c.template)) {
                e.getValue()[z]--;
                e.getValue()[zones]--;
              }
            }
            for (Map.Entry<ZoneSpread, long[]> e : counts.entrySet()) {
              if (e.getKey().group.matches(c.template)) {
                e.getValue()[z]--;
              }
            }
            break;
          }
        }
      }
    }
    return changed;
  }
}
