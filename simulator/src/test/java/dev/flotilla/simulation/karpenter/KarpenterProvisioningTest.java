package dev.flotilla.simulation.karpenter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.InstanceType;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.scheduling.InstanceTypeOption;
import dev.flotilla.scheduling.NodeClaim;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Karpenter's provisioning rules on cases small enough to work out by hand from its source: the allocatable CPU of
 * 2, 4 and 8 vCPU nodes is 1,930, 3,920 and 7,910 millicores (kube-reserved 70, 80 and 90 m).
 */
class KarpenterProvisioningTest {

  private static final InstanceType SMALL = SmallWorld.type("c9.large", 2, 0.10);
  private static final InstanceType MEDIUM = SmallWorld.type("c9.xlarge", 4, 0.20);
  private static final InstanceType LARGE = SmallWorld.type("c9.2xlarge", 8, 0.40);
  private static final OfferingCatalog CATALOG = SmallWorld.catalog(List.of(SMALL, MEDIUM, LARGE), 0);
  private static final NodePool POOL = SmallWorld.pool("general", 0, "on-demand");

  private static KarpenterScheduler.Result solve(List<PendingPod> pods, List<ExistingNode> existing) {
    return new KarpenterScheduler().solve(new KarpenterScheduler.Input(pods, existing, List.of(POOL), CATALOG,
        List.of(), Map.of()));
  }

  private static List<PendingPod> oneCpuPods(int n) {
    return IntStream.range(0, n).mapToObj(i -> SmallWorld.pod("p" + i, 1000, 1)).toList();
  }

  private static List<String> types(NodeClaimDraft claim) {
    return claim.types.stream().map(t -> t.type().name()).sorted().toList();
  }

  @Test
  void podsAreTakenByCpuThenMemoryDescending() {
    PendingPod small = SmallWorld.pod("small", 500, 1);
    PendingPod wideCpu = SmallWorld.pod("wide-cpu", 2000, 1);
    PendingPod wideBoth = SmallWorld.pod("wide-both", 2000, 4);
    PendingPod memory = SmallWorld.pod("memory", 500, 8);

    List<PendingPod> sorted = new ArrayList<>(List.of(small, memory, wideCpu, wideBoth));
    sorted.sort(PodOrder.CPU_THEN_MEMORY_DESCENDING);
    assertThat(sorted).containsExactly(wideBoth, wideCpu, memory, small);

    // in the simulation too: whatever order they come in, the claim takes them largest first
    KarpenterScheduler.Result r = solve(List.of(small, memory, wideCpu, wideBoth), List.of());
    assertThat(r.newClaims()).hasSize(1);
    assertThat(r.newClaims().getFirst().pods).containsExactly(wideBoth, wideCpu, memory, small);
  }

  @Test
  void aNodeClaimKeepsEveryTypeThatStillHoldsAllItsPods() {
    // one pod of 1 CPU: all three types hold it
    assertThat(types(solve(oneCpuPods(1), List.of()).newClaims().getFirst()))
        .containsExactly("c9.2xlarge", "c9.large", "c9.xlarge");
    // two: 2,000 m is over the small type's 1,930
    assertThat(types(solve(oneCpuPods(2), List.of()).newClaims().getFirst()))
        .containsExactly("c9.2xlarge", "c9.xlarge");
    // four: over the medium type's 3,920
    assertThat(types(solve(oneCpuPods(4), List.of()).newClaims().getFirst())).containsExactly("c9.2xlarge");
    // seven still fit the large type's 7,910 in one claim; the eighth opens a second
    assertThat(solve(oneCpuPods(7), List.of()).newClaims()).hasSize(1);
    KarpenterScheduler.Result eight = solve(oneCpuPods(8), List.of());
    assertThat(eight.newClaims()).hasSize(2);
    assertThat(eight.newClaims().getFirst().pods).hasSize(7);
    assertThat(types(eight.newClaims().get(1))).containsExactly("c9.2xlarge", "c9.large", "c9.xlarge");
  }

  @Test
  void existingNodesComeBeforeAnyNewNodeClaim() {
    // an in-flight node of the medium type with 2,920 m used has room for one 1-CPU pod, not two
    ExistingNode inFlight = new ExistingNode("claim-1", null, "general", Map.of(WellKnownLabels.ZONE,
        SmallWorld.ZONE), List.of(), dev.flotilla.catalog.NodeCapacity.allocatable(MEDIUM), true,
        List.of(SmallWorld.pod("running", 2920, 1)));
    KarpenterScheduler.Result r = solve(oneCpuPods(3), List.of(inFlight));

    assertThat(inFlight.added).extracting(PendingPod::name).containsExactly("default/p0");
    // the other two go to one new NodeClaim: the second joins the claim planned for the first
    assertThat(r.newClaims()).hasSize(1);
    assertThat(r.newClaims().getFirst().pods).extracting(PendingPod::name).containsExactly("default/p1",
        "default/p2");
  }

  @Test
  void thePlannedNodeClaimWithFewestPodsIsTriedFirst() {
    // 7 and 5 CPU cannot share a node (7,910 m at most): two claims of the large type; the 100 m pods then go to
    // whichever has fewer pods, the first on a tie, though the first claim would hold them all
    List<PendingPod> pods = List.of(SmallWorld.pod("q1", 100, 1), SmallWorld.pod("q2", 100, 1),
        SmallWorld.pod("q3", 100, 1), SmallWorld.pod("p7", 7000, 1), SmallWorld.pod("p5", 5000, 1));
    KarpenterScheduler.Result r = solve(pods, List.of());

    assertThat(r.newClaims()).hasSize(2);
    assertThat(r.newClaims()).extracting(c -> c.pods.stream().map(PendingPod::name).sorted().toList())
        .containsExactlyInAnyOrder(List.of("default/p7", "default/q1"),
            List.of("default/p5", "default/q2", "default/q3"));
  }

  @Test
  void eachNewNodeClaimCountsItsLargestTypeAgainstThePoolsLimits() {
    // 16 CPU of limit; a NodeClaim that may still be the 8-vCPU type counts 8 (subtractMax), so a batch of three
    // pods that cannot share a node gets two NodeClaims, and the third waits for the next round
    NodePool limited = new NodePool("limited", POOL.requirements(), Map.of(), List.of(), List.of(),
        Resources.of(Resources.CPU, 16_000), 0, POOL.disruption());
    dev.flotilla.model.PodAffinityTerm apart = new dev.flotilla.model.PodAffinityTerm(WellKnownLabels.HOSTNAME,
        dev.flotilla.model.LabelSelector.of(Map.of("app", "shard")), List.of());
    List<PendingPod> shards = IntStream.range(0, 3).mapToObj(i -> SmallWorld.pod("s" + i, 1000, 1).toBuilder()
        .labels(Map.of("app", "shard")).antiAffinity(List.of(apart)).build()).toList();

    KarpenterScheduler.Result r = new KarpenterScheduler().solve(new KarpenterScheduler.Input(shards, List.of(),
        List.of(limited), CATALOG, List.of(), Map.of()));

    assertThat(r.newClaims()).hasSize(2);
    assertThat(r.unschedulable()).extracting(dev.flotilla.scheduling.Unschedulable::pod).containsExactly("default/s2");
  }

  @Test
  void nodePoolsAreTriedByWeight() {
    NodePool light = SmallWorld.pool("light", 1, "on-demand");
    NodePool heavy = SmallWorld.pool("heavy", 50, "on-demand");
    KarpenterScheduler.Result r = new KarpenterScheduler().solve(new KarpenterScheduler.Input(oneCpuPods(1),
        List.of(), List.of(light, heavy), CATALOG, List.of(), Map.of()));
    assertThat(r.newClaims().getFirst().template.pool.name()).isEqualTo("heavy");
  }

  @Test
  void aPreferenceNoTypeMeetsIsRelaxed() {
    // prefers a size the catalog does not have: Karpenter first requires it, then gives it up
    PendingPod picky = SmallWorld.pod("picky", 1000, 1).toBuilder().preferredTerms(List.of(
        new PendingPod.PreferredTerm(10, List.of(dev.flotilla.model.Requirement.in(
            WellKnownLabels.INSTANCE_SIZE, "metal"))))).build();
    Preferences strict = Preferences.strict(picky);
    assertThat(strict.requirements()).hasSize(1);
    assertThat(strict.relax().requirements()).isEmpty();

    KarpenterScheduler.Result r = solve(List.of(picky), List.of());
    assertThat(r.unschedulable()).isEmpty();
    assertThat(r.newClaims()).hasSize(1);
  }

  @Test
  void aLaunchAsksForTheSixtyCheapestTypes() {
    List<InstanceType> many = IntStream.range(0, 70)
        .mapToObj(i -> SmallWorld.type("m" + (10 + i) + ".large", 2, 1.00 - i * 0.01)).toList();
    OfferingCatalog catalog = SmallWorld.catalog(many, 0);
    NodeClaimDraft draft = new NodeClaimDraft(new NodePoolTemplate(POOL, catalog, List.of()));
    assertThat(draft.add(Preferences.strict(SmallWorld.pod("p", 1000, 1)), new ZoneSpread(List.of(), p ->
        java.util.Set.of(SmallWorld.ZONE)))).isTrue();
    assertThat(draft.types).hasSize(70);

    NodeClaim request = LaunchOrder.of(draft);

    assertThat(request.instanceTypes()).hasSize(LaunchOrder.MAX_INSTANCE_TYPES);
    // the cheapest is m79 at $0.31; the ten dearest (m10 to m19) are left out
    assertThat(request.instanceTypes().getFirst().name()).isEqualTo("m79.large");
    assertThat(request.instanceTypes()).extracting(InstanceTypeOption::name).doesNotContain("m19.large", "m10.large")
        .contains("m20.large");
    assertThat(request.instanceTypes()).extracting(InstanceTypeOption::pricePerHour).isSorted();
    assertThat(request.capacityType()).isEqualTo(CapacityType.ON_DEMAND);
  }

  @Test
  void spotIsBoughtWhenTheNodeClaimAllowsItAndSomeTypeOffersIt() {
    OfferingCatalog withSpot = SmallWorld.catalog(List.of(SMALL, MEDIUM), 0.3);
    NodeClaimDraft draft = new NodeClaimDraft(new NodePoolTemplate(SmallWorld.pool("both", 0, "spot", "on-demand"),
        withSpot, List.of()));
    draft.add(Preferences.strict(SmallWorld.pod("p", 1000, 1)), new ZoneSpread(List.of(), p -> java.util.Set.of()));

    NodeClaim request = LaunchOrder.of(draft);

    assertThat(request.capacityType()).isEqualTo(CapacityType.SPOT);
    assertThat(request.pricePerHour()).isEqualTo(0.10 * 0.3, org.assertj.core.api.Assertions.within(1e-9));
  }
}
