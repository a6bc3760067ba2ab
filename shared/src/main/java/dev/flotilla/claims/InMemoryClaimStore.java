package dev.flotilla.claims;

import dev.flotilla.catalog.Offering;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The claim store in memory, for the simulator and fast tests. It passes the same contract tests as the DynamoDB
 * store; one lock makes each operation atomic, as DynamoDB's conditions and transactions do.
 */
public final class InMemoryClaimStore implements ClaimStore {

  private final Clock clock;
  private final Map<String, Claim> claims = new LinkedHashMap<>();
  private final Map<String, Reservation> reservations = new HashMap<>();
  private final Map<Offering.Key, Instant> unavailable = new LinkedHashMap<>();
  private final Map<String, String> nodes = new TreeMap<>();
  private final Map<String, Lease> leases = new HashMap<>();

  public InMemoryClaimStore(Clock clock) {
    this.clock = clock;
  }

  /** A pod held by a claim until {@code expiresAt}; past it, the pod is free as in DynamoDB. */
  private record Reservation(String claimId, Instant expiresAt) {}

  private boolean reserved(String pod) {
    Reservation r = reservations.get(pod);
    return r != null && r.expiresAt().isAfter(clock.instant());
  }

  private void reserve(List<String> pods, String claimId) {
    Instant expiresAt = clock.instant().plus(RESERVATION_TTL);
    pods.forEach(p -> reservations.put(p, new Reservation(claimId, expiresAt)));
  }

  @Override
  public synchronized Creation create(Claim claim) {
    Set<String> taken = new LinkedHashSet<>();
    for (String pod : claim.pods()) {
      if (reserved(pod)) {
        taken.add(pod);
      }
    }
    if (!taken.isEmpty() || claims.containsKey(claim.id())) {
      return new Conflict(taken);
    }
    claims.put(claim.id(), claim);
    reserve(claim.pods(), claim.id());
    return new Created(claim);
  }

  @Override
  public synchronized Creation extend(Claim current, List<String> morePods, dev.flotilla.model.Resources moreLoad) {
    Claim stored = claims.get(current.id());
    if (stored == null || stored.state() != current.state() || stored.version() != current.version()) {
      throw StaleClaimException.of(current);
    }
    Set<String> taken = new LinkedHashSet<>();
    for (String pod : morePods) {
      if (reserved(pod)) {
        taken.add(pod);
      }
    }
    if (!taken.isEmpty()) {
      return new Conflict(taken);
    }
    Claim next = current.withMorePods(morePods, moreLoad, clock.instant()).withVersion(current.version() + 1);
    claims.put(next.id(), next);
    reserve(morePods, next.id());
    return new Created(next);
  }

  @Override
  public synchronized Claim transition(Claim current, Claim next) {
    Claim stored = claims.get(current.id());
    if (stored == null || stored.state() != current.state() || stored.version() != current.version()) {
      throw StaleClaimException.of(current);
    }
    ClaimStore.checkMove(current, next);
    Claim written = next.withVersion(current.version() + 1);
    claims.put(written.id(), written.state() == ClaimState.Terminated ? written.closedRecord() : written);
    if (written.state() == ClaimState.Terminated) {
      reservations.values().removeIf(r -> r.claimId().equals(written.id()));
    }
    return written;
  }

  @Override
  public synchronized void release(Claim claim, java.util.Collection<String> pods) {
    for (String pod : pods) {
      reservations.computeIfPresent(pod, (k, r) -> r.claimId().equals(claim.id()) ? null : r);
    }
  }

  @Override
  public synchronized Optional<Claim> claim(String id) {
    return Optional.ofNullable(claims.get(id));
  }

  @Override
  public synchronized List<Claim> claims() {
    return new ArrayList<>(claims.values());
  }

  @Override
  public synchronized Optional<Claim> claimByInstance(String instanceId) {
    return claims.values().stream().filter(c -> instanceId.equals(c.instanceId())).findFirst();
  }

  @Override
  public synchronized Map<String, String> reservations(Collection<String> pods) {
    Map<String, String> result = new LinkedHashMap<>();
    for (String pod : pods) {
      if (reserved(pod)) {
        result.put(pod, reservations.get(pod).claimId());
      }
    }
    return result;
  }

  @Override
  public synchronized Optional<Lease> tryLease(String name, Duration ttl) {
    Lease held = leases.get(name);
    Instant now = clock.instant();
    if (held != null && held.expiresAt().isAfter(now)) {
      return Optional.empty();
    }
    Lease lease = new Lease(name, java.util.UUID.randomUUID().toString(), now.plus(ttl));
    leases.put(name, lease);
    return Optional.of(lease);
  }

  @Override
  public synchronized void endLease(Lease lease) {
    leases.remove(lease.name(), lease);
  }

  @Override
  public synchronized void markUnavailable(Offering.Key offering, String reason, Duration ttl) {
    unavailable.put(offering, clock.instant().plus(ttl));
  }

  @Override
  public synchronized Set<Offering.Key> unavailable() {
    Instant now = clock.instant();
    unavailable.values().removeIf(expiry -> !expiry.isAfter(now));
    return new LinkedHashSet<>(unavailable.keySet());
  }

  private String daemonSets;
  private String pendingPods;

  @Override
  public synchronized void putNodeState(String node, String json) {
    nodes.put(node, json);
  }

  @Override
  public synchronized void deleteNodeState(String node) {
    nodes.remove(node);
  }

  @Override
  public synchronized Map<String, String> nodeStates() {
    return new TreeMap<>(nodes);
  }

  @Override
  public synchronized void putDaemonSets(String json) {
    daemonSets = json;
  }

  @Override
  public synchronized Optional<String> daemonSets() {
    return Optional.ofNullable(daemonSets);
  }

  @Override
  public synchronized void putPendingPods(String json) {
    pendingPods = json;
  }

  @Override
  public synchronized Optional<String> pendingPods() {
    return Optional.ofNullable(pendingPods);
  }
}
