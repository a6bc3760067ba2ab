package dev.flotilla.provisioning;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.cloud.CloudInstance;
import dev.flotilla.cloud.CloudProvider;
import dev.flotilla.cloud.OwnershipTags;
import java.time.Clock;
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
    for (String id : OwnershipTags.claims(i.tags())) {
      Optional<Claim> tagged = store.claim(id);
      if (tagged.isPresent() && instanceId.equals(tagged.get().instanceId())) {
        // recorded since the lookup by instance: the node's other event, handled at the same time, did it. Passed
        // over as no longer Launching, a node's Ready was lost so (generated seed 73: the claim stayed Registered
        // until the garbage collector caught it up, and a pod it planned waited 210 s)
        return tagged;
      }
      Optional<Claim> claim = tagged.filter(c -> c.state() == ClaimState.Launching && c.instanceId() == null);
      if (claim.isPresent()) {
        Claim c = claim.get();
        try {
          return Optional.of(store.transition(c, c.recording(i, clock.instant())));
        } catch (ClaimStore.StaleClaimException raced) {
          return store.claimByInstance(instanceId);
        }
      }
    }
    return Optional.empty();
  }
}
