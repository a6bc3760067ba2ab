package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.NodeCapacity;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which packing's plan the scheduler keeps, and what the pattern program buys. */
class PackingChoiceTest {

  private static final OfferingCatalog CATALOG = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.none());

  @Test
  void largePodsOnSmallCheapNodesRoundWithinFivePercentOfTheBound() {
    // the greedy packings leave this mix 8.3% above the bound (whole 8 CPU / 32 GiB pods round badly onto the small
    // a1 nodes the bound fills fractionally); the pattern program's whole-node patterns do not
    SchedulingInput input = new SchedulingInput(SyntheticWorkloads.mixed(5_000, 23), List.of(), CATALOG);

    Plan plan = validPlan(input);
    assertThat(plan.totalPricePerHour()).isBetween(plan.lowerBoundPerHour(), 1.05 * plan.lowerBoundPerHour());
  }

  @Test
  void manyKindsWithFewPodsEachPlanWithinThreePercentOfTheBound() {
    // 1,000 pods of 100 kinds (about 10 a kind) were 4.7% above the bound before the CPU- and memory-heavy-first
    // packings; 2,000 of 200 took seconds with the dense per-class program
    for (int[] cell : new int[][] {{1_000, 100, 3}, {2_000, 200, 1}}) {
      SchedulingInput input = new SchedulingInput(SyntheticWorkloads.kinds(cell[0], cell[1], cell[2]), List.of(),
          CATALOG);

      Plan plan = validPlan(input);
      assertThat(plan.totalPricePerHour()).isBetween(plan.lowerBoundPerHour(), 1.03 * plan.lowerBoundPerHour());
    }
  }

  @Test
  void aPlanOfTooManyKindsForThePatternProgramIsImprovedByItFromThePlansNodes() {
    // 60 kinds are too many for the program's own first patterns: the greedy packings' plan is 1.9% above the bound;
    // the program started from that plan's nodes finds one 1.1% above it
    SchedulingInput input = new SchedulingInput(SyntheticWorkloads.kinds(5_700, 60, 1), List.of(), CATALOG);

    Plan plan = validPlan(input);
    assertThat(plan.totalPricePerHour()).isBetween(plan.lowerBoundPerHour(), 1.015 * plan.lowerBoundPerHour());
  }

  @Test
  void aPlanOfOverAHundredKindsWithManyPodsEachIsImprovedByTheProgramFromThePlansNodes() {
    // 20,000 pods of 100 kinds with zone and hostname topology, 144 kinds once each zone's share of a spread is one:
    // the greedy packings' plan is 4.5% above the bound, the program started from its nodes finds one 2.7% above it
    SchedulingInput input = new SchedulingInput(SyntheticWorkloads.kinds(20_000, 100, 1, true), List.of(), CATALOG);

    Plan plan = validPlan(input);
    assertThat(plan.totalPricePerHour()).isBetween(plan.lowerBoundPerHour(), 1.035 * plan.lowerBoundPerHour());
  }

  @Test
  void shardsThatTakeANodeEachHaveTheirNodesFilledByTheServicesBesideThem() {
    // 300 shards set the node count; the greedy packings put the small services on large nodes first and opened 161 to
    // 225 shards alone on nodes 40% idle, 12.0% to 15.2% above the bound; filling the shards' nodes from every pod
    // left, greedily, 4.2% to 4.9%; with the most valuable set of pods there, 2.6% to 4.0%
    for (long seed = 1; seed <= 3; seed++) {
      SchedulingInput input = new SchedulingInput(SyntheticWorkloads.shardedStore(300, 60, seed), List.of(),
          CATALOG);

      Plan plan = validPlan(input);
      assertThat(plan.nodeClaims()).noneMatch(c -> c.pods().size() == 1
          && c.pods().getFirst().startsWith("store/"));
      assertThat(plan.totalPricePerHour()).isBetween(plan.lowerBoundPerHour(), 1.045 * plan.lowerBoundPerHour());
    }
  }

  @Test
  void aStoreOfFewServiceKindsIsPricedOnTheSizesBetweenTheShapesItsKindsRankFirst() {
    // ten kinds of like services beside 1,000 shards rank the same twelve shapes first; priced on those alone, the
    // pattern program's plans were 3.3%, 4.1% and 2.4% above the bound (3.3% on average); on at least 24 shapes, 3.0%,
    // 3.3% and 2.3%
    double sum = 0;
    for (long seed = 1; seed <= 3; seed++) {
      SchedulingInput input = new SchedulingInput(SyntheticWorkloads.shardedStore(1_000, 10, seed), List.of(),
          CATALOG);

      Plan plan = validPlan(input);
      assertThat(plan.totalPricePerHour()).isBetween(plan.lowerBoundPerHour(), 1.035 * plan.lowerBoundPerHour());
      sum += plan.costRatio();
    }
    assertThat(sum / 3).isLessThan(1.030);
  }

  @Test
  void podsThatEachNeedANodeShareThoseNodesWithTheRestAtAnyNumberOfKinds() {
    // Karpenter's benchmark mix: a fifth of the pods anti-affine on the hostname, a fifth spread over it, each pod of
    // its own requests (over 1,000 classes: the bound splits resources and ignores the caps). The greedy packings put
    // the other pods on large nodes first and left 284 to 569 nodes holding nothing but those pods, 13.1% to 14.7%
    // above the bound on the synthetic catalog (whose prices are linear, so a node filled is as cheap as the bound)
    // and 20.8% to 25.3% on us-east-1's; now 4.2% to 4.5% with 6 to 30 such nodes, and 14.6% to 15.4%
    OfferingCatalog linear = OfferingCatalog.of(SyntheticWorkloads.karpenterCatalog(400), SpotPrices.none());
    for (long seed = 1; seed <= 3; seed++) {
      for (int pods : new int[] {1_500, 3_000}) {
        for (OfferingCatalog catalog : List.of(linear, CATALOG)) {
          SchedulingInput input = new SchedulingInput(SyntheticWorkloads.karpenterMix(pods, seed), List.of(), catalog);

          Plan plan = validPlan(input);
          if (catalog == linear) {
            assertThat(plan.nodeClaims().stream().filter(PackingChoiceTest::onlyPodsCappedPerNode).count())
                .isLessThan(plan.nodeClaims().size() / 10);
            assertThat(plan.totalPricePerHour()).isBetween(plan.lowerBoundPerHour(),
                1.06 * plan.lowerBoundPerHour());
          } else {
            assertThat(plan.totalPricePerHour()).isBetween(plan.lowerBoundPerHour(),
                1.18 * plan.lowerBoundPerHour());
          }
        }
      }
    }
  }

  /** The scheduler's plan of {@code input}, checked by {@link PlanInvariants}, with every pod placed. */
  private static Plan validPlan(SchedulingInput input) {
    Plan plan = new Scheduler().schedule(input);
    PlanInvariants.check(input, plan);
    assertThat(plan.unschedulable()).isEmpty();
    return plan;
  }

  private static boolean onlyPodsCappedPerNode(NodeClaim claim) {
    return claim.pods().stream().allMatch(p -> p.startsWith("bench/host-"));
  }

  /**
   * 16 memory-heavy caches and 8 CPU-heavy workers on c, m and r nodes: the pattern program buys 0.89 of an
   * r6g.4xlarge and 0.38 of an m6g.4xlarge, which rounded down open nothing, and a greedy fill of the lot plans four
   * nodes for $1.0696/h. A plan by hand, an r6g.4xlarge for the caches and five workers, a c6g.xlarge for two more
   * and a c6g.large for the last, costs $1.0104/h; the plan costs no more than that.
   */
  @Test
  void aFewPodsTheProgramBuysPartsOfNodesForPlanNoDearerThanByHand() {
    NodePool crm = new NodePool("default", List.of(Requirement.in(WellKnownLabels.CAPACITY_TYPE, "on-demand"),
        Requirement.in(WellKnownLabels.INSTANCE_CATEGORY, "c", "m", "r")), Map.of(), List.of(), List.of(),
        Resources.NONE, 0, null);
    Resources cache = Resources.of(300, 6L << 30);
    Resources worker = Resources.of(1850, 1920L << 20);
    List<PendingPod> pods = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      pods.add(PendingPod.builder("shop/cache-" + i).requests(cache).build());
    }
    for (int i = 0; i < 8; i++) {
      pods.add(PendingPod.builder("shop/worker-" + i).requests(worker).build());
    }
    SchedulingInput input = new SchedulingInput(pods, List.of(crm), CATALOG);

    Plan plan = validPlan(input);
    // the plan by hand holds: each node's pods within its allocatable
    assertThat(fits(times(cache, 16).plus(times(worker, 5)), "r6g.4xlarge")).isTrue();
    assertThat(fits(times(worker, 2), "c6g.xlarge")).isTrue();
    assertThat(fits(worker, "c6g.large")).isTrue();
    double byHand = price("r6g.4xlarge") + price("c6g.xlarge") + price("c6g.large");
    assertThat(plan.totalPricePerHour()).isLessThanOrEqualTo(byHand + 1e-9);
  }

  private static Resources times(Resources pod, int n) {
    return Resources.of(n * pod.cpuMillis(), n * pod.memoryBytes());
  }

  private static boolean fits(Resources pods, String type) {
    return pods.fitsIn(NodeCapacity.allocatable(CATALOG.type(type)));
  }

  private static double price(String type) {
    return CATALOG.price(type, "us-east-1a", CapacityType.ON_DEMAND);
  }

  @Test
  void consolidationsChoiceTakesFewerNodesWhereTheCheapestPlanHasMore() {
    // fifty pods whose cheapest plan is several small nodes; another packing holds them on fewer, for a little more
    SchedulingInput input = new SchedulingInput(SyntheticWorkloads.mixed(50, 5), List.of(), CATALOG);

    Plan cheapest = new Scheduler().schedule(input);
    Plan fewest = new Scheduler(Scheduler.Choice.FEWEST_NODES).schedule(input);

    PlanInvariants.check(input, cheapest);
    PlanInvariants.check(input, fewest);
    assertThat(fewest.nodeClaims().size()).isLessThan(cheapest.nodeClaims().size());
    assertThat(cheapest.totalPricePerHour()).isLessThan(fewest.totalPricePerHour());
    assertThat(fewest.unschedulable()).isEqualTo(cheapest.unschedulable()).isEmpty();
  }
}
