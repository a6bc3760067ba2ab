package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.InstanceType;
import dev.flotilla.catalog.NodeCapacity;
import dev.flotilla.catalog.NodeLabels;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.PodAffinityTerm;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.Toleration;
import dev.flotilla.model.TopologySpread;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Checks a plan against its input independently of the scheduler's own data structures: every pod placed once or
 * reported, every node holds what it is given, every constraint and limit holds.
 */
final class PlanInvariants {

  private PlanInvariants() {}

  static void check(SchedulingInput input, Plan plan) {
    Map<String, PendingPod> pods = new LinkedHashMap<>();
    input.pods().forEach(p -> pods.put(p.name(), p));
    Map<String, NodePool> pools = new HashMap<>();
    input.pools().forEach(p -> pools.put(p.name(), p));

    List<String> seen = new ArrayList<>();
    plan.nodeClaims().forEach(c -> seen.addAll(c.pods()));
    plan.unschedulable().forEach(u -> seen.add(u.pod()));
    plan.inFlightPlacements().forEach(p -> seen.addAll(p.pods()));
    assertThat(seen).as("every pod exactly once, placed or reported").containsExactlyInAnyOrderElementsOf(pods.keySet());

    Map<String, String> zoneOf = new HashMap<>();
    Map<String, String> capacityTypeOf = new HashMap<>();
    Map<String, Resources> poolCapacity = new HashMap<>();
    int node = 0;
    for (NodeClaim claim : plan.nodeClaims()) {
      String where = "claim " + node++ + " " + claim.instanceType() + " in " + claim.zone();
      NodePool pool = pools.get(claim.nodePool());
      InstanceType type = input.catalog().type(claim.instanceType());
      assertThat(pool).as(where + ": pool").isNotNull();
      assertThat(input.catalog().price(type.name(), claim.zone(), claim.capacityType()))
          .as(where + ": offered").isEqualTo(claim.pricePerHour(), org.assertj.core.data.Offset.offset(1e-6));
      Map<String, String> labels = new HashMap<>(NodeLabels.of(type));
      labels.putAll(pool.labels());
      labels.put(WellKnownLabels.NODEPOOL, pool.name());
      labels.put(WellKnownLabels.CAPACITY_TYPE, claim.capacityType().label());
      labels.put(WellKnownLabels.ZONE, claim.zone());
      NodeLabels.putRegion(labels, input.catalog().region());
      for (Requirement r : pool.requirements()) {
        assertThat(r.matches(labels)).as(where + ": pool requirement " + r).isTrue();
      }
      Resources room = NodeCapacity.allocatable(type);
      // the host ports of the DaemonSets that run there are taken before any pod of the plan comes
      Set<String> ports = new HashSet<>();
      for (PendingPod ds : input.daemonSets()) {
        if (Toleration.firstUntolerated(pool.schedulingTaints(), ds.tolerations()) == null && selects(ds, labels)) {
          room = room.minus(ds.requests());
          ports.addAll(ds.hostPorts());
        }
      }
      Resources used = Resources.NONE;
      List<PendingPod> onNode = claim.pods().stream().map(pods::get).toList();
      for (PendingPod p : onNode) {
        zoneOf.put(p.name(), claim.zone());
        capacityTypeOf.put(p.name(), claim.capacityType().label());
        used = used.plus(p.requests());
        assertThat(selects(p, labels)).as(where + ": " + p.name() + " node selector and affinity").isTrue();
        assertThat(Toleration.firstUntolerated(pool.schedulingTaints(), p.tolerations())).as(where + ": taints of " + p.name())
            .isNull();
        assertThat(p.volumeZones().isEmpty() || p.volumeZones().contains(claim.zone())).as(where + ": volumes").isTrue();
        for (String port : p.hostPorts()) {
          assertThat(ports.add(port)).as(where + ": host port " + port + " twice").isTrue();
        }
        for (PodAffinityTerm anti : p.antiAffinity()) {
          if (anti.topologyKey().equals(WellKnownLabels.HOSTNAME)) {
            long others = onNode.stream().filter(q -> q != p && matches(anti, p, q)).count();
            assertThat(others).as(where + ": hostname anti-affinity of " + p.name()).isZero();
          }
        }
        for (TopologySpread s : p.spreads()) {
          // a ScheduleAnyway spread is the cluster's scheduler's to weigh: only a required one caps a node
          if (s.required() && s.topologyKey().equals(WellKnownLabels.HOSTNAME)) {
            long count = onNode.stream().filter(q -> q.namespace().equals(p.namespace()) && s.selector().matches(q.labels())).count();
            assertThat(count).as(where + ": hostname spread of " + p.name()).isLessThanOrEqualTo(s.maxSkew());
          }
        }
      }
      assertThat(used.fitsIn(room)).as(where + ": " + used + " fits in " + room).isTrue();
      // CreateFleet may launch any type the claim offers: the pool's limits must hold whichever each claim gets
      Resources most = Resources.NONE;
      for (var option : claim.instanceTypes()) {
        most = most.max(NodeCapacity.capacity(input.catalog().type(option.name())));
      }
      poolCapacity.merge(pool.name(), most, Resources::plus);
    }
    for (NodePool pool : input.pools()) {
      Resources capacity = poolCapacity.getOrDefault(pool.name(), Resources.NONE)
          .plus(input.poolUsage().getOrDefault(pool.name(), Resources.NONE));
      for (Map.Entry<String, Long> limit : pool.limits().amounts().entrySet()) {
        assertThat(capacity.get(limit.getKey())).as("limit " + limit.getKey() + " of " + pool.name())
            .isLessThanOrEqualTo(limit.getValue());
      }
    }
    for (InFlightPlacement placement : plan.inFlightPlacements()) {
      InFlightNode inFlight = input.inFlight().stream().filter(n -> n.claimId().equals(placement.claimId()))
          .findFirst().orElseThrow();
      NodePool pool = pools.get(inFlight.nodePool());
      Map<String, String> labels = new HashMap<>(NodeLabels.of(input.catalog().type(inFlight.instanceType())));
      labels.putAll(pool.labels());
      labels.put(WellKnownLabels.NODEPOOL, pool.name());
      labels.put(WellKnownLabels.CAPACITY_TYPE, inFlight.capacityType().label());
      labels.put(WellKnownLabels.ZONE, inFlight.zone());
      NodeLabels.putRegion(labels, input.catalog().region());
      Resources used = Resources.NONE;
      for (PendingPod p : inFlight.pods()) {
        used = used.plus(p.requests());
      }
      List<PendingPod> all = new ArrayList<>(inFlight.pods());
      for (String name : placement.pods()) {
        PendingPod p = pods.get(name);
        zoneOf.put(name, inFlight.zone());
        capacityTypeOf.put(name, inFlight.capacityType().label());
        used = used.plus(p.requests());
        assertThat(selects(p, labels)).as("in-flight " + inFlight.claimId() + ": selectors of " + name).isTrue();
        assertThat(Toleration.firstUntolerated(pool.schedulingTaints(), p.tolerations())).isNull();
        all.add(p);
      }
      for (PendingPod p : all) {
        for (PodAffinityTerm anti : p.antiAffinity()) {
          if (anti.topologyKey().equals(WellKnownLabels.HOSTNAME)) {
            assertThat(all.stream().filter(q -> q != p && matches(anti, p, q)).count())
                .as("in-flight " + inFlight.claimId() + ": anti-affinity of " + p.name()).isZero();
          }
        }
      }
      assertThat(used.fitsIn(NodeCapacity.allocatable(input.catalog().type(inFlight.instanceType()))))
          .as("in-flight " + inFlight.claimId() + " holds " + used).isTrue();
    }
    hostnameAffinity(input, plan, pods);
    // zone-level topology, over the placed pods
    Map<List<Object>, Set<String>> zonesOffered = new HashMap<>();
    Map<List<Object>, Set<String>> capacityTypesOffered = new HashMap<>();
    for (PendingPod p : pods.values()) {
      if (!zoneOf.containsKey(p.name())) {
        continue;
      }
      for (TopologySpread s : p.spreads()) {
        if (s.required() && s.topologyKey().equals(WellKnownLabels.ZONE)) {
          // as the cluster's scheduler counts: the zones the pod's node affinity allows and where a node it selects
          // can be, every matching pod in them; the pod's own zone may hold at most maxSkew more than the least-used
          Map<String, Integer> counts = new TreeMap<>();
          Set<String> offered = zonesOffered.computeIfAbsent(List.of(p.nodeSelector(), p.requiredTerms(),
              p.tolerations()), k -> zonesWithANodeFor(input, p));
          input.catalog().zones().stream().filter(z -> allowsZone(p, z) && offered.contains(z))
              .forEach(z -> counts.put(z, 0));
          pods.values().stream().filter(q -> zoneOf.containsKey(q.name()) && q.namespace().equals(p.namespace())
              && s.selector().matches(q.labels()) && counts.containsKey(zoneOf.get(q.name())))
              .forEach(q -> counts.merge(zoneOf.get(q.name()), 1, Integer::sum));
          int min = (int) s.globalMinimum(counts.values().stream().mapToInt(Integer::intValue).min().orElse(0),
              counts.size());
          assertThat(counts).as("zone spread of " + p.name() + ": its zone is one its node affinity allows")
              .containsKey(zoneOf.get(p.name()));
          assertThat(counts.get(zoneOf.get(p.name())) - min).as("zone spread of " + p.name() + " in "
              + zoneOf.get(p.name()) + " " + counts).isLessThanOrEqualTo(s.maxSkew());
        }
      }
      for (TopologySpread s : p.spreads()) {
        if (s.required() && s.topologyKey().equals(WellKnownLabels.CAPACITY_TYPE)) {
          // over the capacity types of the nodes the pod's node affinity admits
          Map<String, Integer> counts = new TreeMap<>();
          capacityTypesOffered.computeIfAbsent(List.of(p.nodeSelector(), p.requiredTerms(), p.tolerations()),
              k -> capacityTypesWithANodeFor(input, p)).forEach(t -> counts.put(t, 0));
          pods.values().stream().filter(q -> capacityTypeOf.containsKey(q.name())
              && q.namespace().equals(p.namespace()) && s.selector().matches(q.labels()))
              .forEach(q -> counts.merge(capacityTypeOf.get(q.name()), 1, Integer::sum));
          int min = (int) s.globalMinimum(counts.values().stream().mapToInt(Integer::intValue).min().orElse(0),
              counts.size());
          assertThat(counts.get(capacityTypeOf.get(p.name())) - min).as("capacity-type spread of " + p.name()
              + " on " + capacityTypeOf.get(p.name()) + " " + counts).isLessThanOrEqualTo(s.maxSkew());
        }
      }
      for (PodAffinityTerm anti : p.antiAffinity()) {
        if (anti.topologyKey().equals(WellKnownLabels.ZONE)) {
          long sameZone = pods.values().stream().filter(q -> q != p && zoneOf.containsKey(q.name())
              && zoneOf.get(q.name()).equals(zoneOf.get(p.name())) && matches(anti, p, q)).count();
          assertThat(sameZone).as("zone anti-affinity of " + p.name()).isZero();
        }
      }
      for (PodAffinityTerm affinity : p.affinity()) {
        if (affinity.topologyKey().equals(WellKnownLabels.ZONE)) {
          // as the cluster's scheduler requires: a pod it selects in its zone; with none in the plan, the pods it
          // selects run outside it (the input holds only pending pods), or it is the first of pods selecting themselves
          List<PendingPod> selected = pods.values().stream()
              .filter(q -> q != p && zoneOf.containsKey(q.name()) && matches(affinity, p, q)).toList();
          boolean sameZone = selected.stream().anyMatch(q -> zoneOf.get(q.name()).equals(zoneOf.get(p.name())));
          assertThat(sameZone || selected.isEmpty())
              .as("zone affinity of " + p.name() + " in " + zoneOf.get(p.name()) + ": a pod it selects there, of "
                  + selected.stream().map(q -> q.name() + "@" + zoneOf.get(q.name())).limit(5).toList())
              .isTrue();
        }
      }
    }
  }

  /** The zones where some NodePool offers a node whose labels the pod selects and whose taints it tolerates. */
  static Set<String> zonesWithANodeFor(SchedulingInput input, PendingPod pod) {
    return withANodeFor(input, pod, dev.flotilla.catalog.Offering::zone);
  }

  static Set<String> capacityTypesWithANodeFor(SchedulingInput input, PendingPod pod) {
    return withANodeFor(input, pod, o -> o.capacityType().label());
  }

  /** What {@code of} reads off the offerings of every node the pod's selectors, affinity and tolerations admit. */
  private static Set<String> withANodeFor(SchedulingInput input, PendingPod pod,
      java.util.function.Function<dev.flotilla.catalog.Offering, String> of) {
    Set<String> zones = new HashSet<>();
    for (NodePool pool : input.pools()) {
      if (Toleration.firstUntolerated(pool.taints(), pod.tolerations()) != null) {
        continue;
      }
      for (InstanceType type : input.catalog().types()) {
        for (dev.flotilla.catalog.Offering o : input.catalog().offerings(type)) {
          if (zones.contains(of.apply(o))) {
            continue;
          }
          Map<String, String> labels = new HashMap<>(NodeLabels.of(type));
          labels.putAll(pool.labels());
          labels.put(WellKnownLabels.NODEPOOL, pool.name());
          labels.put(WellKnownLabels.CAPACITY_TYPE, o.capacityType().label());
          labels.put(WellKnownLabels.ZONE, o.zone());
          NodeLabels.putRegion(labels, input.catalog().region());
          if (pool.requirements().stream().allMatch(r -> r.matches(labels)) && selects(pod, labels)) {
            zones.add(of.apply(o));
          }
        }
      }
    }
    return zones;
  }

  /** Whether the pod's node selector and any of its required terms allow the zone (volumes aside). */
  static boolean allowsZone(PendingPod pod, String zone) {
    String selected = pod.nodeSelector().get(WellKnownLabels.ZONE);
    if (selected != null && !selected.equals(zone)) {
      return false;
    }
    return pod.requiredTerms().isEmpty() || pod.requiredTerms().stream().anyMatch(term -> term.stream()
        .allMatch(r -> !r.key().equals(WellKnownLabels.ZONE) || r.matchesValue(zone)));
  }

  /**
   * Required hostname affinity, as the cluster's scheduler filters it, pods binding one at a time: a pod the term
   * selects that does not carry the term binds anywhere (one on an in-flight node is there already), so a node holding
   * one meets the term; with none anywhere
   * (nor running), the first pod of a group selecting itself binds anywhere and every other must join it, so all the
   * pods the term selects are on one node, the carrier's.
   */
  private static void hostnameAffinity(SchedulingInput input, Plan plan, Map<String, PendingPod> pods) {
    List<List<PendingPod>> nodes = new ArrayList<>();
    plan.nodeClaims().forEach(c -> nodes.add(c.pods().stream().map(pods::get).toList()));
    for (InFlightPlacement placement : plan.inFlightPlacements()) {
      List<PendingPod> all = new ArrayList<>(input.inFlight().stream()
          .filter(n -> n.claimId().equals(placement.claimId())).findFirst().orElseThrow().pods());
      placement.pods().forEach(n -> all.add(pods.get(n)));
      nodes.add(all);
    }
    for (List<PendingPod> node : nodes) {
      for (PendingPod p : node) {
        if (!pods.containsKey(p.name())) {
          continue;
        }
        for (PodAffinityTerm term : p.affinity()) {
          if (!term.topologyKey().equals(WellKnownLabels.HOSTNAME)) {
            continue;
          }
          // a pod already on its node (an in-flight node's own) binds nothing anew: it anchors whatever it carries
          java.util.function.Predicate<PendingPod> anchor = q -> matches(term, p, q) && (!pods.containsKey(q.name())
              || q.affinity().stream().noneMatch(t -> t.topologyKey().equals(WellKnownLabels.HOSTNAME)
                  && t.selector().equals(term.selector()) && t.namespacesOf(q).equals(term.namespacesOf(p))));
          boolean anchored = node.stream().anyMatch(anchor);
          boolean anchorsElsewhere = nodes.stream().flatMap(List::stream).anyMatch(anchor)
              || !input.running().byZone(q -> matches(term, p, q)).isEmpty();
          long nodesWithMembers = nodes.stream().filter(n -> n.stream().anyMatch(q -> matches(term, p, q))).count();
          boolean oneGroup = !anchorsElsewhere && nodesWithMembers == 1 && node.stream().anyMatch(q -> matches(term, p, q));
          assertThat(anchored || oneGroup).as("hostname affinity of " + p.name() + ": beside a pod it selects that"
              + " binds regardless, or with every pod it selects on one node").isTrue();
        }
      }
    }
  }

  static boolean matches(PodAffinityTerm term, PendingPod owner, PendingPod other) {
    return term.looksIn(owner, other.namespace()) && term.selector().matches(other.labels());
  }

  static boolean selects(PendingPod pod, Map<String, String> labels) {
    for (Map.Entry<String, String> e : pod.nodeSelector().entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return pod.requiredTerms().isEmpty()
        || pod.requiredTerms().stream().anyMatch(term -> term.stream().allMatch(r -> r.matches(labels)));
  }
}
