package dev.flotilla.cli;

import dev.flotilla.catalog.Offering;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimStore;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The node-state mirror's target for the forwarder benchmark: documents are counted and dropped, as DynamoDB would
 * take them out of the process. The forwarder writes node state and nothing else.
 */
final class DiscardingNodeStates implements ClaimStore {

  private long written;

  @Override
  public synchronized void putNodeState(String node, String json) {
    written++;
  }

  @Override
  public void deleteNodeState(String node) {}

  synchronized long written() {
    return written;
  }

  @Override
  public Creation create(Claim claim) {
    throw unsupported();
  }

  @Override
  public Creation extend(Claim current, List<String> morePods, dev.flotilla.model.Resources moreLoad) {
    throw unsupported();
  }

  @Override
  public Claim transition(Claim current, Claim next) {
    throw unsupported();
  }

  @Override
  public void release(Claim claim, java.util.Collection<String> pods) {
    throw unsupported();
  }

  @Override
  public Optional<Claim> claim(String id) {
    throw unsupported();
  }

  @Override
  public List<Claim> claims() {
    throw unsupported();
  }

  @Override
  public Optional<Claim> claimByInstance(String instanceId) {
    throw unsupported();
  }

  @Override
  public Map<String, String> reservations(Collection<String> pods) {
    throw unsupported();
  }

  @Override
  public void markUnavailable(Offering.Key offering, String reason, Duration ttl) {
    throw unsupported();
  }

  @Override
  public Set<Offering.Key> unavailable() {
    throw unsupported();
  }

  @Override
  public Map<String, String> nodeStates() {
    throw unsupported();
  }

  @Override
  public void putDaemonSets(String json) {
    // dropped, as node states are
  }

  @Override
  public Optional<String> daemonSets() {
    throw unsupported();
  }

  @Override
  public void putPendingPods(String json) {
    // dropped, as node states are
  }

  @Override
  public Optional<String> pendingPods() {
    throw unsupported();
  }

  private static UnsupportedOperationException unsupported() {
    return new UnsupportedOperationException("the forwarder writes node state only");
  }
}
