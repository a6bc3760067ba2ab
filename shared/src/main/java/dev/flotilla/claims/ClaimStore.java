package dev.flotilla.claims;

import dev.flotilla.catalog.Offering;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The in-flight launch state of one cluster: claims, the pods they reserve, offerings recently out of capacity, and
 * the node-state mirror. Every write that can race is conditional, so a repeated or concurrent event never reserves
 * a pod twice or moves a claim twice.
 */
public interface ClaimStore {

  /**
   * How long a reservation holds its pod. An expired one is as good as absent: it is not read, and a new claim may
   * reserve the pod over it (DynamoDB removes expired items only eventually, up to days later).
   */
  Duration RESERVATION_TTL = Duration.ofMinutes(30);

  /** What creating a claim did. */
  sealed interface Creation {}

  /** The claim and all its reservations were written. */
  record Created(Claim claim) implements Creation {}

  /** Nothing was written: these pods are already reserved (or the claim id exists). */
  record Conflict(Set<String> reservedPods) implements Creation {}

  /** A transition lost a race: the claim is no longer in the state and version the caller saw. */
  final class StaleClaimException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StaleClaimException(String message) {
      super(message);
    }

    /** The claim is no longer at the state and version of {@code seen}. */
    public static StaleClaimException of(Claim seen) {
      return new StaleClaimException("claim " + seen.id() + " is no longer " + seen.state() + " v" + seen.version());
    }
  }

  /** Rejects a move {@link ClaimState#next()} does not allow; staying in the same state is always allowed. */
  static void checkMove(Claim current, Claim next) {
    if (next.state() != current.state() && !current.state().next().contains(next.state())) {
      throw new IllegalArgumentException("claim " + current.id() + " cannot go from " + current.state() + " to "
          + next.state());
    }
  }

  /**
   * Writes the claim and one reservation per pod, all or nothing: each reservation is conditional on the pod not
   * being reserved already.
   */
  Creation create(Claim claim);

  /**
   * Adds pods to a live claim whose node has room for them: the claim (if still at the version the caller saw) and
   * one reservation per pod, all or nothing. Fewer than 100 pods at once. {@code current} carries the pods' kinds as
   * the claim is to keep them once extended ({@link Claim#withKinds}); they are written with it.
   */
  Creation extend(Claim current, List<String> morePods, dev.flotilla.model.Resources moreLoad);

  /**
   * Moves a claim from the state and version it has in {@code current} to {@code next} (whose other fields are
   * written too). Throws {@link StaleClaimException} when another writer got there first; leaving for
   * {@link ClaimState#Terminated} releases the claim's reservations, and the store keeps only the claim's
   * {@link Claim#closedRecord}. Returns the claim as moved, at its new version.
   */
  Claim transition(Claim current, Claim next);

  /**
   * Deletes the reservations this claim holds, leaving the claim as it is: for a node that has been ready a while,
   * whose pods the cluster's scheduler has placed or will not place. Idempotent.
   */
  default void release(Claim claim) {
    release(claim, claim.pods());
  }

  /**
   * Deletes the reservations this claim holds for {@code pods}, leaving its others and the claim as they are: for
   * pods the cluster's scheduler refuses on the claim's ready node, while the rest may still bind there. Idempotent.
   */
  void release(Claim claim, java.util.Collection<String> pods);

  Optional<Claim> claim(String id);

  /**
   * The claims with these ids that exist, by id, read together: the provisioner reads every claim a pending pod is
   * reserved by on each delivery of a batch, hundreds in a large burst, and one read each would be as many round
   * trips (and as many points to fail) on its hot path. Ids with no claim are left out.
   */
  default Map<String, Claim> claims(Collection<String> ids) {
    Map<String, Claim> found = new java.util.LinkedHashMap<>();
    for (String id : new java.util.LinkedHashSet<>(ids)) {
      claim(id).ifPresent(c -> found.put(id, c));
    }
    return found;
  }

  /** Every claim of the cluster, Terminated ones included until they expire. */
  List<Claim> claims();

  Optional<Claim> claimByInstance(String instanceId);

  /** Which of these pods are reserved, and by which claim. */
  Map<String, String> reservations(Collection<String> pods);

  /**
   * One pass's exclusive hold on a name (a scheduled pass that must not overlap itself) until {@code expiresAt} or
   * until it ends the lease; {@code holder} tells its holder from a later one.
   */
  record Lease(String name, String holder, java.time.Instant expiresAt) {}

  /**
   * Takes the lease on {@code name} for {@code ttl}: empty when another holder has it and it has not expired. A lease
   * whose holder died expires on its own. A store that keeps no leases grants every request.
   */
  default Optional<Lease> tryLease(String name, Duration ttl) {
    return Optional.of(new Lease(name, java.util.UUID.randomUUID().toString(), java.time.Instant.MAX));
  }

  /** Ends a lease this holder took, so the next pass may run at once; a lease since taken by another is left. */
  default void endLease(Lease lease) {}

  /** Marks an offering out of capacity for every function instance, for {@code ttl}. */
  void markUnavailable(Offering.Key offering, String reason, Duration ttl);

  Set<Offering.Key> unavailable();

  /** Writes a node's mirrored state (a JSON document) if it changed. */
  void putNodeState(String node, String json);

  void deleteNodeState(String node);

  Map<String, String> nodeStates();

  /**
   * Writes the cluster's DaemonSets document ({@link dev.flotilla.contracts.DaemonSets}) if it changed: the forwarder
   * mirrors it beside the node states.
   */
  void putDaemonSets(String json);

  /** The mirrored DaemonSets document, or empty when none was written. */
  Optional<String> daemonSets();

  /**
   * Writes the cluster's pending pods document ({@link dev.flotilla.contracts.PendingPods}): the forwarder mirrors it
   * beside the node states.
   */
  void putPendingPods(String json);

  /** The mirrored pending pods document, or empty when none was written. */
  Optional<String> pendingPods();
}
