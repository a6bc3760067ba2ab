package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.flotilla.catalog.InstanceType;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.Resources;
import dev.flotilla.nodepool.NodePool;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class PatternProgramTest {

  @Test
  void solvesTheClassicCuttingStockProgram() {
    // Chvátal, Linear Programming, ch. 13: rolls 100 wide; 97 of width 45, 610 of 36, 395 of 31, 211 of 14.
    // The program's optimum is 452.25 rolls.
    NodeShape roll = shape(0, new long[] {100, 1, 1000}, 1.0);
    PatternProgram.Kinds kinds = kinds(new long[] {45, 36, 31, 14}, new int[] {97, 610, 395, 211}, 1);
    PatternProgram.Result result = PatternProgram.solve(List.of(roll), new int[] {0}, kinds,
        new double[] {0.45, 0.36, 0.31, 0.14}, 50, 100_000, List.of());

    assertThat(cost(result)).isCloseTo(452.25, within(1e-6));
    assertCovers(result, kinds);
  }

  @Test
  void keepsPatternsNearestToPayingFromRoundToRound() {
    // three of 31 fill a roll to 93 but are not in the optimum above; they stay among the program's patterns, idle,
    // for a later round's prices, where a round once dropped every pattern out of the optimum and found many again
    NodeShape roll = shape(0, new long[] {100, 1, 1000}, 1.0);
    PatternProgram.Kinds kinds = kinds(new long[] {45, 36, 31, 14}, new int[] {97, 610, 395, 211}, 1);
    PatternProgram.Pattern threes = new PatternProgram.Pattern(0, new int[] {0, 0, 3, 0}, 1, 1.0);

    PatternProgram.Result result = PatternProgram.solve(List.of(roll), new int[] {0}, kinds,
        new double[] {0.45, 0.36, 0.31, 0.14}, 50, 100_000, List.of(threes));

    assertThat(cost(result)).isCloseTo(452.25, within(1e-6));
    int at = java.util.stream.IntStream.range(0, result.patterns().size())
        .filter(p -> java.util.Arrays.equals(result.patterns().get(p).counts(), threes.counts())).findFirst().orElse(-1);
    assertThat(at).as("the pattern of three 31s among the program's").isNotNegative();
    assertThat(result.nodes()[at]).isZero();
    assertThat(result.patterns().size()).isLessThanOrEqualTo(kinds.size() + PatternProgram.IDLE_KEPT);
  }

  @Test
  void mixesShapesWhereEachHoldsItsPatternCheapest() {
    // a wide shape holds three of 60 for 2.5 (0.83 each), a narrow one two of 40 for 1 (0.5 each): the optimum
    // buys the wide shape for the 60s and the narrow for the 40s; the wide shape's own best for 40s would be 4 for 2.5
    NodeShape narrow = shape(0, new long[] {80, 1, 1000}, 1.0);
    NodeShape wide = shape(1, new long[] {180, 1, 1000}, 2.5);
    PatternProgram.Kinds kinds = kinds(new long[] {60, 40}, new int[] {30, 40}, 2);
    PatternProgram.Result result = PatternProgram.solve(List.of(narrow, wide), new int[] {0, 1}, kinds,
        new double[] {1, 1}, 50, 100_000, List.of());

    assertThat(cost(result)).isCloseTo(10 * 2.5 + 20 * 1.0, within(1e-6));
    assertCovers(result, kinds);
  }

  @Test
  void pricesEachGroupOfZonesThatAdmitsOtherKinds() {
    // a node sold in zones a and b; a zone spread's shares pinned to a and to b, and pods free to run in either: the
    // pinned shares never share a node, so a set is priced for each zone, both paying
    NodeShape node = new NodeShape(0, NodePool.defaultPool(), 0, SyntheticWorkloads.karpenterCatalog(1)
        .instanceTypes().getFirst(), CapacityType.ON_DEMAND, Map.of(), new long[] {100, 1, 1000}, Resources.NONE,
        new double[] {1.0, 1.0});
    long[][] requests = {{50, 0, 1}, {50, 0, 1}, {25, 0, 1}};
    PatternProgram.Kinds kinds = new PatternProgram.Kinds(requests, new long[] {0b01, 0b10, 0b11},
        new int[] {3, 3, 3}, new BitSet[] {shapes(0), shapes(0), shapes(0)}, new int[] {10, 10, 10});

    List<PatternProgram.Pattern> found = PatternProgram.price(node, kinds, new double[] {0.6, 0.55, 0.1}, 100_000);

    assertThat(found).extracting(p -> List.of(p.counts()[0], p.counts()[1], p.counts()[2]), p -> p.zoneMask())
        .containsExactly(org.assertj.core.groups.Tuple.tuple(List.of(2, 0, 0), 0b01L),
            org.assertj.core.groups.Tuple.tuple(List.of(0, 2, 0), 0b10L));
    assertThat(found).allSatisfy(p -> assertThat(PatternProgram.value(p, new double[] {0.6, 0.55, 0.1}))
        .isGreaterThan(p.price()));
  }

  @Test
  void aKeptPlansNodeHeldToADearZoneKeepsNoCheaperTwinOut() {
    // a node sold in zone a for 1 and in zone b for 2; a kept plan's node in b holds one pod of each kind. Its pods on
    // the same shape in either zone are another pattern, at 1, which the program must be able to buy: 10 nodes
    NodeShape node = new NodeShape(0, NodePool.defaultPool(), 0, SyntheticWorkloads.karpenterCatalog(1)
        .instanceTypes().getFirst(), CapacityType.ON_DEMAND, Map.of(), new long[] {100, 1, 1000}, Resources.NONE,
        new double[] {1.0, 2.0});
    PatternProgram.Kinds kinds = new PatternProgram.Kinds(new long[][] {{60, 0, 1}, {40, 0, 1}},
        new long[] {0b11, 0b11}, new int[] {3, 3}, new BitSet[] {shapes(0), shapes(0)}, new int[] {10, 10});
    PatternProgram.Pattern kept = new PatternProgram.Pattern(0, new int[] {1, 1}, 0b10, 2.0);

    PatternProgram.Result result = PatternProgram.solve(List.of(node), new int[] {0}, kinds, new double[] {0.1, 1},
        30, 100_000, List.of(kept));

    assertThat(cost(result)).isCloseTo(10.0, within(1e-6));
  }

  @Test
  void leavesOutAKindNoCandidateHolds() {
    NodeShape small = shape(0, new long[] {50, 1, 1000}, 1.0);
    PatternProgram.Kinds kinds = kinds(new long[] {20, 70}, new int[] {10, 3}, 1);
    PatternProgram.Result result = PatternProgram.solve(List.of(small), new int[] {0}, kinds,
        new double[] {1, 1}, 50, 100_000, List.of());

    assertThat(cost(result)).isCloseTo(5.0, within(1e-6));
    for (PatternProgram.Pattern p : result.patterns()) {
      assertThat(p.counts()[1]).isZero();
    }
  }

  @Test
  void keepsAKindCappedPerNodeToItsCap() {
    // ten of 30 that repel each other, forty of 10: free, three 30s and a 10 fill a roll and seven rolls hold all;
    // one 30 to a roll, ten rolls are needed, each with seven 10s beside its 30
    NodeShape roll = shape(0, new long[] {100, 1, 1000}, 1.0);
    PatternProgram.Kinds free = kinds(new long[] {30, 10}, new int[] {10, 40}, 1);
    PatternProgram.Kinds capped = new PatternProgram.Kinds(free.requests(), free.zoneMasks(),
        free.capacityTypeMasks(), free.shapes(), free.demand(), new int[] {1, Integer.MAX_VALUE});

    PatternProgram.Result unbounded = PatternProgram.solve(List.of(roll), new int[] {0}, free,
        new double[] {0.3, 0.1}, 50, 100_000, List.of());
    PatternProgram.Result result = PatternProgram.solve(List.of(roll), new int[] {0}, capped,
        new double[] {0.3, 0.1}, 50, 100_000, List.of());

    assertThat(cost(unbounded)).isCloseTo(7.0, within(1e-6));
    assertThat(cost(result)).isCloseTo(10.0, within(1e-6));
    assertThat(result.patterns()).allSatisfy(p -> assertThat(p.counts()[0]).isLessThanOrEqualTo(1));
    assertCovers(result, capped);
  }

  @Test
  void startsFromTheSeedPatternsItIsGiven() {
    // ten of 60 and ten of 40 on rolls of 100: one of each fills a roll, ten rolls hold all. Priced at worths that
    // favour the 40s, the first pattern is two 40s, and without pricing rounds the program buys fifteen rolls;
    // given a kept plan's node holding one of each, it buys ten
    NodeShape roll = shape(0, new long[] {100, 1, 1000}, 1.0);
    PatternProgram.Kinds kinds = kinds(new long[] {60, 40}, new int[] {10, 10}, 1);
    PatternProgram.Pattern kept = new PatternProgram.Pattern(0, new int[] {1, 1}, 1, 1.0);

    PatternProgram.Result unseeded = PatternProgram.solve(List.of(roll), new int[] {0}, kinds,
        new double[] {0.1, 1}, 0, 100_000, List.of());
    PatternProgram.Result seeded = PatternProgram.solve(List.of(roll), new int[] {0}, kinds,
        new double[] {0.1, 1}, 0, 100_000, List.of(kept));

    assertThat(cost(unseeded)).isCloseTo(15.0, within(1e-6));
    assertThat(cost(seeded)).isCloseTo(10.0, within(1e-6));
    assertCovers(seeded, kinds);
  }

  @Test
  void aProgramPricedSideBySideReachesTheSameOptimumAsOnOneLane() {
    // 40 shapes and 60 kinds of two resources: a round's searches go to every lane there is, and their sets must join
    // in the candidates' order whichever lane found them, or the program would depend on the lanes' timing
    java.util.Random random = new java.util.Random(7);
    int shapeCount = 40;
    int kindCount = 60;
    List<NodeShape> shapes = new java.util.ArrayList<>();
    int[] candidates = new int[shapeCount];
    for (int s = 0; s < shapeCount; s++) {
      long cpu = 2_000L * (1 + s % 8);
      long memory = cpu * (2 + 2 * (s / 8));
      double price = (cpu + memory / 4.0) / 10_000 * (0.9 + 0.2 * random.nextDouble());
      shapes.add(shape(s, new long[] {cpu, memory, 110}, price));
      candidates[s] = s;
    }
    long[][] requests = new long[kindCount][];
    int[] demand = new int[kindCount];
    double[] worth = new double[kindCount];
    for (int k = 0; k < kindCount; k++) {
      long cpu = 100 + random.nextInt(1_900);
      long memory = 256 + random.nextInt(8_000);
      requests[k] = new long[] {cpu, memory, 1};
      demand[k] = 5 + random.nextInt(200);
      worth[k] = (cpu + memory / 4.0) / 10_000;
    }
    PatternProgram.Kinds kinds = kinds(requests, demand, uncapped(kindCount), shapeCount);
    assertThat((long) shapeCount * kindCount).isGreaterThanOrEqualTo(PatternProgram.PARALLEL_PRICING);

    try {
      Lanes.helpers(0);
      PatternProgram.Result alone = PatternProgram.solve(shapes, candidates, kinds, worth, 30, 2_000, List.of());
      Lanes.helpers(3);
      PatternProgram.Result beside = PatternProgram.solve(shapes, candidates, kinds, worth, 30, 2_000, List.of());

      PatternOptimaTest.assertSameOptimum(beside, alone);
      assertCovers(alone, kinds);
    } finally {
      Lanes.helpers(-1);
    }
  }

  private static double cost(PatternProgram.Result result) {
    double cost = 0;
    for (int p = 0; p < result.patterns().size(); p++) {
      cost += result.nodes()[p] * result.patterns().get(p).price();
    }
    return cost;
  }

  /** Every pattern fits its shape, and the bought nodes hold every pod. */
  private static void assertCovers(PatternProgram.Result result, PatternProgram.Kinds kinds) {
    double[] covered = new double[kinds.size()];
    for (int p = 0; p < result.patterns().size(); p++) {
      PatternProgram.Pattern pattern = result.patterns().get(p);
      assertThat(result.nodes()[p]).isGreaterThanOrEqualTo(-1e-9);
      long used = 0;
      for (int k = 0; k < kinds.size(); k++) {
        used += pattern.counts()[k] * kinds.requests()[k][0];
        covered[k] += pattern.counts()[k] * result.nodes()[p];
      }
      assertThat(used).isLessThanOrEqualTo(SHAPE_WIDTHS.get(pattern.shape()));
    }
    for (int k = 0; k < kinds.size(); k++) {
      assertThat(covered[k]).isGreaterThanOrEqualTo(kinds.demand()[k] - 1e-6);
    }
  }

  private static final Map<Integer, Long> SHAPE_WIDTHS = new java.util.HashMap<>();

  @Test
  void rulesOutAShapeOnlyWhereItsRoomCannotEarnItsPrice() {
    // rolls of 100 for 1.0: two of width 45 fit (at 0.4 each, 0.8) but not a third; a width of 20 at 0.25 pays
    NodeShape roll = shape(0, new long[] {100, 1, 1000}, 1.0);
    PatternProgram.Kinds kinds = kinds(new long[] {45, 20}, new int[] {10, 10}, 1);

    assertThat(PatternProgram.cannotPay(roll, kinds, new double[] {0.4, 0})).isTrue();
    assertThat(PatternProgram.cannotPay(roll, kinds, new double[] {0.4, 0.25})).isFalse();
    // as many as five of width 20, but only three may be taken: 0.75
    PatternProgram.Kinds three = kinds(new long[] {20}, new int[] {3}, 1);
    assertThat(PatternProgram.cannotPay(roll, three, new double[] {0.25})).isTrue();
  }

  /** A shape, kinds with prices drawn so that some shapes pay and others do not, zeros and negatives among them. */
  record Drawn(long[] room, double price, long[][] requests, int[] demand, int[] caps, double[] prices) {}

  @Property(tries = 500)
  void aShapeRuledOutWithoutSearchHasNoPatternThatPays(@ForAll("drawn") Drawn d) {
    NodeShape node = shape(0, d.room(), d.price());
    PatternProgram.Kinds kinds = kinds(d.requests(), d.demand(), d.caps());
    double best = PatternProgram.price(node, kinds, d.prices(), 1_000_000).stream()
        .mapToDouble(p -> PatternProgram.value(p, d.prices()) / p.price()).max().orElse(0);

    if (PatternProgram.cannotPay(node, kinds, d.prices())) {
      assertThat(best).as("the most a pattern is worth over its node's price").isLessThanOrEqualTo(1 + 1e-7);
    }
  }

  @Provide
  Arbitrary<Drawn> drawn() {
    Arbitrary<long[]> room = Combinators.combine(Arbitraries.longs().between(0, 16), Arbitraries.longs().between(0, 16),
        Arbitraries.longs().between(1, 12)).as((cpu, memory, pods) -> new long[] {cpu * 250, memory * 512, pods});
    return Arbitraries.integers().between(1, 6).flatMap(k -> Combinators.combine(room,
        Arbitraries.of(0.5, 1.0, 1.7, 4.0),
        Combinators.combine(Arbitraries.longs().between(0, 8), Arbitraries.longs().between(0, 8))
            .as((cpu, memory) -> new long[] {cpu * 250, memory * 512, 1}).list().ofSize(k),
        Arbitraries.integers().between(0, 9).array(int[].class).ofSize(k),
        Arbitraries.of(1, 2, Integer.MAX_VALUE).array(int[].class).ofSize(k),
        Arbitraries.of(-0.1, 0.0, 0.05, 0.2, 0.35, 0.8, 1.3).map(Double::valueOf).array(double[].class).ofSize(k))
        .as((r, price, requests, demand, caps, prices) -> new Drawn(r, price, requests.toArray(new long[0][]), demand,
            caps, prices)));
  }

  private static PatternProgram.Kinds kinds(long[][] requests, int[] demand, int[] caps) {
    return kinds(requests, demand, caps, 1);
  }

  /** Kinds in one zone, of either capacity type, each allowed on the first {@code shapes} shapes (shared with tests). */
  static PatternProgram.Kinds kinds(long[][] requests, int[] demand, int[] caps, int shapes) {
    int k = requests.length;
    long[] zones = new long[k];
    int[] capacityTypes = new int[k];
    BitSet[] allowed = new BitSet[k];
    for (int i = 0; i < k; i++) {
      zones[i] = 1;
      capacityTypes[i] = 3;
      allowed[i] = new BitSet();
      allowed[i].set(0, shapes);
    }
    return new PatternProgram.Kinds(requests, zones, capacityTypes, allowed, demand, caps);
  }

  private static int[] uncapped(int k) {
    int[] caps = new int[k];
    java.util.Arrays.fill(caps, Integer.MAX_VALUE);
    return caps;
  }

  private static BitSet shapes(int... indexes) {
    BitSet set = new BitSet();
    for (int i : indexes) {
      set.set(i);
    }
    return set;
  }

  private static NodeShape shape(int index, long[] room, double price) {
    SHAPE_WIDTHS.put(index, room[0]);
    InstanceType type = SyntheticWorkloads.karpenterCatalog(1).instanceTypes().getFirst();
    return new NodeShape(index, NodePool.defaultPool(), 0, type, CapacityType.ON_DEMAND, Map.of(), room,
        Resources.NONE, new double[] {price});
  }

  private static PatternProgram.Kinds kinds(long[] widths, int[] demand, int shapes) {
    long[][] requests = new long[widths.length][];
    for (int i = 0; i < widths.length; i++) {
      requests[i] = new long[] {widths[i], 0, 1};
    }
    return kinds(requests, demand, uncapped(widths.length), shapes);
  }
}
