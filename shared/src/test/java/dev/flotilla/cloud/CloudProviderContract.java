package dev.flotilla.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.model.CapacityType;
import dev.flotilla.model.WellKnownLabels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What every cloud provider does, simulated or EC2. Zones us-east-1a and us-east-1b have subnets. */
public abstract class CloudProviderContract {

  protected static final String CLUSTER = "contract";
  protected static final List<String> TYPES = List.of("m7g.large", "c7g.large", "m7i.large");
  protected static final List<String> ZONES = List.of("us-east-1a", "us-east-1b");

  protected abstract CloudProvider cloud();

  /** CreateFleet requests made so far. */
  protected abstract int fleetRequests();

  /** Starts an instance without this cluster's ownership tag. */
  protected abstract String startForeign();

  @Test
  void launchedInstanceCarriesOwnershipTagsAndFitsTheRequest() {
    List<LaunchResult> results = cloud().launch(List.of(
        new LaunchRequest("claim-a", "general", TYPES, ZONES, CapacityType.ON_DEMAND)));

    assertThat(results).singleElement().isInstanceOfSatisfying(LaunchResult.Launched.class, l -> {
      assertThat(l.claimId()).isEqualTo("claim-a");
      assertThat(l.instanceType()).isIn(TYPES);
      assertThat(l.zone()).isIn(ZONES);
      assertThat(l.capacityType()).isEqualTo(CapacityType.ON_DEMAND);
      assertThat(l.pricePerHour()).isPositive();
    });
    String id = ((LaunchResult.Launched) results.getFirst()).instanceId();
    assertThat(cloud().ownedInstances()).singleElement().satisfies(i -> {
      assertThat(i.id()).isEqualTo(id);
      assertThat(i.tags()).containsEntry(WellKnownLabels.CLUSTER, CLUSTER)
          .containsEntry(WellKnownLabels.NODEPOOL, "general")
          .containsEntry(WellKnownLabels.CLAIM, "claim-a")
          .containsKey("Name");
    });
  }

  @Test
  void anInstanceCarriesItsNodePoolTemplateHashAsATag() {
    List<LaunchResult> results = cloud().launch(List.of(
        new LaunchRequest("hashed", "general", TYPES, ZONES, CapacityType.ON_DEMAND, "5f3c2a"),
        new LaunchRequest("unhashed", "general", TYPES, ZONES, CapacityType.ON_DEMAND)));

    String hashed = ((LaunchResult.Launched) results.get(0)).instanceId();
    String unhashed = ((LaunchResult.Launched) results.get(1)).instanceId();
    assertThat(cloud().ownedInstance(hashed).orElseThrow().tags())
        .containsEntry(OwnershipTags.NODEPOOL_HASH, "5f3c2a");
    assertThat(cloud().ownedInstance(hashed).orElseThrow().launchedWith())
        .containsEntry(dev.flotilla.claims.Claim.Annotations.NODEPOOL_HASH, "5f3c2a");
    assertThat(cloud().ownedInstance(unhashed).orElseThrow().tags()).doesNotContainKey(OwnershipTags.NODEPOOL_HASH);
  }

  @Test
  void identicalClaimsGoOutAsOneRequestAndEachInstanceKnowsItsClaim() {
    int before = fleetRequests();
    List<LaunchResult> results = cloud().launch(List.of(
        new LaunchRequest("c1", "general", TYPES, ZONES, CapacityType.ON_DEMAND),
        new LaunchRequest("c2", "general", TYPES, ZONES, CapacityType.ON_DEMAND),
        new LaunchRequest("c3", "general", TYPES, ZONES, CapacityType.ON_DEMAND)));

    assertThat(fleetRequests() - before).isEqualTo(1);
    assertThat(results).allSatisfy(r -> assertThat(r).isInstanceOf(LaunchResult.Launched.class));
    assertThat(results).extracting(LaunchResult::claimId).containsExactly("c1", "c2", "c3");
    assertThat(cloud().ownedInstances()).hasSize(3)
        .extracting(i -> i.tags().get(WellKnownLabels.CLAIM)).containsExactlyInAnyOrder("c1", "c2", "c3");
  }

  @Test
  void terminatingIsIdempotentAndRefusesWhatItDoesNotOwn() {
    var launched = (LaunchResult.Launched) cloud().launch(List.of(
        new LaunchRequest("c1", "general", TYPES, ZONES, CapacityType.ON_DEMAND))).getFirst();
    String foreign = startForeign();

    assertThat(cloud().terminate(launched.instanceId())).isEqualTo(CloudProvider.Termination.TERMINATED);
    assertThat(cloud().terminate(launched.instanceId())).isEqualTo(CloudProvider.Termination.ALREADY_GONE);
    assertThat(cloud().terminate(foreign)).isEqualTo(CloudProvider.Termination.REFUSED_NOT_OWNED);
    assertThat(cloud().ownedInstances()).isEmpty();
  }
}
