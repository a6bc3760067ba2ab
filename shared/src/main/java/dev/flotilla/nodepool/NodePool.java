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
    Lifetime lifetime,
    Integer replicas) {

  /** A pool that follows its pods, with the default lifetime. */
  public NodePool(String name, List<Requirement> requirements, Map<String, String> labels, List<Taint> taints,
      List<Taint> startupTaints, Resources limits, int weight, Disruption disruption) {
    this(name, requirements, labels, taints, startupTaints, limits, weight, disruption, Lifetime.DEFAULT, null);
  }

  /** A pool with the default lifetime, static when {@code replicas} is given. */
  public NodePool(String name, List<Requirement> requirements, Map<String, String> labels, List<Taint> taints,
      List<Taint> startupTaints, Resources limits, int weight, Disruption disruption, Integer replicas) {
    this(name, requirements, labels, taints, startupTaints, limits, weight, disruption, Lifetime.DEFAULT, replicas);
  }

  /** A pool that follows its pods. */
  public NodePool(String name, List<Requirement> requirements, Map<String, String> labels, List<Taint> taints,
      List<Taint> startupTaints, Resources limits, int weight, Disruption disruption, Lifetime lifetime) {
    this(name, requirements, labels, taints, startupTaints, limits, weight, disruption, lifetime, null);
  }

  /** Whether the pool keeps a fixed count of nodes ({@code spec.replicas}) rather than following its pods. */
  public boolean isStatic() {
    return replicas != null;
  }

  // ---- node lifetime: expiry, termination grace, the template hash drift is judged by

  /**
   * How long the pool's nodes live and how long their drain may take ({@code spec.template.spec.expireAfter},
   * {@code terminationGracePeriod}).
   *
   * @param expireAfter            a node older than this is replaced whatever the budgets say; null: never
   * @param terminationGracePeriod how long a drain may be held by budgets and do-not-disrupt pods before they are
   *                               deleted and the node goes; null: as long as it takes
   */
  public record Lifetime(Duration expireAfter, Duration terminationGracePeriod) {
    /** Karpenter's default: nodes expire after 30 days; drains wait as long as they must. */
    public static final Lifetime DEFAULT = new Lifetime(Duration.ofHours(720), null);

    public Lifetime {
      if (expireAfter != null && !expireAfter.isPositive()) {
        throw new IllegalArgumentException("expireAfter must be positive or Never");
      }
      if (terminationGracePeriod != null && terminationGracePeriod.isNegative()) {
        throw new IllegalArgumentException("terminationGracePeriod must not be negative");
      }
    }
  }

  /**
   * A digest of what a node of this pool is launched with, stored with each claim: a node whose claim carries
   * another digest has drifted. As Karpenter's NodePool hash it leaves out the requirements (a node still meeting
   * changed requirements has not drifted; that is checked apart) and the lifetime settings, which apply to running
   * nodes as they are.
   */
  public String templateHash() {
    StringBuilder text = new StringBuilder();
    new java.util.TreeMap<>(labels).forEach((k, v) -> text.append("label ").append(k).append('=').append(v)
        .append('\n'));
    taints.forEach(t -> text.append("taint ").append(t.key()).append('=').append(t.value()).append(':')
        .append(t.effect()).append('\n'));
    startupTaints.forEach(t -> text.append("startupTaint ").append(t.key()).append('=').append(t.value())
        .append(':').append(t.effect()).append('\n'));
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
          .digest(text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(digest, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  // ---- end of node lifetime

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
   * {@code percent}) disrupted at once, for the listed reasons (all when empty). With a {@code schedule} (cron, UTC)
   * the budget holds only for {@code duration} from each time the schedule fires; without one it always holds.
   */
  public record Budget(int nodes, boolean percent, List<String> reasons, CronSchedule schedule, Duration duration) {
    public static final Budget DEFAULT = new Budget(10, true, List.of());
    /** The reasons a budget may name, as Karpenter's {@code DisruptionReason}. */
    public static final List<String> REASONS = List.of("Drifted", "Underutilized", "Empty");

    public Budget {
      reasons = reasons == null ? List.of() : List.copyOf(reasons);
      if (nodes < 0 || (percent && nodes > 100)) {
        throw new IllegalArgumentException("budget nodes must be a count or a percentage of 0-100, not " + nodes
            + (percent ? "%" : ""));
      }
      if ((schedule == null) != (duration == null)) {
        throw new IllegalArgumentException("budget schedule and duration go together: give both or neither");
      }
      for (String reason : reasons) {
        if (!REASONS.contains(reason)) {
          throw new IllegalArgumentException("budget reason '" + reason + "' is not one of " + REASONS);
        }
      }
    }

    /** A budget that always holds. */
    public Budget(int nodes, boolean percent, List<String> reasons) {
      this(nodes, percent, reasons, null, null);
    }

    /** How many of {@code poolNodes} this budget lets go at once; a percentage rounds up, as Karpenter's does. */
    public int allowed(int poolNodes) {
      return percent ? (int) Math.ceil(poolNodes * nodes / 100.0) : nodes;
    }

    /** Whether the budget holds at {@code now}: always without a schedule, else within its window. */
    public boolean active(java.time.Instant now) {
      return schedule == null || schedule.firedWithin(now, duration);
    }

    /** Whether the budget limits disruptions for {@code reason}: a budget naming no reason limits them all. */
    public boolean covers(String reason) {
      return reasons.isEmpty() || reasons.contains(reason);
    }

    /** How the budget reads in a NodePool, for log lines. */
    public String describe() {
      return "nodes=" + nodes + (percent ? "%" : "") + (reasons.isEmpty() ? "" : " reasons=" + reasons)
          + (schedule == null ? "" : " schedule='" + schedule.text() + "' duration=" + duration);
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
    lifetime = lifetime == null ? Lifetime.DEFAULT : lifetime;
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

  /** Whether the pool sets any limit: a pool without one has nothing to count its nodes against. */
  public boolean hasLimits() {
    return !limits.amounts().isEmpty();
  }

  /**
   * Why adding {@code more} to {@code used} would break a limit ("NodePool NAME limit cpu=16 would be exceeded (16 in
   * use)"), or null where every limit still holds.
   */
  public String exceededLimitReason(Resources used, Resources more) {
    String exceeded = exceededLimit(used, more);
    return exceeded == null ? null : "NodePool " + name + " limit " + exceeded + "="
        + Resources.format(exceeded, limits.get(exceeded)) + " would be exceeded ("
        + Resources.format(exceeded, used.get(exceeded)) + " in use)";
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
