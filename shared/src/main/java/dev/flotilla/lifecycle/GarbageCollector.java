package dev.flotilla.lifecycle;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.cloud.CloudInstance;
import dev.flotilla.cloud.CloudProvider;
import dev.flotilla.cloud.OwnershipTags;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reconciles EC2 with the claim store on a schedule. An owned instance no live claim knows (a crash between
 * CreateFleet and the claim's update) is adopted when its claim tag (or its request's claims tag) names a claim
 * still Launching, and terminated otherwise, once older than the grace period; a live claim whose instance is gone
 * is closed; launches that never joined expire; a node Ready for a while whose Nominate command may have been lost
 * (its Ready event lost, or the command) has it sent.
 */
public final class GarbageCollector {

  public static final Duration GRACE = Duration.ofMinutes(2);
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GarbageCollector.class);
  /** The lease a collection holds while it runs. */
  public static final String LEASE_NAME = "garbage-collection";
  /**
   * How long a collection's lease lasts unless it ends it first: the schedule's period, longer than the function's
   * timeout, so a killed run holds back at most the next one.
   */
  public static final Duration LEASE = Duration.ofMinutes(2);

  /**
   * What one pass did, and what the fleet costs now: the hourly price of the running instances of live claims
   * (USD, the price each was bought at).
   *
   * @param nominated the claims whose Ready node had its Nominate sent (again), having missed it
   */
  public record Report(List<String> adopted, List<String> terminated, List<String> closed, List<String> expired,
      List<String> nominated, double fleetPricePerHour) {}

  private final ClaimStore store;
  private final CloudProvider cloud;
  private final Lifecycle lifecycle;
  private final Clock clock;
  private final Duration grace;

  public GarbageCollector(ClaimStore store, CloudProvider cloud, Lifecycle lifecycle, Clock clock, Duration grace) {
    this.store = store;
    this.cloud = cloud;
    this.lifecycle = lifecycle;
    this.clock = clock;
    this.grace = grace;
  }

  /**
   * One collection, unless another is running (it holds the lease): then nothing is touched and the report gives
   * the fleet's price alone. The lease ends when the collection does, failed or not, so a retry runs at once; a
   * collection killed mid-way holds the next back until its lease expires.
   */
  public Report collect() {
    Optional<ClaimStore.Lease> lease = store.tryLease(LEASE_NAME, LEASE);
    if (lease.isEmpty()) {
      LOG.info("garbage collection skipped: another collection is running");
      Set<String> running = new HashSet<>();
      cloud.ownedInstances().forEach(i -> running.add(i.id()));
      return new Report(List.of(), List.of(), List.of(), List.of(), List.of(), fleetPrice(running));
    }
    try {
      return collectHoldingLease();
    } finally {
      try {
        store.endLease(lease.get());
      } catch (RuntimeException e) {
        LOG.warn("garbage collection lease not ended; it expires on its own: {}", e.getMessage());
      }
    }
  }

  private Report collectHoldingLease() {
    List<CloudInstance> instances = cloud.ownedInstances();
    List<Claim> claims = store.claims();
    Map<String, Claim> byInstance = new HashMap<>();
    claims.stream().filter(c -> c.instanceId() != null).forEach(c -> byInstance.put(c.instanceId(), c));
    List<String> adopted = new ArrayList<>();
    List<String> terminated = new ArrayList<>();
    for (CloudInstance instance : instances) {
      Claim known = byInstance.get(instance.id());
      if ((known != null && known.state().live()) || instance.launchTime().plus(grace).isAfter(clock.instant())) {
        continue;
      }
      Adoption adoption = known == null ? adopt(instance) : Adoption.NONE;
      if (adoption == Adoption.ADOPTED) {
        adopted.add(instance.id());
      }
      if (adoption != Adoption.NONE) {
        continue;
      }
      if (cloud.terminate(instance.id()) == CloudProvider.Termination.TERMINATED) {
        terminated.add(instance.id());
      }
    }
    Set<String> running = new HashSet<>();
    instances.forEach(i -> running.add(i.id()));
    List<String> closed = new ArrayList<>();
    for (Claim c : claims) {
      if (c.state().live() && c.instanceId() != null && !running.contains(c.instanceId())
          && c.updatedAt().plus(grace).isBefore(clock.instant())) {
        try {
          store.transition(c, c.moved(ClaimState.Terminated, clock.instant()));
          closed.add(c.id());
        } catch (ClaimStore.StaleClaimException raced) {
          // moved meanwhile
        }
      }
    }
    List<String> expired = lifecycle.expireLaunches().stream().map(Claim::id).toList();
    List<String> nominated = lifecycle.nominateReadyNodes().stream().map(Claim::id).toList();
    // read again: this pass adopted, closed and expired claims
    return new Report(adopted, terminated, closed, expired, nominated, fleetPrice(running));
  }

  private double fleetPrice(Set<String> running) {
    return store.claims().stream()
        .filter(c -> c.state().live() && c.instanceId() != null && running.contains(c.instanceId()))
        .mapToDouble(Claim::pricePerHour).filter(p -> !Double.isNaN(p)).sum();
  }

  private enum Adoption { ADOPTED, RACED, NONE }

  /**
   * Records an instance for a claim its tags name that is still Launching with no instance: its own claim, or the
   * first waiting one of the claims its request served (any of them can take it). RACED when the claim moved
   * meanwhile (the provisioner may just have recorded this very instance): the next pass decides on fresh state.
   */
  private Adoption adopt(CloudInstance instance) {
    for (String id : OwnershipTags.claims(instance.tags())) {
      Optional<Claim> tagged = store.claim(id);
      if (tagged.isPresent() && tagged.get().state().live() && instance.id().equals(tagged.get().instanceId())) {
        // recorded since this pass read the claims (a provisioner resuming the launch): not an orphan
        return Adoption.RACED;
      }
      if (tagged.isEmpty() || tagged.get().state() != ClaimState.Launching || tagged.get().instanceId() != null) {
        continue;
      }
      Claim claim = tagged.get();
      try {
        store.transition(claim, claim.recording(instance, clock.instant()));
        return Adoption.ADOPTED;
      } catch (ClaimStore.StaleClaimException raced) {
        return Adoption.RACED;
      }
    }
    return Adoption.NONE;
  }
}
