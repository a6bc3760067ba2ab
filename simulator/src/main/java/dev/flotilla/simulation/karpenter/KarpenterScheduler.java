package dev.flotilla.simulation.karpenter;

import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.scheduling.Unschedulable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Karpenter's scheduling simulation (kubernetes-sigs/karpenter {@code provisioning/scheduling/scheduler.go},
 * {@code Solve} and {@code add}): pods in {@link PodOrder}; each goes to the first existing node (ready or in flight)
 * that takes it, else to the first NodeClaim already planned in this batch that takes it, else to a new NodeClaim from
 * the first NodePool by weight that can hold it within its limits; a pod no option takes has its preferences relaxed
 * one step ({@link Preferences}) and is tried again, until nothing is left to relax.
 */
final class KarpenterScheduler {

  /** What the simulation is given. */
  record Input(List<PendingPod> pods, List<ExistingNode> existing, List<NodePool> pools, OfferingCatalog catalog,
      List<PendingPod> daemonSets, Map<String, Resources> poolUsage) {}

  /** What it decided: pods put on existing nodes (in each node's {@code added}), new NodeClaims, pods left out. */
  record Result(List<ExistingNode> existing, List<NodeClaimDraft> newClaims, List<Unschedulable> unschedulable) {

    boolean allScheduled() {
      return unschedulable.isEmpty();
    }
  }

  private record TemplateKey(List<NodePool> pools, OfferingCatalog catalog, List<PendingPod> daemonSets) {}

  // a disruption pass simulates many times over one catalog: the templates are built once for it
  private TemplateKey lastKey;
  private List<NodePoolTemplate> lastTemplates;

  Result solve(Input in) {
    List<NodePoolTemplate> templates = templates(in);
    Map<String, Resources> remaining = new HashMap<>();
    for (NodePoolTemplate t : templates) {
      remaining.put(t.pool.name(), t.pool.limits().minus(in.poolUsage().getOrDefault(t.pool.name(), Resources.NONE)));
    }
    ZoneSpread spread = new ZoneSpread(in.existing(), pod -> domains(pod, templates));
    List<NodeClaimDraft> planned = new ArrayList<>();
    List<Unschedulable> unschedulable = new ArrayList<>();
    List<PendingPod> queue = in.pods().stream().sorted(PodOrder.CPU_THEN_MEMORY_DESCENDING).toList();
    for (PendingPod pod : queue) {
      Preferences attempt = Preferences.strict(pod);
      while (attempt != null && !add(attempt, in.existing(), planned, templates, remaining, spread)) {
        attempt = attempt.relax();
      }
      if (attempt == null) {
        unschedulable.add(new Unschedulable(pod.name(), "no existing node, planned NodeClaim or NodePool fits it"));
      }
    }
    return new Result(in.existing(), planned, unschedulable);
  }

  private List<NodePoolTemplate> templates(Input in) {
    TemplateKey key = new TemplateKey(in.pools(), in.catalog(), in.daemonSets());
    if (lastKey == null || lastKey.catalog() != in.catalog() || !lastKey.equals(key)) {
      lastTemplates = in.pools().stream()
          .sorted(Comparator.comparingInt(NodePool::weight).reversed().thenComparing(NodePool::name))
          .map(p -> new NodePoolTemplate(p, in.catalog(), in.daemonSets())).toList();
      lastKey = key;
    }
    return lastTemplates;
  }

  private static boolean add(Preferences pod, List<ExistingNode> existing, List<NodeClaimDraft> planned,
      List<NodePoolTemplate> templates, Map<String, Resources> remaining, ZoneSpread spread) {
    for (ExistingNode node : existing) {
      if (node.add(pod, spread)) {
        return true;
      }
    }
    // Karpenter sorts the planned NodeClaims by fewest pods first before each pod (a stable sort here, so a run
    // replays; Go's sort.Slice is not stable)
    planned.sort(java.util.Comparator.comparingInt(c -> c.pods.size()));
    for (NodeClaimDraft claim : planned) {
      if (claim.add(pod, spread)) {
        return true;
      }
    }
    for (NodePoolTemplate template : templates) {
      NodeClaimDraft claim = new NodeClaimDraft(withinLimits(template, remaining.get(template.pool.name())));
      if (!claim.types.isEmpty() && claim.add(pod, spread)) {
        planned.add(claim);
        // subtractMax: the NodeClaim may yet be its largest type, so that is what the batch counts against the
        // limits; a batch may take several rounds to schedule, as Karpenter's comment on it says
        if (template.pool.hasLimits()) {
          remaining.put(template.pool.name(), remaining.get(template.pool.name()).minus(claim.largestCapacity()));
        }
        return true;
      }
    }
    return false;
  }

  /** The template less the types that would take the pool over its limits: Karpenter filters them out first. */
  private static NodePoolTemplate withinLimits(NodePoolTemplate template, Resources remaining) {
    if (!template.pool.hasLimits()) {
      return template;
    }
    return template.narrowed(t -> dev.flotilla.catalog.NodeCapacity.capacity(t.type()).amounts().entrySet().stream()
        .allMatch(e -> !template.pool.limits().amounts().containsKey(e.getKey())
            || e.getValue() <= remaining.get(e.getKey())));
  }

  /** The zones a pod's spreads count: those the NodePools it tolerates offer, within its own zone requirements. */
  private static Set<String> domains(Preferences pod, List<NodePoolTemplate> templates) {
    Set<String> zones = new TreeSet<>();
    for (NodePoolTemplate t : templates) {
      if (PodRules.tolerated(pod, t.pool.taints())) {
        zones.addAll(t.zones);
      }
    }
    for (Requirement r : PodRules.requirements(pod)) {
      if (PodRules.isZone(r)) {
        zones.removeIf(z -> !r.matchesValue(z));
      }
    }
    return zones;
  }
}
