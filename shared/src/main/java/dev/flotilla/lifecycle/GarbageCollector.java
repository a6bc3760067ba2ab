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
  /** How often a collection runs (the stack's schedule). */
  public static final Duration EVERY = Duration.ofMinutes(2);
  /** The most a collection may run (the function's timeout). */
  public static final Duration TIMEOUT = Duration.ofSeconds(90);
  /**
   * How long a collection's lease lasts unless it ends it first: longer than a run may last, so no two run together,
   * and shorter than the schedule's period, so a run killed holding it (or whose ending of it failed) holds back only
   * its own retries, never the next scheduled run. At the period itself, each such run cost the next one too: under
   * faults, four minutes and more without a collection, and launches that never joined were not expired for that long.
   */
  public static final Duration LEASE = TIMEOUT.plusSeconds(10);

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

  /**
   * The pass's parts each run whatever befell the ones before them, the expiry of launches that never joined first
   * (a throttled DescribeInstances or a termination EC2 did not answer must not hold it back). The first failure is
   * thrown at the end, so the pass still counts as failed and is retried (every part is idempotent).
   */
  private Report collectHoldingLease() {
    Failures failures = new Failures();
    // launches that never joined first: their expiry has a deadline (their pods wait for it), the rest does not
    List<String> expired = failures.run(() -> lifecycle.expireLaunches().stream().map(Claim::id).toList(), List.of());
    List<String> adopted = new ArrayList<>();
    List<String> terminated = new ArrayList<>();
    List<String> closed = new ArrayList<>();
    Set<String> running = failures.run(() -> {
      List<CloudInstance> instances = cloud.ownedInstances();
      List<Claim> claims = store.claims();
      Set<String> ids = new HashSet<>();
      instances.forEach(i -> ids.add(i.id()));
      failures.run(() -> collectOrphans(instances, claims, adopted, terminated));
      closeGone(claims, ids, closed);
      return ids;
    }, null);
    List<String> nominated = failures.run(() -> lifecycle.nominateReadyNodes().stream().map(Claim::id).toList(),
        List.of());
    if (failures.count() > 0) {
      LOG.atWarn().setMessage("garbage collection failed in part").addKeyValue("failures", failures.count())
          .addKeyValue("expired", expired).addKeyValue("terminated", terminated).addKeyValue("closed", closed)
          .addKeyValue("why", failures.firstMessage()).log();
      failures.rethrow();
    }
    // read again: this pass adopted, closed and expired claims
    return new Report(adopted, terminated, closed, expired, nominated, fleetPrice(running));
  }

  /** Adopts or terminates each owned instance no live claim knows, once older than the grace period. */
  private void collectOrphans(List<CloudInstance> instances, List<Claim> claims, List<String> adopted,
      List<String> terminated) {
    Map<String, Claim> byInstance = new HashMap<>();
    claims.stream().filter(c -> c.instanceId() != null).forEach(c -> byInstance.put(c.instanceId(), c));
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
  }

  /** Closes each live claim whose instance no longer runs, once unchanged for the grace period. */
  private void closeGone(List<Claim> claims, Set<String> running, List<String> closed) {
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
