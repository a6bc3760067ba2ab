package dev.flotilla.nodepool;

import dev.flotilla.model.CapacityType;
import dev.flotilla.model.Operator;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.Taint;
import dev.flotilla.model.WellKnownLabels;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A NodePool: which nodes Flotilla may launch for which pods. The shape is Karpenter's v1 NodePool
 * ({@code spec.template.spec.requirements}, taints, startupTaints, labels; limits; weight; disruption).
 *
 * @param requirements with canonical label keys (see {@link WellKnownLabels#canonical})
 * @param startupTaints taints the node starts with and loses once ready: pods need not tolerate them
 * @param limits        the most capacity (cpu, memory, ...) the pool's nodes may add up to; absent means unlimited
 * @param weight        pools with a higher weight are tried first
 * @param replicas      static capacity ({@code spec.replicas}): the pool keeps this many nodes whatever is pending,
 *                      and none is consolidated; null for a pool that follows its pods
 */
public record NodePool(
    String name,
    List<Requirement> requirements,
    Map<String, String> labels,
    List<Taint> taints,
    List<Taint> startupTaints,
    Resources limits,
    int weight,
    Disruption disruption,
    Integer replicas) {

  /** A pool that follows its pods. */
  public NodePool(String name, List<Requirement> requirements, Map<String, String> labels, List<Taint> taints,
      List<Taint> startupTaints, Resources limits, int weight, Disruption disruption) {
    this(name, requirements, labels, taints, startupTaints, limits, weight, disruption, null);
  }

  /** Whether the pool keeps a fixed count of nodes ({@code spec.replicas}) rather than following its pods. */
  public boolean isStatic() {
    return replicas != null;
  }

  /** How and when the pool's nodes may be disrupted. */
  public record Disruption(
      ConsolidationPolicy consolidationPolicy,
      Duration consolidateAfter,
      List<Budget> budgets,
      boolean replaceOnRebalance) {

    public static final Disruption DEFAULT = new Disruption(
        ConsolidationPolicy.WhenEmptyOrUnderutilized, Duration.ZERO, List.of(Budget.DEFAULT), false);

    public Disruption {
      budgets = budgets == null || budgets.isEmpty() ? List.of(Budget.DEFAULT) : List.copyOf(budgets);
      consolidateAfter = consolidateAfter == null ? Duration.ZERO : consolidateAfter;
    }
  }

  /** Karpenter's consolidation policies. */
  public enum ConsolidationPolicy { WhenEmpty, WhenEmptyOrUnderutilized }

  /**
   * A disruption budget: at most {@code nodes} (a count, or a percentage of the pool's nodes when
   * {@code percent}) disrupted at once, for the listed reasons (all when empty).
   */
  public record Budget(int nodes, boolean percent, List<String> reasons) {
    public static final Budget DEFAULT = new Budget(10, true, List.of());

    public Budget {
      reasons = reasons == null ? List.of() : List.copyOf(reasons);
    }

    /** How many of {@code poolNodes} this budget lets go at once; a percentage rounds up, as Karpenter's does. */
    public int allowed(int poolNodes) {
      return percent ? (int) Math.ceil(poolNodes * nodes / 100.0) : nodes;
    }
  }

  public NodePool {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("NodePool: metadata.name is required");
    }
    requirements = List.copyOf(requirements);
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    taints = taints == null ? List.of() : List.copyOf(taints);
    startupTaints = startupTaints == null ? List.of() : List.copyOf(startupTaints);
    limits = limits == null ? Resources.NONE : limits;
    disruption = disruption == null ? Disruption.DEFAULT : disruption;
    if (replicas != null && replicas < 0) {
      throw new IllegalArgumentException("NodePool " + name + ": replicas must not be negative");
    }
  }

  /** The pool used when none is given: on-demand Linux on amd64 or arm64, every category but burstable t. */
  public static NodePool defaultPool() {
    return new NodePool("default", List.of(
        Requirement.in(WellKnownLabels.CAPACITY_TYPE, CapacityType.ON_DEMAND.label()),
        Requirement.in(WellKnownLabels.OS, "linux"),
        Requirement.in(WellKnownLabels.ARCH, "amd64", "arm64"),
        new Requirement(WellKnownLabels.INSTANCE_CATEGORY, Operator.NotIn, List.of("t"))),
        Map.of(), List.of(), List.of(), Resources.NONE, 0, Disruption.DEFAULT);
  }

  /**
   * The taints a pod must tolerate to be planned onto the pool's nodes: its taints, less Flotilla's startup taint
   * ({@link Taint#INITIALIZING}) should a pool list it, since that one is lifted once the node's pods are nominated.
   * Startup taints never count, as in Karpenter.
   */
  public List<Taint> schedulingTaints() {
    return taints.isEmpty() ? taints : taints.stream().filter(t -> !t.sameAs(Taint.INITIALIZING)).toList();
  }

  /** Whether the pool may buy this capacity type (on-demand only when it says nothing). */
  public boolean allows(CapacityType capacityType) {
    boolean constrained = false;
    for (Requirement r : requirements) {
      if (r.key().equals(WellKnownLabels.CAPACITY_TYPE)) {
        constrained = true;
        if (!r.matchesValue(capacityType.label())) {
          return false;
        }
      }
    }
    return constrained || capacityType == CapacityType.ON_DEMAND;
  }

  /** Whether a limit would still hold after adding {@code more} to {@code used}; the first exceeded name or null. */
  public String exceededLimit(Resources used, Resources more) {
    for (Map.Entry<String, Long> limit : limits.amounts().entrySet()) {
      if (used.get(limit.getKey()) + more.get(limit.getKey()) > limit.getValue()) {
        return limit.getKey();
      }
    }
    return null;
  }
}
