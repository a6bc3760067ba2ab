package dev.flotilla.scheduling;

import dev.flotilla.model.PendingPod;
import dev.flotilla.model.PodAffinityTerm;
import dev.flotilla.model.TopologySpread;
import dev.flotilla.model.WellKnownLabels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Settles zone-level topology before packing by splitting classes into shares pinned to zones (and capacity types).
 *
 * <p>Every pod a zone rule counts is pinned pod by pod, whether it carries the rule or only matches its selector, so
 * the counts are those the cluster will see:
 *
 * <ul>
 *   <li>Zone spread: a pod that carries a spread may only go where its zone's count, with it, stays within maxSkew
 *   of the least-used zone of the spread's domains (the zones its node affinity and shapes allow); a pod the
 *   selector only matches keeps to the same rule where it can. Among the zones every rule allows, the least used
 *   wins, so several spreads on one pod are met together.</li>
 *   <li>Zone anti-affinity: one matching pod per zone, both ways (a matching pod keeps out of a carrier's zone), the
 *   zones of running matching pods taken already.</li>
 *   <li>Zone affinity: where the pods it selects are settled here too (spread or pinned pod by pod), it follows them:
 *   a pod goes to a zone that already holds one of them, running or planned, and only the first of a group that
 *   selects itself picks freely when none runs. Otherwise the class and the pods it selects are pinned to one zone,
 *   one where pods it selects run if any do, else the cheapest that can hold them.</li>
 *   <li>Capacity-type spread: the least-used capacity type.</li>
 * </ul>
 *
 * Pods whose zone is forced (one zone left) and that carry no spread are counted first, and affinity that follows
 * other pods comes last, so the counts the others are balanced against are the final ones. Changes when how a zone
 * rule pins pods before packing changes; what a plan must keep of them after packing is {@link ZoneRuleRepair}'s.
 */
final class ZoneTopology {

  private final List<NodeShape> shapes;
  private final List<String> zones;
  private final Map<String, ZoneSpread> spreads = new LinkedHashMap<>();
  private final Map<Topology.Group, long[]> capacityCounts = new HashMap<>();
  /** Zone anti-affinity: zones holding pods a group selects, and zones holding pods that carry the group. */
  private final Map<Topology.Group, Long> usedZones = new HashMap<>();
  private final Map<Topology.Group, Long> repelledZones = new HashMap<>();
  /** Zone affinity that follows settled pods: zones holding pods the group selects. */
  private final Map<Topology.Group, Long> occupiedZones = new HashMap<>();
  private final Map<Topology.Group, Integer> affinityZone = new HashMap<>();
  /** Classes whose required zone affinity selects no pod anywhere (see {@link #findAlone}). */
  private final Set<PodClass> alone = new HashSet<>();
  private final List<PendingPod> inFlight;
  private final Map<PodClass, Long> heaviestZones = new HashMap<>();
  private final Map<PodClass, int[]> zoneCapacityTypes = new HashMap<>();
  /** How much of what the bound buys for a class a zone sells; null when unknown. */
  private final java.util.function.ToDoubleBiFunction<PodClass, Integer> zoneWorth;

  private final RunningZoneCounts running;
  private final boolean offeredZones;

  /**
   * @param zoneWorth how much of what the bound buys for a class each zone sells: zone affinity settles where it is
   *                  most, so that the pods it gathers in one zone find there the shapes and partners the bound mixes
   *                  them with; null to settle it in the cheapest zone
   */
  ZoneTopology(List<NodeShape> shapes, List<String> zones, RunningPods running, boolean offeredZones,
      java.util.function.ToDoubleBiFunction<PodClass, Integer> zoneWorth) {
    this(shapes, zones, running, List.of(), offeredZones, zoneWorth);
  }

  /** @param inFlight the pods reserved on nodes in flight: partners for zone affinity, wherever they land */
  ZoneTopology(List<NodeShape> shapes, List<String> zones, RunningPods running, List<PendingPod> inFlight,
      boolean offeredZones, java.util.function.ToDoubleBiFunction<PodClass, Integer> zoneWorth) {
    this.inFlight = inFlight;
    this.shapes = shapes;
    this.zones = zones;
    this.running = new RunningZoneCounts(running, zones);
    this.offeredZones = offeredZones;
    this.zoneWorth = zoneWorth;
  }

  private List<PodClass> settled = List.of();
  private Map<PodClass, ZoneRules> rules = Map.of();

  /** What the plan must keep of the rules {@link #split} settled, once packing has left pods out. */
  ZoneRuleRepair repair() {
    return new ZoneRuleRepair(spreads.values(), settled, rules, running, zones.size());
  }

  List<PodClass.Item> split(List<PodClass> classes, List<Unschedulable> unschedulable) {
    Map<PodClass, ZoneRules> rules = rules(classes);
    this.settled = classes;
    this.rules = rules;
    pinAffinity(classes, rules);
    // shares per class, filled in the order below but handed out in class order
    Map<PodClass, Map<Long, List<String>>> shares = new HashMap<>();
    List<PodClass> forced = new ArrayList<>();
    List<PodClass> free = new ArrayList<>();
    List<PodClass> following = new ArrayList<>();
    List<PodClass> observing = new ArrayList<>();
    for (PodClass c : classes) {
      ZoneRules p = rules.get(c);
      if (c.zoneMask == 0 || !p.split()) {
        continue;
      }
      if (p.follows.isEmpty() && p.carried.stream().anyMatch(s -> !s.group.matches(c.template))) {
        // spreads over pods other than its own: balanced against their final counts
        observing.add(c);
      } else if (!p.follows.isEmpty() && !p.followsItself) {
        following.add(c);
      } else if (!p.follows.isEmpty()) {
        forced.add(c);
      } else if (p.carried.isEmpty() && Long.bitCount(eligibleZones(c)) == 1) {
        forced.add(c);
      } else {
        free.add(c);
      }
    }
    for (PodClass c : classes) {
      // pods pinned to one zone without being split still count where the pods that follow them look
      if (c.zoneMask != 0 && !rules.get(c).split() && Long.bitCount(eligibleZones(c)) == 1) {
        long zone = eligibleZones(c);
        occupiedZones.replaceAll((g, occupied) -> g.matches(c.template) ? occupied | zone : occupied);
      }
    }
    for (List<PodClass> phase : List.of(forced, free, following, observing)) {
      for (PodClass c : phase) {
        shares.put(c, settle(c, rules.get(c), unschedulable));
      }
    }
    List<PodClass.Item> items = new ArrayList<>();
    for (PodClass c : classes) {
      if (c.zoneMask == 0) {
        String reason = "required pod affinity on " + WellKnownLabels.ZONE + (alone.contains(c)
            ? ": no pod it selects runs or is pending" : " cannot be met in any zone its requirements allow");
        c.names.forEach(n -> unschedulable.add(new Unschedulable(n, reason)));
        continue;
      }
      Map<Long, List<String>> classShares = shares.get(c);
      if (classShares == null) {
        items.add(new PodClass.Item(items.size(), c, c.zoneMask, c.capacityTypeMask, c.names));
        continue;
      }
      ZoneRules p = rules.get(c);
      // (nor when zone affinity follows its pods: they must stay in the zone the followers were settled beside)
      boolean softZone = p.antiCarried.isEmpty() && p.antiMember.isEmpty() && p.follows.isEmpty()
          && p.carried.stream().noneMatch(s -> s.required) && p.member.stream().noneMatch(s -> s.required)
          && occupiedZones.keySet().stream().noneMatch(g -> g.matches(c.template));
      boolean softCapacity = p.capacitySpreads.stream().noneMatch(TopologySpread::required);
      for (Map.Entry<Long, List<String>> share : classShares.entrySet()) {
        long key = share.getKey();
        PodClass.Item item = new PodClass.Item(items.size(), c, key >>> 2, (int) (key & 3), share.getValue());
        item.softZone = softZone;
        item.softCapacity = softCapacity;
        items.add(item);
      }
    }
    return items;
  }

  /** Registers every zone rule and finds, for each class, the rules it carries and the ones whose selector it matches. */
  private Map<PodClass, ZoneRules> rules(List<PodClass> classes) {
    Map<PodClass, ZoneRules> rules = new HashMap<>();
    Set<Topology.Group> antiGroups = new HashSet<>();
    for (PodClass c : classes) {
      ZoneRules p = new ZoneRules();
      rules.put(c, p);
      PendingPod pod = c.template;
      for (TopologySpread s : pod.spreads()) {
        if (s.topologyKey().equals(WellKnownLabels.ZONE)) {
          Topology.Group g = Topology.zoneGroup(s.selector(), List.of(pod.namespace()));
          long domains = domains(c);
          p.carried.add(spreads.computeIfAbsent(g + "/" + s.maxSkew() + "/" + domains + "/" + s.required() + "/"
              + s.minDomains(), k -> running.seeded(new ZoneSpread(g, s.maxSkew(), domains, s.required(),
                  s.minDomains(), zones.size()))));
        } else if (s.topologyKey().equals(WellKnownLabels.CAPACITY_TYPE)) {
          p.capacitySpreads.add(s);
          // counted from the start, so that every pod it selects counts, settled before its carriers or after
          capacityCounts(s, pod);
        }
      }
      for (PodAffinityTerm anti : pod.antiAffinity()) {
        if (anti.topologyKey().equals(WellKnownLabels.ZONE)) {
          Topology.Group g = Topology.zoneGroup(anti.selector(), anti.namespacesOf(pod));
          p.antiCarried.add(g);
          antiGroups.add(g);
          usedZones.computeIfAbsent(g, running::zones);
          repelledZones.putIfAbsent(g, 0L);
        }
      }
    }
    for (PodClass c : classes) {
      ZoneRules p = rules.get(c);
      for (ZoneSpread s : spreads.values()) {
        if (s.group.matches(c.template) && !p.carried.contains(s)) {
          p.member.add(s);
        }
      }
      for (Topology.Group g : antiGroups) {
        if (g.matches(c.template)) {
          p.antiMember.add(g);
        }
      }
    }
    return rules;
  }

  /** Pins each pod of a class to a zone (and capacity type); returns the shares, by zone and capacity-type mask. */
  private Map<Long, List<String>> settle(PodClass c, ZoneRules p, List<Unschedulable> unschedulable) {
    PendingPod pod = c.template;
    long eligible = eligibleZones(c);
    Map<Long, List<String>> shares = new LinkedHashMap<>();
    // the capacity types some zone the class may use sells alone (see below), worked out once for all its pods
    boolean requiredCapacity = p.capacitySpreads.stream().anyMatch(TopologySpread::required);
    int soldAlone = 0;
    for (long rest = requiredCapacity ? eligible : 0; rest != 0; rest &= rest - 1) {
      int types = zoneCapacityTypes(c, Long.numberOfTrailingZeros(rest));
      soldAlone |= Integer.bitCount(types) == 1 ? types : 0;
    }
    for (String name : c.names) {
      long allowed = eligible;
      String problem = null;
      for (Topology.Group g : p.antiCarried) {
        allowed &= ~usedZones.get(g);
      }
      for (Topology.Group g : p.antiMember) {
        allowed &= ~repelledZones.get(g);
      }
      if (allowed == 0) {
        problem = "required pod anti-affinity on " + WellKnownLabels.ZONE
            + " allows one matching pod per zone and every zone it may use has one";
      }
      for (Topology.Group g : p.follows) {
        if (problem != null) {
          break;
        }
        long occupied = occupiedZones.getOrDefault(g, 0L);
        if (occupied != 0) {
          allowed &= occupied;
          if (allowed == 0) {
            problem = "required pod affinity on " + WellKnownLabels.ZONE
                + " cannot be met: the pods it selects are planned in zones it may not use";
          }
        } else if (!g.matches(pod)) {
          problem = "required pod affinity on " + WellKnownLabels.ZONE
              + " cannot be met: no pod it selects is planned in a zone it may use";
        }
      }
      if (problem == null) {
        for (ZoneSpread s : p.carried) {
          if (s.required) {
            allowed = s.within(allowed & s.domains, s.group.matches(pod) ? 1 : 0);
          }
        }
        if (allowed == 0) {
          ZoneSpread few = p.carried.stream().filter(s -> s.required && s.fewDomains()).findFirst().orElse(null);
          problem = "required topology spread on " + WellKnownLabels.ZONE + " (maxSkew " + p.carried.stream()
              .filter(s -> s.required).mapToInt(s -> s.maxSkew).min().orElse(1) + ") cannot be met: " + (few != null
              ? "its minDomains is " + few.minDomains + " but only " + Long.bitCount(few.domains) + " zone(s) are"
                  + " eligible, so each holds at most maxSkew matching pods"
              : "every zone it may use already holds more matching pods than the least-used zone allows");
        }
      }
      if (problem == null) {
        // a pod a spread only counts keeps it too where it can; forced elsewhere, it goes where it must
        for (ZoneSpread s : p.member) {
          long within = s.within(allowed);
          if (within != 0) {
            allowed = within;
          }
        }
      }
      if (problem == null && !p.capacitySpreads.isEmpty()) {
        // a zone whose pool sells only a capacity type the spread has too many of takes none of its pods (an
        // on-demand pool selling us-east-1e beside a pool of both types that does not): they go where the other sells
        long keeping = 0;
        for (long rest = allowed; rest != 0; rest &= rest - 1) {
          int z = Long.numberOfTrailingZeros(rest);
          if (withinCapacitySpreads(c, p, zoneCapacityTypes(c, z)) != 0) {
            keeping |= 1L << z;
          }
        }
        if (keeping == 0) {
          problem = "required topology spread on the capacity type cannot be met: no zone it"
              + " may use sells a capacity type that keeps the skew";
        }
        allowed = keeping;
      }
      if (problem != null) {
        unschedulable.add(new Unschedulable(name, problem));
        continue;
      }
      int zone = choose(c, p, allowed);
      long zoneMask = 1L << zone;
      int capacityMask = c.capacityTypeMask;
      if (!p.capacitySpreads.isEmpty()) {
        // the share's capacity type is one its zone's pool sells there: pinned to another, no shape would hold it
        int sold = zoneCapacityTypes(c, zone);
        int within = withinCapacitySpreads(c, p, sold);
        capacityMask = within != 0 ? within : sold;
        // a type some zone sells alone is what that zone's shares must take: under a required spread, the zones that
        // sell both leave it to them while the skew allows (taken here, it could leave on-demand a skew ahead when the
        // zone spread sends a pod to us-east-1e, which sells on-demand alone, and that pod, and every one after, none)
        if (within != 0 && (capacityMask & ~soldAlone) != 0 && requiredCapacity) {
          capacityMask &= ~soldAlone;
        }
      }
      for (TopologySpread spread : p.capacitySpreads) {
        capacityMask = (int) Long.lowestOneBit(Topology.leastUsed(capacityCounts(spread, pod), capacityMask));
      }
      record(pod, p, zoneMask, capacityMask);
      shares.computeIfAbsent(zoneMask * 4 + capacityMask, k -> new ArrayList<>()).add(name);
    }
    return shares;
  }

  /**
   * The zone for one pod among {@code allowed}: the least used by the spreads that count it (then by those it
   * carries), or with none, the cheapest where it follows other pods and the first otherwise.
   */
  private int choose(PodClass c, ZoneRules p, long allowed) {
    long heaviest = heaviestZones(c);
    if (p.carried.isEmpty() && p.member.isEmpty()) {
      long from = (allowed & heaviest) != 0 ? allowed & heaviest : allowed;
      return p.follows.isEmpty() ? Long.numberOfTrailingZeros(from) : cheapestZone(c, from);
    }
    int best = -1;
    long bestCount = Long.MAX_VALUE;
    long bestCarried = Long.MAX_VALUE;
    for (int z = 0; z < zones.size(); z++) {
      if ((allowed & (1L << z)) == 0) {
        continue;
      }
      long count = 0;
      long carried = 0;
      for (ZoneSpread s : p.member) {
        count += s.counts[z];
      }
      for (ZoneSpread s : p.carried) {
        if (s.group.matches(c.template)) {
          count += s.counts[z];
        } else {
          carried += s.counts[z];
        }
      }
      // on a tie, a zone the heaviest pool sells: Karpenter, given the zones that keep the skew, tries the pools in
      // weight order
      boolean heavier = (heaviest & (1L << z)) != 0 && best >= 0 && (heaviest & (1L << best)) == 0;
      if (count < bestCount || count == bestCount && (carried < bestCarried || carried == bestCarried && heavier)) {
        best = z;
        bestCount = count;
        bestCarried = carried;
      }
    }
    return best;
  }

  /** A capacity-type spread's counts per type: the running pods it selects first, as the cluster's scheduler counts. */
  private long[] capacityCounts(TopologySpread spread, PendingPod pod) {
    return capacityCounts.computeIfAbsent(Topology.zoneGroup(spread.selector(), List.of(pod.namespace())),
        running::byCapacityType);
  }

  /**
   * The capacity types of {@code sold} where one more of the class's pods keeps every required capacity-type spread it
   * carries within its maxSkew, the spread's domains being the types the class may use.
   */
  private int withinCapacitySpreads(PodClass c, ZoneRules p, int sold) {
    PendingPod pod = c.template;
    int mask = sold;
    for (TopologySpread spread : p.capacitySpreads) {
      if (!spread.required()) {
        continue;
      }
      long[] counts = capacityCounts(spread, pod);
      // the domains are the types the class may use: fewer than minDomains, each holds maxSkew at most
      long min = spread.globalMinimum(Topology.least(counts, c.capacityTypeMask),
          Integer.bitCount(c.capacityTypeMask));
      int self = Topology.zoneGroup(spread.selector(), List.of(pod.namespace())).matches(pod) ? 1 : 0;
      for (int t = 0; t < counts.length; t++) {
        if ((mask & (1 << t)) != 0 && counts[t] + self - min > spread.maxSkew()) {
          mask &= ~(1 << t);
        }
      }
    }
    return mask;
  }

  /**
   * The capacity types the class's shapes sell in zone {@code z}: a share pinned to the zone and a type launches from
   * the heaviest of its pools that sells both there (see {@link BoundProblem#groups}).
   */
  private int zoneCapacityTypes(PodClass c, int z) {
    return zoneCapacityTypes.computeIfAbsent(c, k -> {
      int[] types = new int[zones.size()];
      for (int s = c.shapes.nextSetBit(0); s >= 0; s = c.shapes.nextSetBit(s + 1)) {
        NodeShape shape = shapes.get(s);
        for (long rest = shape.zoneMask; rest != 0; rest &= rest - 1) {
          types[Long.numberOfTrailingZeros(rest)] |= 1 << shape.capacityType.ordinal();
        }
      }
      return types;
    })[z] & c.capacityTypeMask;
  }

  /** Counts a pod pinned to one zone (and capacity type) in every rule that selects it. */
  private void record(PendingPod pod, ZoneRules p, long zoneMask, int capacityMask) {
    int z = Long.numberOfTrailingZeros(zoneMask);
    for (ZoneSpread s : spreads.values()) {
      if (s.group.matches(pod)) {
        s.counts[z]++;
      }
    }
    for (Topology.Group g : p.antiMember) {
      usedZones.put(g, usedZones.get(g) | zoneMask);
    }
    for (Topology.Group g : p.antiCarried) {
      repelledZones.put(g, repelledZones.get(g) | zoneMask);
    }
    occupiedZones.replaceAll((g, occupied) -> g.matches(pod) ? occupied | zoneMask : occupied);
    if (Integer.bitCount(capacityMask) == 1) {
      int t = Integer.numberOfTrailingZeros(capacityMask);
      capacityCounts.forEach((g, counts) -> {
        if (g.matches(pod)) {
          counts[t]++;
        }
      });
    }
  }

  /**
   * Zone affinity. Where the class or any pod it selects is settled pod by pod, the class follows them (see
   * {@link #settle}); otherwise the class and the pods it selects are pinned to one zone per selector.
   */
  private void pinAffinity(List<PodClass> classes, Map<PodClass, ZoneRules> rules) {
    findAlone(classes);
    Map<Topology.Group, List<PodClass>> members = new HashMap<>();
    for (PodClass c : classes) {
      if (alone.contains(c)) {
        c.zoneMask = 0;
        continue;
      }
      for (PodAffinityTerm term : c.template.affinity()) {
        if (!term.topologyKey().equals(WellKnownLabels.ZONE)) {
          continue;
        }
        Topology.Group g = Topology.zoneGroup(term.selector(), term.namespacesOf(c.template));
        List<PodClass> selected = members.computeIfAbsent(g, k -> classes.stream()
            .filter(other -> !alone.contains(other) && k.matches(other.template)).toList());
        ZoneRules own = rules.get(c);
        if (own.split() || selected.stream().anyMatch(other -> rules.get(other).split())) {
          own.follows.add(g);
          own.followsItself &= selected.size() == 1 && selected.getFirst() == c;
          occupiedZones.merge(g, running.zones(g), (a, b) -> a | b);
          continue;
        }
        Integer zone = affinityZone.get(g);
        if (zone == null) {
          // the pods it selects decide: it follows them, never the other way round
          long candidates = c.zoneMask;
          for (PodClass other : selected) {
            candidates &= other.zoneMask;
          }
          // where pods it selects run already, it goes where they are: kube-scheduler refuses any other zone
          long runningThere = running.zones(g);
          if (runningThere != 0) {
            candidates &= runningThere;
          }
          zone = candidates == 0 ? -1 : affinityZone(c, candidates);
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

  /**
   * The classes whose required zone affinity selects no pod that runs, is on its way (reserved on a node in flight)
   * or is pending and can be placed: kube-scheduler places such a pod only beside a pod its term selects (the first
   * of a group that selects itself excepted), so no node would take it. Found before any zone is chosen, and again
   * while one class found so leaves another without its partner.
   */
  private void findAlone(List<PodClass> classes) {
    boolean changed = true;
    while (changed) {
      changed = false;
      for (PodClass c : classes) {
        if (alone.contains(c)) {
          continue;
        }
        for (PodAffinityTerm term : c.template.affinity()) {
          if (!term.topologyKey().equals(WellKnownLabels.ZONE)) {
            continue;
          }
          Topology.Group g = Topology.zoneGroup(term.selector(), term.namespacesOf(c.template));
          boolean partner = running.zones(g) != 0 || inFlight.stream().anyMatch(g::matches)
              || classes.stream().anyMatch(other -> !alone.contains(other) && g.matches(other.template));
          if (!partner) {
            alone.add(c);
            changed = true;
            break;
          }
        }
      }
    }
  }

  /** Where zone affinity gathers a class: the zone selling most of what the bound buys for it, else the cheapest. */
  private int affinityZone(PodClass c, long candidates) {
    // among the zones its heaviest pool sells, where any: the pods gathered stay in that pool
    long mask = (candidates & heaviestZones(c)) != 0 ? candidates & heaviestZones(c) : candidates;
    int cheapest = cheapestZone(c, mask);
    if (zoneWorth == null || cheapest < 0) {
      return cheapest;
    }
    int best = cheapest;
    double bestWorth = zoneWorth.applyAsDouble(c, cheapest);
    for (int z = 0; z < zones.size(); z++) {
      if ((mask & shapeZones(c) & (1L << z)) != 0) {
        double worth = zoneWorth.applyAsDouble(c, z);
        if (worth > bestWorth * (1 + 1e-9)) {
          best = z;
          bestWorth = worth;
        }
      }
    }
    return best;
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
    return best < 0 ? Long.numberOfTrailingZeros(mask) : best;
  }

  /**
   * The zones the class's heaviest pool sells it a node in; its other shapes are lighter pools' in zones that pool
   * does not sell (see {@link PodClasses}), which only what its zone rules send there uses.
   */
  private long heaviestZones(PodClass c) {
    return heaviestZones.computeIfAbsent(c, k -> {
      int rank = -1;
      long mask = 0;
      for (int s = c.shapes.nextSetBit(0); s >= 0; s = c.shapes.nextSetBit(s + 1)) {
        if (rank >= 0 && shapes.get(s).poolRank != rank) {
          break;
        }
        rank = shapes.get(s).poolRank;
        mask |= shapes.get(s).zoneMask;
      }
      return mask;
    });
  }

  private long eligibleZones(PodClass c) {
    return shapeZones(c) & c.zoneMask;
  }

  private long shapeZones(PodClass c) {
    long mask = 0;
    for (int s = c.shapes.nextSetBit(0); s >= 0; s = c.shapes.nextSetBit(s + 1)) {
      mask |= shapes.get(s).zoneMask;
    }
    return mask;
  }

  /**
   * A spread's domains: the zones the pod's node selector and required node affinity allow (volumes aside) where any
   * of its shapes is offered. For {@link Scheduler.Domains#ZONES_WITH_NODES}, of a running cluster, only those that
   * hold a node, as the cluster's scheduler counts them now; for {@link Scheduler.Domains#OFFERED_ZONES} every one,
   * as it will count them once new nodes open zones.
   */
  private long domains(PodClass c) {
    PendingPod pod = c.template;
    long mask = 0;
    for (int z = 0; z < zones.size(); z++) {
      String zone = zones.get(z);
      String selected = pod.nodeSelector().get(WellKnownLabels.ZONE);
      boolean ok = selected == null || selected.equals(zone);
      if (ok && !pod.requiredTerms().isEmpty()) {
        ok = pod.requiredTerms().stream().anyMatch(term -> term.stream()
            .allMatch(r -> !r.key().equals(WellKnownLabels.ZONE) || r.matchesValue(zone)));
      }
      if (ok && (offeredZones || running.isEmpty() || running.hasNodesIn(zone))) {
        mask |= 1L << z;
      }
    }
    return mask & shapeZones(c);
  }
}
