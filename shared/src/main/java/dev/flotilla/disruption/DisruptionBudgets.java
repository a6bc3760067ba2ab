package dev.flotilla.disruption;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.nodepool.NodePool;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How many more nodes each NodePool may have disrupted now, reason by reason: the one accounting every disruption
 * method reads, as Karpenter's {@code BuildDisruptionBudgetMapping}. A pool's nodes are its claims whose nodes are
 * ready (Initialized or Draining); those being disrupted are the Draining ones, those a replacement is on its way
 * for, and those whose node is not Ready. For a reason, the allowance is the smallest of the active budgets that
 * cover it (a percentage of the nodes, rounded up), less the nodes being disrupted; with no budget active, it is
 * unlimited. A pass that disrupts nodes {@link #take}s them, so the methods after it see what is left.
 */
public final class DisruptionBudgets {

  /** What a pool's allowance came from, for log lines: the budget that set it, or none active. */
  public record Allowance(int remaining, String budget) {}

  private final Map<String, NodePool> pools = new HashMap<>();
  private final Map<String, Integer> nodes = new HashMap<>();
  private final Map<String, Integer> disrupting = new HashMap<>();
  private final Instant now;

  private DisruptionBudgets(Instant now) {
    this.now = now;
  }

  /**
   * The accounting for this state of the cluster.
   *
   * @param notReady the nodes whose Ready condition is not True: they count as disrupted already
   */
  public static DisruptionBudgets of(Collection<NodePool> pools, List<Claim> claims, Set<String> notReady,
      Instant now) {
    DisruptionBudgets b = new DisruptionBudgets(now);
    pools.forEach(p -> b.pools.put(p.name(), p));
    Set<String> beingReplaced = new HashSet<>();
    for (Claim c : claims) {
      if (c.state().live()) {
        beingReplaced.addAll(c.replaces());
      }
    }
    for (Claim c : claims) {
      boolean ready = c.state() == ClaimState.Initialized || c.state() == ClaimState.Draining;
      if (!ready || c.nodeName() == null) {
        continue;
      }
      b.nodes.merge(c.nodePool(), 1, Integer::sum);
      if (c.state() == ClaimState.Draining || beingReplaced.contains(c.id()) || notReady.contains(c.nodeName())) {
        b.disrupting.merge(c.nodePool(), 1, Integer::sum);
      }
    }
    return b;
  }

  public static DisruptionBudgets of(Collection<NodePool> pools, List<Claim> claims, Instant now) {
    return of(pools, claims, Set.of(), now);
  }

  /** How many more of the pool's nodes may be disrupted for {@code reason} now, and which budget says so. */
  public Allowance allowance(String pool, DisruptionReason reason) {
    NodePool p = pools.get(pool);
    if (p == null) {
      return new Allowance(0, "NodePool " + pool + " is not configured");
    }
    int count = nodes.getOrDefault(pool, 0);
    int allowed = Integer.MAX_VALUE;
    String by = "no budget active for " + reason;
    for (NodePool.Budget budget : p.disruption().budgets()) {
      if (budget.covers(reason.name()) && budget.active(now) && budget.allowed(count) < allowed) {
        allowed = budget.allowed(count);
        by = budget.describe();
      }
    }
    if (allowed == Integer.MAX_VALUE) {
      return new Allowance(Integer.MAX_VALUE, by);
    }
    return new Allowance(Math.max(0, allowed - disrupting.getOrDefault(pool, 0)), by);
  }

  public int remaining(String pool, DisruptionReason reason) {
    return allowance(pool, reason).remaining();
  }

  /** Every configured pool's remaining allowance for {@code reason}. */
  public Map<String, Integer> remaining(DisruptionReason reason) {
    Map<String, Integer> result = new HashMap<>();
    pools.keySet().forEach(pool -> result.put(pool, remaining(pool, reason)));
    return result;
  }

  /** Counts {@code count} more of the pool's nodes as being disrupted, for whatever reason. */
  public void take(String pool, int count) {
    disrupting.merge(pool, count, Integer::sum);
  }

  /** How many of the pool's nodes are counted, and how many of them are being disrupted. */
  public int nodes(String pool) {
    return nodes.getOrDefault(pool, 0);
  }

  public int disrupting(String pool) {
    return disrupting.getOrDefault(pool, 0);
  }
}
