package dev.flotilla.testing;

import dev.flotilla.catalog.Offering;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.model.Resources;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A claim store whose claim reads stay as they were when frozen, as a function running at the same time as another
 * would have read them before the other wrote; every write goes to the store as it is now, conditions included.
 */
public final class StaleReads implements ClaimStore {

  private final ClaimStore store;
  private List<Claim> frozen;

  public StaleReads(ClaimStore store) {
    this.store = store;
  }

  private String failingOnce;

  /** The next transition of claim {@code id} is refused, as a write throttled past the SDK's retries is. */
  public void refuseNextTransitionOf(String id) {
    failingOnce = id;
  }

  /** From now on, claims are read as they are at this moment. */
  public void freeze() {
    frozen = store.claims();
  }

  @Override
  public List<Claim> claims() {
    return frozen == null ? store.claims() : frozen;
  }

  @Override
  public Optional<Claim> claim(String id) {
    return frozen == null ? store.claim(id) : frozen.stream().filter(c -> c.id().equals(id)).findFirst();
  }

  @Override
  public Creation create(Claim claim) {
    return store.create(claim);
  }

  @Override
  public Creation extend(Claim current, List<String> morePods, Resources moreLoad) {
    return store.extend(current, morePods, moreLoad);
  }

  @Override
  public Claim transition(Claim current, Claim next) {
    if (current.id().equals(failingOnce)) {
      failingOnce = null;
      throw new IllegalStateException("ClaimStore.transition: ThrottlingException: Rate exceeded");
    }
    return store.transition(current, next);
  }

  @Override
  public void release(Claim claim, java.util.Collection<String> pods) {
    store.release(claim, pods);
  }

  @Override
  public Optional<Claim> claimByInstance(String instanceId) {
    return store.claimByInstance(instanceId);
  }

  @Override
  public Map<String, String> reservations(Collection<String> pods) {
    return store.reservations(pods);
  }

  @Override
  public Optional<Lease> tryLease(String name, Duration ttl) {
    return store.tryLease(name, ttl);
  }

  @Override
  public void endLease(Lease lease) {
    store.endLease(lease);
  }

  @Override
  public void markUnavailable(Offering.Key offering, String reason, Duration ttl) {
    store.markUnavailable(offering, reason, ttl);
  }

  @Override
  public Set<Offering.Key> unavailable() {
    return store.unavailable();
  }

  @Override
  public void putNodeState(String node, String json) {
    store.putNodeState(node, json);
  }

  @Override
  public void deleteNodeState(String node) {
    store.deleteNodeState(node);
  }

  @Override
  public Map<String, String> nodeStates() {
    return store.nodeStates();
  }

  @Override
  public void putDaemonSets(String json) {
    store.putDaemonSets(json);
  }

  @Override
  public java.util.Optional<String> daemonSets() {
    return store.daemonSets();
  }

  @Override
  public void putPendingPods(String json) {
    store.putPendingPods(json);
  }

  @Override
  public java.util.Optional<String> pendingPods() {
    return store.pendingPods();
  }
}
