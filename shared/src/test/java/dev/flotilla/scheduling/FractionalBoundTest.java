package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.flotilla.catalog.InstanceType;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.Resources;
import dev.flotilla.nodepool.NodePool;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** The per-class program by column generation against the dense tableau it replaces. */
class FractionalBoundTest {

  @Test
  void theClassicCuttingStockInstanceGivesItsFractionalOptimum() {
    // Chvátal's rolls 100 wide: with pods splittable, the optimum is the total width over 100
    List<NodeShape> shapes = List.of(shape(0, new long[] {100, 1, 1000}, 1.0));
    List<long[]> requests = List.of(new long[] {45, 0, 1}, new long[] {36, 0, 1}, new long[] {31, 0, 1},
        new long[] {14, 0, 1});
    long[] counts = {97, 610, 395, 211};
    BitSet all = new BitSet();
    all.set(0);

    FractionalBound.Result covering = FractionalBound.solve(shapes, List.of(all), requests, new int[4], counts, 3);
    FractionalBound.Result dense = FractionalBound.solve(shapes, List.of(all), requests, new int[4], counts, 3, true);

    assertThat(covering.bound()).isCloseTo(415.24, within(1e-6));
    assertThat(dense.bound()).isCloseTo(415.24, within(1e-6));
    assertThat(covering.podValues()).isNotNull();
  }

  @Test
  void agreesWithTheDenseSolveOnRandomInstances() {
    int perClass = 0;
    for (long seed = 1; seed <= 60; seed++) {
      Random random = new Random(seed);
      int shapeCount = 3 + random.nextInt(12);
      List<NodeShape> shapes = new ArrayList<>();
      for (int s = 0; s < shapeCount; s++) {
        long cpu = 1_000L * (1 + random.nextInt(32));
        long memory = (1L << 30) * (1 + random.nextInt(128));
        long pods = 8 + random.nextInt(110);
        double price = 0.01 + random.nextDouble() * (cpu / 1000.0) * 0.05 + memory / (double) (1L << 30) * 0.005;
        shapes.add(shape(s, new long[] {cpu, memory, pods}, price));
      }
      int groups = 1 + random.nextInt(3);
      List<BitSet> groupShapes = new ArrayList<>();
      for (int g = 0; g < groups; g++) {
        BitSet bits = new BitSet();
        for (int s = 0; s < shapeCount; s++) {
          if (g == 0 || random.nextInt(3) > 0) {
            bits.set(s);
          }
        }
        groupShapes.add(bits);
      }
      int classes = 1 + random.nextInt(25);
      List<long[]> requests = new ArrayList<>();
      int[] classGroup = new int[classes];
      long[] counts = new long[classes];
      for (int c = 0; c < classes; c++) {
        requests.add(new long[] {50L * (1 + random.nextInt(40)), (1L << 26) * (1 + random.nextInt(200)), 1});
        classGroup[c] = random.nextInt(groups);
        counts[c] = 1 + random.nextInt(500);
      }

      FractionalBound.Result covering = FractionalBound.solve(shapes, groupShapes, requests, classGroup, counts, 3);
      FractionalBound.Result dense = FractionalBound.solve(shapes, groupShapes, requests, classGroup, counts, 3,
          true);

      assertThat(covering.bound()).as("seed %d", seed).isCloseTo(dense.bound(), within(1e-6 * dense.bound()));
      // (where the per-class and resource-split bounds tie, rounding decides which of the two either solve keeps)
      if (covering.podValues() != null) {
        perClass++;
        assertCovers(shapes, requests, counts, covering);
      }
    }
    assertThat(perClass).isGreaterThan(30);
  }

  /**
   * At hundreds of classes the master takes thousands of pivots, its duals kept by rank-one updates and its inverse
   * rebuilt only every few hundred: the solution must still be an optimum, its nodes costing exactly the bound it
   * reports, with every pod placed, every node's room kept, and, where caps bind, no more capped pods on a shape than
   * its nodes hold at the cap.
   */
  @Test
  void atHundredsOfClassesTheProgramStillReachesItsOptimum() {
    for (long seed = 1; seed <= 4; seed++) {
      Random random = new Random(seed);
      boolean capped = seed % 2 == 0;
      List<NodeShape> shapes = new ArrayList<>();
      for (int s = 0; s < 20; s++) {
        long cpu = 1_000L * (2 + random.nextInt(64));
        long memory = GIB * (2 + random.nextInt(256));
        double price = 0.02 + cpu / 1000.0 * (0.03 + 0.02 * random.nextDouble())
            + memory / (double) GIB * (0.004 + 0.003 * random.nextDouble());
        shapes.add(shape(s, new long[] {cpu, memory, 110}, price));
      }
      BitSet all = new BitSet();
      all.set(0, shapes.size());
      int classes = capped ? 150 : 300;
      List<long[]> requests = new ArrayList<>();
      long[] counts = new long[classes];
      for (int c = 0; c < classes; c++) {
        requests.add(new long[] {100L * (1 + random.nextInt(20)), (1L << 27) * (1 + random.nextInt(32)), 1});
        counts[c] = 1 + random.nextInt(capped && c < 30 ? 20 : 8);
      }
      List<CoveringProgram.PerNodeCap> caps = capped
          ? List.of(new CoveringProgram.PerNodeCap(1, java.util.stream.IntStream.range(0, 30).toArray()))
          : List.of();

      FractionalBound.Result result = FractionalBound.solve(shapes, List.of(all), requests, new int[classes], counts,
          caps, 3);

      assertThat(result.podValues()).as("seed %d: the per-class program was solved", seed).isNotNull();
      assertCovers(shapes, requests, counts, result);
      if (capped) {
        double[] cappedPods = new double[shapes.size()];
        result.assignments().stream().filter(a -> a.podClass() < 30)
            .forEach(a -> cappedPods[a.shape()] += a.pods());
        for (NodeShape s : shapes) {
          assertThat(cappedPods[s.index]).as("seed %d, shape %d", seed, s.index)
              .isLessThanOrEqualTo(result.nodes()[s.index] * (1 + 1e-6) + 1e-6);
        }
      }
    }
  }

  @Test
  void podsCappedAtOnePerNodeAreBoundedByOneNodeEach() {
    // ten pods that repel each other: one small node each ($1) where, free, they would share large ones ($4 for 16)
    List<NodeShape> shapes = List.of(shape(0, new long[] {1_500, 4 * GIB, 110}, 1.0),
        shape(1, new long[] {16_000, 64 * GIB, 110}, 4.0));
    List<long[]> requests = List.of(new long[] {1_000, GIB, 1});
    BitSet all = new BitSet();
    all.set(0, 2);
    long[] counts = {10};

    FractionalBound.Result free = FractionalBound.solve(shapes, List.of(all), requests, new int[1], counts, 3);
    FractionalBound.Result capped = FractionalBound.solve(shapes, List.of(all), requests, new int[1], counts,
        List.of(new CoveringProgram.PerNodeCap(1, new int[] {0})), 3);

    assertThat(free.bound()).isCloseTo(2.5, within(1e-6));
    assertThat(capped.bound()).isCloseTo(10.0, within(1e-6));
    assertThat(capped.nodes()[0]).isCloseTo(10.0, within(1e-6));
    assertCovers(shapes, requests, counts, capped);
  }

  @Test
  void aCheaperShapeNoBetterPerDollarIsKeptForCappedPods() {
    // alike per dollar in every resource, so without caps either shape serves and one is dropped as beaten; one
    // pod to a node, the cheaper one is what each pod needs
    List<NodeShape> shapes = List.of(shape(0, new long[] {4_000, 8 * GIB, 20}, 2.0),
        shape(1, new long[] {2_000, 4 * GIB, 10}, 1.0));
    List<long[]> requests = List.of(new long[] {1_000, GIB, 1});
    BitSet all = new BitSet();
    all.set(0, 2);
    long[] counts = {10};

    FractionalBound.Result capped = FractionalBound.solve(shapes, List.of(all), requests, new int[1], counts,
        List.of(new CoveringProgram.PerNodeCap(1, new int[] {0})), 3);

    assertThat(capped.bound()).isCloseTo(10.0, within(1e-6));
  }

  @Test
  void aCapSharedByTwoClassesCountsThemTogetherAndLeavesOtherPodsFree() {
    // two sizes of one anti-affine workload (at most one of either per node) beside plain pods that fill the rest:
    // the optimum pairs each capped pod with plain ones on a mid-sized node
    List<NodeShape> shapes = List.of(shape(0, new long[] {2_000, 8 * GIB, 110}, 1.0),
        shape(1, new long[] {4_000, 16 * GIB, 110}, 1.9), shape(2, new long[] {32_000, 128 * GIB, 110}, 14.0));
    List<long[]> requests = List.of(new long[] {1_000, 2 * GIB, 1}, new long[] {1_500, 2 * GIB, 1},
        new long[] {500, GIB, 1});
    BitSet all = new BitSet();
    all.set(0, 3);
    long[] counts = {20, 20, 40};
    CoveringProgram.PerNodeCap cap = new CoveringProgram.PerNodeCap(1, new int[] {0, 1});

    FractionalBound.Result free = FractionalBound.solve(shapes, List.of(all), requests, new int[3], counts, 3);
    FractionalBound.Result capped = FractionalBound.solve(shapes, List.of(all), requests, new int[3], counts,
        List.of(cap), 3);

    // 40 capped pods need 40 nodes, none cheaper than the $1 one
    assertThat(capped.bound()).isGreaterThanOrEqualTo(40.0 - 1e-6).isGreaterThan(free.bound());
    assertCovers(shapes, requests, counts, capped);
    double[] cappedPerShape = new double[shapes.size()];
    for (FractionalBound.Assignment a : capped.assignments()) {
      if (a.podClass() < 2) {
        cappedPerShape[a.shape()] += a.pods();
      }
    }
    for (NodeShape s : shapes) {
      assertThat(cappedPerShape[s.index]).isLessThanOrEqualTo(capped.nodes()[s.index] + 1e-6);
    }
  }

  /**
   * The shapes kept are exactly those no other beats, checked against every other shape as the definition reads:
   * sizes and prices drawn from few values, so that ties, equal rows and capped classes are common.
   */
  @Property(tries = 200)
  void theShapesKeptAreThoseNoOtherShapeBeats(@ForAll long seed) {
    Random random = new Random(seed);
    int dims = 1 + random.nextInt(3);
    List<NodeShape> shapes = randomShapes(random, dims);
    int classes = 1 + random.nextInt(5);
    List<BitSet> holds = new ArrayList<>();
    for (int j = 0; j < shapes.size(); j++) {
      BitSet h = new BitSet();
      for (int c = 0; c < classes; c++) {
        if (random.nextInt(3) > 0) {
          h.set(c);
        }
      }
      holds.add(h);
    }
    BitSet capped = new BitSet();
    if (random.nextBoolean()) {
      capped.set(random.nextInt(classes));
    }

    List<Integer> kept = new ArrayList<>();
    FractionalBound.undominated(shapes, indexes(shapes), holds, capped, active(dims), UNIT_SCALE, kept,
        new ArrayList<>());

    assertThat(kept).isEqualTo(unbeaten(shapes.size(),
        (o, j) -> beats(shapes.get(o), shapes.get(j), holds.get(o), holds.get(j), capped, dims)));
  }

  /** The resource-split bound's shapes: those no other shape beats on every resource per dollar, as defined. */
  @Property(tries = 200)
  void theParetoFrontIsTheShapesNoOtherShapeBeats(@ForAll long seed) {
    Random random = new Random(seed);
    int dims = 1 + random.nextInt(3);
    List<NodeShape> shapes = randomShapes(random, dims);
    BitSet none = new BitSet();

    List<Integer> front = FractionalBound.paretoFront(shapes, indexes(shapes), active(dims), UNIT_SCALE);

    assertThat(front).isEqualTo(unbeaten(shapes.size(),
        (o, j) -> beats(shapes.get(o), shapes.get(j), none, none, none, dims)));
  }

  private static final double[] UNIT_SCALE = {1, 1, 1};

  /** Up to 40 shapes, each resource 0 to 3 of the first {@code dims} and a price of 1 to 3: ties are common. */
  private static List<NodeShape> randomShapes(Random random, int dims) {
    int n = 1 + random.nextInt(40);
    List<NodeShape> shapes = new ArrayList<>();
    for (int j = 0; j < n; j++) {
      long[] room = new long[3];
      for (int r = 0; r < dims; r++) {
        room[r] = random.nextInt(4);
      }
      shapes.add(shape(j, room, 1 + random.nextInt(3)));
    }
    return shapes;
  }

  private static List<Integer> indexes(List<NodeShape> shapes) {
    return java.util.stream.IntStream.range(0, shapes.size()).boxed().toList();
  }

  private static int[] active(int dims) {
    return java.util.stream.IntStream.range(0, dims).toArray();
  }

  /** The rows no other row beats, every pair compared. */
  private static List<Integer> unbeaten(int n, java.util.function.BiPredicate<Integer, Integer> beats) {
    List<Integer> unbeaten = new ArrayList<>();
    for (int j = 0; j < n; j++) {
      boolean beaten = false;
      for (int o = 0; o < n && !beaten; o++) {
        beaten = o != j && beats.test(o, j);
      }
      if (!beaten) {
        unbeaten.add(j);
      }
    }
    return unbeaten;
  }

  /** As much of every resource per dollar (more of one, or the lower index), every class, no dearer if capped. */
  private static boolean beats(NodeShape o, NodeShape j, BitSet heldByO, BitSet heldByJ, BitSet capped, int dims) {
    boolean better = false;
    for (int r = 0; r < dims; r++) {
      double a = o.room[r] / o.minPrice;
      double b = j.room[r] / j.minPrice;
      if (!(a >= b)) {
        return false;
      }
      better |= a > b;
    }
    BitSet missing = (BitSet) heldByJ.clone();
    missing.andNot(heldByO);
    boolean capsToo = !heldByJ.intersects(capped) || o.minPrice <= j.minPrice;
    return (better || o.index < j.index) && missing.isEmpty() && capsToo;
  }

  /** The assignment places every pod, on shapes that hold its class, within the nodes it buys. */
  private static void assertCovers(List<NodeShape> shapes, List<long[]> requests, long[] counts,
      FractionalBound.Result result) {
    double[] placed = new double[counts.length];
    double[][] used = new double[shapes.size()][3];
    for (FractionalBound.Assignment a : result.assignments()) {
      placed[a.podClass()] += a.pods();
      for (int r = 0; r < 3; r++) {
        used[a.shape()][r] += a.pods() * requests.get(a.podClass())[r];
      }
    }
    for (int c = 0; c < counts.length; c++) {
      assertThat(placed[c]).isGreaterThanOrEqualTo(counts[c] - 1e-6 * counts[c]);
    }
    double cost = 0;
    for (NodeShape s : shapes) {
      for (int r = 0; r < 3; r++) {
        assertThat(used[s.index][r]).isLessThanOrEqualTo(result.nodes()[s.index] * s.room[r] * (1 + 1e-6) + 1e-6);
      }
      cost += result.nodes()[s.index] * s.minPrice;
    }
    assertThat(cost).isCloseTo(result.bound(), within(1e-6 * result.bound()));
  }

  private static final long GIB = 1L << 30;

  private static NodeShape shape(int index, long[] room, double price) {
    InstanceType type = SyntheticWorkloads.karpenterCatalog(1).instanceTypes().getFirst();
    return new NodeShape(index, NodePool.defaultPool(), 0, type, CapacityType.ON_DEMAND, Map.of(), room,
        Resources.NONE, new double[] {price});
  }
}
