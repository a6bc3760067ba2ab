package dev.flotilla.provisioning;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.cloud.CloudInstance;
import dev.flotilla.cloud.CloudProvider;
import dev.flotilla.cloud.OwnershipTags;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * Which claim an instance runs for, even when its launch was never recorded: the invocation that launched it died
 * after CreateFleet, or CreateFleet's answer was lost. The instance's tags name the claims it may serve, and one
 * still Launching takes it on the spot, so that the node's events (a spot warning above all) find their claim
 * without waiting for the garbage collector's grace.
 */
public final class LaunchRecords {

  private final ClaimStore store;
  private final CloudProvider cloud;
  private final Clock clock;

  public LaunchRecords(ClaimStore store, CloudProvider cloud, Clock clock) {
    this.store = store;
    this.cloud = cloud;
    this.clock = clock;
  }

  /** The live or closed claim that records the instance, recording it first when only its tags know it. */
  public Optional<Claim> claimOf(String instanceId) {
    return store.claimByInstance(instanceId).or(() -> recordFromTags(instanceId));
  }

  private Optional<Claim> recordFromTags(String instanceId) {
    Optional<CloudInstance> instance = cloud.ownedInstance(instanceId);
    if (instance.isEmpty()) {
      return Optional.empty();
    }
    CloudInstance i = instance.get();
    List<String> ids = OwnershipTags.claims(i.tags());
    // a tagged claim may record the instance already, though the lookup by instance found none: the node's other
    // event, handled at the same time, recorded it, or the index behind the lookup lags. Passed over as no longer
    // Launching, a node's Ready was lost so (generated seed 73: the claim stayed Registered until the garbage
    // collector caught it up, and a pod it planned waited 210 s). Claims are read by id, consistently
    List<Claim> tagged = read(ids);
    Optional<Claim> recorded = recording(tagged, instanceId);
    if (recorded.isPresent()) {
      return recorded;
    }
    for (Claim c : tagged) {
      if (c.state() == ClaimState.Launching && c.instanceId() == null) {
        try {
          return Optional.of(store.transition(c, c.recording(i, clock.instant())));
        } catch (ClaimStore.StaleClaimException raced) {
          return recording(read(ids), instanceId);
        }
      }
    }
    return Optional.empty();
  }

  private List<Claim> read(List<String> ids) {
    return ids.stream().map(store::claim).flatMap(Optional::stream).toList();
  }

  private static Optional<Claim> recording(List<Claim> claims, String instanceId) {
    return claims.stream().filter(c -> instanceId.equals(c.instanceId())).findFirst();
  }
}
