package dev.flotilla.simulation.karpenter;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.claims.PodKind;
import dev.flotilla.cloud.CloudProvider;
import dev.flotilla.cloud.LaunchRequest;
import dev.flotilla.cloud.LaunchResult;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.scheduling.NodeClaim;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Creates NodeClaims and launches them: a claim per planned node (holding its pods, as Karpenter nominates them to
 * it, when {@code reserve}), one CreateFleet per claim, the outcome recorded. A launch that fails closes its claim,
 * and its pods come back pending, as Karpenter deletes a NodeClaim whose launch failed.
 */
final class ClaimLauncher {

  /** What came of a batch of launches. */
  record Launched(List<Claim> launched, List<String> failures, double addedPricePerHour) {}

  private final ClaimStore store;
  private final CloudProvider cloud;
  private final Clock clock;
  private final Supplier<String> claimIds;

  ClaimLauncher(ClaimStore store, CloudProvider cloud, Clock clock, Supplier<String> claimIds) {
    this.store = store;
    this.cloud = cloud;
    this.clock = clock;
    this.claimIds = claimIds;
  }

  Launched launch(List<NodeClaim> nodes, Map<String, PendingPod> byName, boolean reserve, List<String> replaces) {
    List<Claim> created = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    for (NodeClaim n : nodes) {
      List<PendingPod> pods = reserve ? n.pods().stream().map(byName::get).toList() : List.of();
      Resources load = pods.stream().map(PendingPod::requests).reduce(Resources.NONE, Resources::plus);
      Claim claim = Claim.launching(claimIds.get(), n.nodePool(), n.instanceTypes().stream().map(t -> t.name())
          .toList(), n.zones(), n.capacityType(), reserve ? n.pods() : List.of(), load, n.pricePerHour(),
          clock.instant()).replacing(replaces).withKinds(PodKind.of(pods));
      switch (store.create(claim)) {
        case ClaimStore.Created c -> created.add(c.claim());
        case ClaimStore.Conflict c -> failures.add("NodeClaim for " + n.pods().size() + " pods not made: "
            + c.reservedPods().size() + " already nominated elsewhere");
      }
    }
    List<Claim> launched = new ArrayList<>();
    double added = 0;
    if (created.isEmpty()) {
      return new Launched(launched, failures, 0);
    }
    List<LaunchResult> results = cloud.launch(created.stream().map(c -> new LaunchRequest(c.id(), c.nodePool(),
        c.instanceTypes(), c.zones(), c.capacityType())).toList());
    for (int i = 0; i < results.size(); i++) {
      Claim claim = created.get(i);
      switch (results.get(i)) {
        case LaunchResult.Launched l -> {
          launched.add(store.transition(claim, claim.launched(l.instanceId(), l.instanceType(), l.zone(),
              l.capacityType(), l.pricePerHour(), clock.instant())));
          added += l.pricePerHour();
        }
        case LaunchResult.Failed f -> {
          store.transition(claim, claim.moved(ClaimState.Terminated, clock.instant()));
          failures.add("NodeClaim " + claim.id() + " not launched: " + f.reason());
        }
      }
    }
    return new Launched(launched, failures, Math.round(added * 1e6) / 1e6);
  }
}
