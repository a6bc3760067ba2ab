package dev.flotilla.simulation.karpenter;

import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.OfferingSource;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.claims.PodKind;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.provisioning.Provisioner;
import dev.flotilla.scheduling.InFlightPlacement;
import dev.flotilla.scheduling.NodeClaim;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Karpenter's provisioning loop over one batch of pending pods (kubernetes-sigs/karpenter
 * {@code provisioning/provisioner.go}): pods already nominated to a NodeClaim in flight are left to it; the rest go
 * through {@link KarpenterScheduler}; pods it puts on an in-flight NodeClaim are nominated to it, pods it puts on a
 * ready node are left to the cluster's scheduler, and each new NodeClaim is launched as {@link LaunchOrder} asks.
 */
final class KarpenterProvisioner {

  private final ClaimStore store;
  private final OfferingSource offerings;
  private final Supplier<List<NodePool>> pools;
  private final Supplier<List<PendingPod>> daemonSets;
  private final Clock clock;
  private final ClaimLauncher launcher;
  private final KarpenterScheduler scheduler = new KarpenterScheduler();

  KarpenterProvisioner(ClaimStore store, OfferingSource offerings, Supplier<List<NodePool>> pools,
      Supplier<List<PendingPod>> daemonSets, Clock clock, ClaimLauncher launcher) {
    this.store = store;
    this.offerings = offerings;
    this.pools = pools;
    this.daemonSets = daemonSets;
    this.clock = clock;
    this.launcher = launcher;
  }

  Provisioner.Decision provision(String eventId, List<PendingPod> pending) {
    long start = System.nanoTime();
    Map<String, PendingPod> byName = new LinkedHashMap<>();
    pending.forEach(p -> byName.putIfAbsent(p.name(), p));
    Map<String, String> reserved = new HashMap<>(store.reservations(byName.keySet()));
    releaseStale(reserved);
    List<PendingPod> open = byName.values().stream().filter(p -> !reserved.containsKey(p.name())).toList();
    if (open.isEmpty()) {
      return new Provisioner.Decision(eventId, pending.size(), reserved.size(), List.of(), List.of(), List.of(),
          List.of(), 0, 0, millis(start));
    }
    OfferingCatalog catalog = offerings.catalog();
    List<Claim> live = store.claims().stream().filter(c -> c.state().live()).toList();
    List<ExistingNode> existing = ClusterView.nodes(live, ClusterView.parse(store.nodeStates()), pools.get(), catalog,
        daemonSets.get(), Set.of());
    KarpenterScheduler.Result result = scheduler.solve(new KarpenterScheduler.Input(open, existing, pools.get(),
        catalog, daemonSets.get(), Provisioner.poolUsage(live, catalog)));
    List<String> failures = new ArrayList<>();
    List<InFlightPlacement> nominated = nominate(result.existing(), live, failures);
    List<NodeClaim> requests = result.newClaims().stream().map(LaunchOrder::of).toList();
    ClaimLauncher.Launched launched = launcher.launch(requests, byName, true, List.of());
    failures.addAll(launched.failures());
    return new Provisioner.Decision(eventId, pending.size(), reserved.size(), launched.launched(), nominated,
        result.unschedulable(), failures, launched.addedPricePerHour(), 0, millis(start));
  }

  /** Nominates to each in-flight NodeClaim the pods the simulation put there, a transaction's worth at a time. */
  private List<InFlightPlacement> nominate(List<ExistingNode> nodes, List<Claim> live, List<String> failures) {
    Map<String, Claim> claims = new HashMap<>();
    live.forEach(c -> claims.put(c.id(), c));
    List<InFlightPlacement> done = new ArrayList<>();
    for (ExistingNode n : nodes) {
      if (!n.inFlight || n.added.isEmpty()) {
        continue;
      }
      List<String> names = new ArrayList<>();
      for (int from = 0; from < n.added.size(); from += 99) {
        List<PendingPod> chunk = n.added.subList(from, Math.min(n.added.size(), from + 99));
        Claim seen = claims.get(n.claimId);
        Resources load = chunk.stream().map(PendingPod::requests).reduce(Resources.NONE, Resources::plus);
        List<String> pods = chunk.stream().map(PendingPod::name).toList();
        try {
          if (store.extend(seen.withKinds(PodKind.merge(seen.kinds(), PodKind.of(chunk))), pods, load)
              instanceof ClaimStore.Created c) {
            claims.put(seen.id(), c.claim());
            names.addAll(pods);
            continue;
          }
        } catch (ClaimStore.StaleClaimException e) {
          // the NodeClaim moved on (its node joined): the pods come back in the next batch
        }
        failures.add("pods not nominated to NodeClaim " + n.claimId);
        break;
      }
      if (!names.isEmpty()) {
        done.add(new InFlightPlacement(n.claimId, names));
      }
    }
    return done;
  }

  /**
   * Pods still pending a while after their NodeClaim's node was ready went elsewhere or did not fit where the
   * cluster's scheduler put others: their nomination lapses, as Karpenter's does, and they are scheduled again.
   */
  private void releaseStale(Map<String, String> reserved) {
    java.time.Instant cutoff = clock.instant().minus(Provisioner.RESERVATION_GRACE);
    for (String claimId : new java.util.HashSet<>(reserved.values())) {
      store.claim(claimId).filter(c -> !c.state().live() || c.state() == ClaimState.Draining
          || (c.state() == ClaimState.Initialized && c.updatedAt() != null && c.updatedAt().isBefore(cutoff)))
          .ifPresent(c -> {
            store.release(c);
            reserved.values().removeIf(claimId::equals);
          });
    }
  }

  private static long millis(long start) {
    return (System.nanoTime() - start) / 1_000_000;
  }
}
