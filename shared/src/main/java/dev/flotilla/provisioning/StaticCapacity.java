package dev.flotilla.provisioning;

import dev.flotilla.catalog.NodeCapacity;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.OfferingSource;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.Toleration;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.scheduling.InstanceTypeOption;
import dev.flotilla.scheduling.NodeClaim;
import dev.flotilla.scheduling.Plan;
import dev.flotilla.scheduling.Scheduler;
import dev.flotilla.scheduling.SchedulingInput;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Static capacity, Karpenter's {@code spec.replicas}: a static pool keeps that many nodes whatever is pending. Pending
 * pods never buy its nodes ({@link #dynamic}); each consolidation pass launches what it lacks ({@link #keep}); and its
 * oldest {@code replicas} nodes are never consolidated ({@link #kept}), so lowering {@code replicas} leaves the
 * newest to consolidation, which removes them as it would any node.
 */
public final class StaticCapacity {

  private static final Logger LOG = LoggerFactory.getLogger(StaticCapacity.class);
  /**
   * What the pools leave to pending pods when every pool is static: a pool no instance type matches, so that pods
   * stay pending rather than fall to the default pool.
   */
  private static final NodePool NO_DYNAMIC_POOL = new NodePool("no-dynamic-nodepool",
      List.of(Requirement.in(WellKnownLabels.INSTANCE_TYPE, "none")), Map.of(), List.of(), List.of(),
      Resources.NONE, 0, null);

  private final Provisioner provisioner;
  private final OfferingSource offerings;
  private final Supplier<List<NodePool>> pools;
  private final Supplier<List<PendingPod>> daemonSets;
  private final Scheduler scheduler = new Scheduler();

  public StaticCapacity(Provisioner provisioner, OfferingSource offerings, Supplier<List<NodePool>> pools,
      Supplier<List<PendingPod>> daemonSets) {
    this.provisioner = provisioner;
    this.offerings = offerings;
    this.pools = pools;
    this.daemonSets = daemonSets;
  }

  /** The pools pending pods may buy nodes in: all but the static ones. */
  public static List<NodePool> dynamic(List<NodePool> pools) {
    if (pools.stream().noneMatch(NodePool::isStatic)) {
      return pools;
    }
    List<NodePool> dynamic = pools.stream().filter(p -> !p.isStatic()).toList();
    return dynamic.isEmpty() ? List.of(NO_DYNAMIC_POOL) : dynamic;
  }

  /** The claims a static pool keeps: its oldest live ones up to {@code replicas}, none draining. */
  public static Set<String> kept(Collection<Claim> claims, Collection<NodePool> pools) {
    Set<String> kept = new HashSet<>();
    for (NodePool pool : pools) {
      if (pool.isStatic()) {
        counted(claims, pool).stream().limit(pool.replicas()).forEach(c -> kept.add(c.id()));
      }
    }
    return kept;
  }

  private static List<Claim> counted(Collection<Claim> claims, NodePool pool) {
    return claims.stream()
        .filter(c -> pool.name().equals(c.nodePool()) && c.state().live() && c.state() != ClaimState.Draining)
        .sorted(Comparator.comparing(Claim::createdAt).thenComparing(Claim::id))
        .toList();
  }

  /**
   * How many of {@code wanted} copies of {@code node} the pool's limits allow, each counting its first ranked type,
   * the one planned: the plan checked a single node, and the copies launch together ({@link #narrowed} then keeps
   * them within the limits whichever of their types they come up as).
   */
  static int withinLimits(NodePool pool, Map<String, Resources> usage, NodeClaim node, OfferingCatalog catalog,
      int wanted) {
    var type = catalog.type(node.instanceType());
    if (type == null) {
      return wanted;
    }
    Resources each = NodeCapacity.capacity(type);
    Resources used = usage.getOrDefault(pool.name(), Resources.NONE);
    int allowed = 0;
    while (allowed < wanted && pool.exceededLimit(used, each) == null) {
      used = used.plus(each);
      allowed++;
    }
    return allowed;
  }

  /**
   * {@code node} offering only the types that keep the pool within its limits when all {@code copies} of it come up
   * as the largest of them, as the pools' usage counts a claim CreateFleet may still launch as any of its types: the
   * plan's types were checked for one node, and two copies of a 2-CPU node offering a 4-CPU type took a pool of 4
   * CPUs to 8 when both got it. Its first type, the one planned and counted by {@link #withinLimits}, stays.
   */
  static NodeClaim narrowed(NodePool pool, Map<String, Resources> usage, NodeClaim node, OfferingCatalog catalog,
      int copies) {
    if (!pool.hasLimits()) {
      return node;
    }
    Resources used = usage.getOrDefault(pool.name(), Resources.NONE);
    List<InstanceTypeOption> kept = new ArrayList<>();
    Resources largest = null;
    for (InstanceTypeOption option : node.instanceTypes()) {
      var type = catalog.type(option.name());
      Resources grown = type == null ? largest : largest == null ? NodeCapacity.capacity(type)
          : largest.max(NodeCapacity.capacity(type));
      Resources all = Resources.NONE;
      for (int copy = 0; grown != null && copy < copies; copy++) {
        all = all.plus(grown);
      }
      if (kept.isEmpty() || (type != null && pool.exceededLimit(used, all) == null)) {
        kept.add(option);
        largest = grown;
      }
    }
    return kept.size() == node.instanceTypes().size() ? node : new NodeClaim(node.nodePool(), node.zone(),
        node.zones(), node.capacityType(), kept, node.pods(), node.requests(), node.allocatable());
  }

  /** Launches, for each static pool, the nodes it lacks; the claims launched. */
  public List<Claim> keep(String eventId, List<Claim> claims) {
    List<Claim> launched = new ArrayList<>();
    List<NodePool> all = pools.get();
    for (NodePool pool : all) {
      if (!pool.isStatic()) {
        continue;
      }
      int missing = pool.replicas() - counted(claims, pool).size();
      if (missing <= 0) {
        continue;
      }
      OfferingCatalog catalog = offerings.catalog();
      List<Claim> live = claims.stream().filter(c -> c.state().live()).toList();
      // the pool's cheapest node, as a plan for the smallest pod that tolerates the pool's taints finds it
      PendingPod placeholder = PendingPod.builder("static-capacity/" + pool.name()).requests(Resources.of(1, 1))
          .tolerations(List.of(new Toleration("", "Exists", "", ""))).build();
      Map<String, Resources> usage = Provisioner.poolUsage(live, catalog);
      Plan plan = scheduler.schedule(new SchedulingInput(List.of(placeholder), List.of(pool), catalog,
          daemonSets.get(), usage, List.of()));
      if (plan.nodeClaims().isEmpty()) {
        LOG.atWarn().setMessage("static capacity not launched: the pool offers no node").addKeyValue("nodePool",
            pool.name()).addKeyValue("reason", plan.unschedulable()).log();
        continue;
      }
      NodeClaim node = plan.nodeClaims().getFirst();
      int within = withinLimits(pool, usage, node, catalog, missing);
      node = narrowed(pool, usage, node, catalog, within);
      if (within < missing) {
        LOG.atWarn().setMessage("static capacity held by the pool's limits").addKeyValue("nodePool", pool.name())
            .addKeyValue("missing", missing).addKeyValue("launching", within).log();
      }
      if (within == 0) {
        continue;
      }
      Provisioner.Decision decision = provisioner.launchPlanned(eventId + "/static/" + pool.name(),
          Collections.nCopies(within, node), List.of(), List.of());
      launched.addAll(decision.launched());
      LOG.atInfo().setMessage("static capacity launched").addKeyValue("nodePool", pool.name())
          .addKeyValue("replicas", pool.replicas()).addKeyValue("launched", decision.launched().size())
          .addKeyValue("failures", decision.failures()).log();
    }
    return launched;
  }
}
