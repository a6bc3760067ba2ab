package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.InstanceType;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.Resources;
import dev.flotilla.nodepool.NodePool;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class PatternOptimaTest {

  @Test
  void aProgramAskedAgainOnOtherArraysOfTheSameNumbersGetsTheOptimumKept() {
    PatternOptima optima = new PatternOptima(8);
    Program first = Program.rolls();
    PatternProgram.Result solved = first.askOf(optima);

    Program again = Program.rolls();
    PatternProgram.Result kept = again.askOf(optima);

    assertThat(kept).isSameAs(solved);
    assertThat(optima.counts()).containsExactly(2, 1);
    assertSameOptimum(kept, again.solved());
  }

  @Test
  void aProgramDifferingInAnyOneNumberIsSolvedAfresh() {
    PatternOptima optima = new PatternOptima(64);
    Program.rolls().askOf(optima);
    List<UnaryOperator<Program>> changes = List.of(
        p -> p.with(p.worth(), 0, 0.46),
        p -> p.withDemand(2, 396),
        p -> p.withCap(1, 5),
        p -> p.withRequest(3, 0, 15),
        p -> p.withZones(0, 1),
        p -> p.withCapacityTypes(1, 1),
        p -> p.withRoom(1, 0, 181),
        p -> p.withPrice(0, 1.01),
        p -> p.withSpot(2),
        p -> p.withCandidates(1, 0),
        p -> p.withoutShape(2, 1),
        p -> p.withRounds(49),
        p -> p.withBudget(99_999));
    long asked = 1;
    for (UnaryOperator<Program> change : changes) {
      Program changed = change.apply(Program.rolls());
      PatternProgram.Result result = changed.askOf(optima);
      asked++;

      assertThat(optima.counts()).as("after %s", changed).containsExactly(asked, 0);
      assertSameOptimum(result, changed.solved());
    }
  }

  @Test
  void theOptimumUsedLeastLatelyIsTheOneDropped() {
    PatternOptima optima = new PatternOptima(2);
    Program a = Program.rolls();
    Program b = Program.rolls().withDemand(0, 98);
    Program c = Program.rolls().withDemand(0, 99);
    a.askOf(optima);
    b.askOf(optima);
    a.askOf(optima);
    c.askOf(optima);

    assertThat(optima.counts()).containsExactly(4, 1);
    a.askOf(optima);
    assertThat(optima.counts()).as("a, used after b, is kept").containsExactly(5, 2);
    b.askOf(optima);
    assertThat(optima.counts()).as("b was dropped for c").containsExactly(6, 2);
  }

  @Property(tries = 60)
  void eachProgramGetsItsOwnOptimumAskedAgainOrBesideAnother(@ForAll("programs") Program program,
      @ForAll("programs") Program other) {
    PatternOptima optima = new PatternOptima(4);
    PatternProgram.Result first = program.askOf(optima);
    PatternProgram.Result beside = other.askOf(optima);
    PatternProgram.Result again = program.copy().askOf(optima);

    assertSameOptimum(first, program.solved());
    assertSameOptimum(beside, other.solved());
    assertSameOptimum(again, program.solved());
    if (program.seeds().isEmpty()) {
      assertThat(again).isSameAs(first);
    } else {
      assertThat(again).as("a seeded program is solved each time").isNotSameAs(first);
    }
  }

  @Test
  void aSeededProgramIsSolvedEachTimeAndNotKept() {
    PatternOptima optima = new PatternOptima(8);
    Program seeded = Program.rolls().withSeed(new PatternProgram.Pattern(0, new int[] {2, 0, 0, 0}, 1, 1.0));
    PatternProgram.Result first = seeded.askOf(optima);
    PatternProgram.Result again = seeded.copy().askOf(optima);

    assertThat(optima.counts()).containsExactly(2, 0);
    assertThat(again).isNotSameAs(first);
    assertSameOptimum(first, seeded.solved());
    assertSameOptimum(again, seeded.solved());
  }

  /** A kind of pod: requests, demand, cap per node, worth, zones, capacity types and which of the shapes it may use. */
  record Kind(long[] requests, int demand, int cap, double worth, long zones, int types, int shapes) {}

  /**
   * Programs of one to five kinds on three shapes (one sold as spot), each kind with its own zones, capacity types
   * and shapes, and on some a seed pattern: programs that differ in one number or many.
   */
  @Provide
  Arbitrary<Program> programs() {
    Arbitrary<Kind> kind = Combinators.combine(
        Combinators.combine(Arbitraries.longs().between(1, 8), Arbitraries.longs().between(1, 8))
            .as((cpu, memory) -> new long[] {cpu * 250, memory * 512, 1}),
        Arbitraries.integers().between(1, 40), Arbitraries.of(1, 3, Integer.MAX_VALUE), Arbitraries.of(0.1, 0.3, 0.7),
        Arbitraries.of(1L, 2L, 3L), Arbitraries.of(1, 2, 3), Arbitraries.integers().between(1, 7)).as(Kind::new);
    return Combinators.combine(kind.list().ofMinSize(1).ofMaxSize(5), Arbitraries.of(false, true),
        Arbitraries.of(0.0, 0.05)).as((kinds, seeded, premium) -> {
          int k = kinds.size();
          long[][] requests = new long[k][];
          long[] zones = new long[k];
          int[] types = new int[k];
          BitSet[] allowed = new BitSet[k];
          int[] demand = new int[k];
          int[] caps = new int[k];
          double[] worth = new double[k];
          for (int i = 0; i < k; i++) {
            Kind d = kinds.get(i);
            requests[i] = d.requests().clone();
            zones[i] = d.zones();
            types[i] = d.types();
            allowed[i] = BitSet.valueOf(new long[] {d.shapes()});
            demand[i] = d.demand();
            caps[i] = d.cap();
            worth[i] = d.worth();
          }
          int[] seedCounts = new int[k];
          seedCounts[0] = 1;
          List<PatternProgram.Pattern> seeds = seeded
              ? List.of(new PatternProgram.Pattern(1, seedCounts, 1, 2.2 + premium)) : List.of();
          return new Program(List.of(shape(0, new long[] {2000, 4096, 20}, new double[] {1.0, 1.1 + premium}),
              shape(1, new long[] {4000, 16384, 40}, new double[] {2.2, 2.0}),
              shape(2, CapacityType.SPOT, new long[] {8000, 8192, 60}, new double[] {3.1, 3.3})), new int[] {0, 1, 2},
              new PatternProgram.Kinds(requests, zones, types, allowed, demand, caps), worth, 20, 50_000, seeds);
        });
  }

  /** The same patterns, in the same order, each bought as many times: one program's optimum twice. */
  static void assertSameOptimum(PatternProgram.Result actual, PatternProgram.Result expected) {
    assertThat(actual.nodes()).containsExactly(expected.nodes());
    assertThat(actual.patterns()).hasSameSizeAs(expected.patterns());
    for (int p = 0; p < expected.patterns().size(); p++) {
      PatternProgram.Pattern a = actual.patterns().get(p);
      PatternProgram.Pattern e = expected.patterns().get(p);
      assertThat(a.shape()).isEqualTo(e.shape());
      assertThat(a.counts()).containsExactly(e.counts());
      assertThat(a.zoneMask()).isEqualTo(e.zoneMask());
      assertThat(a.price()).isEqualTo(e.price());
    }
  }

  private static NodeShape shape(int index, long[] room, double[] zonePrices) {
    return shape(index, CapacityType.ON_DEMAND, room, zonePrices);
  }

  private static NodeShape shape(int index, CapacityType capacityType, long[] room, double[] zonePrices) {
    InstanceType type = SyntheticWorkloads.karpenterCatalog(1).instanceTypes().getFirst();
    return new NodeShape(index, NodePool.defaultPool(), 0, type, capacityType, Map.of(), room, Resources.NONE,
        zonePrices);
  }

  /** One input of the program, every array its own: equal programs share no array. */
  record Program(List<NodeShape> shapes, int[] candidates, PatternProgram.Kinds kinds, double[] worth, int rounds,
      int budget, List<PatternProgram.Pattern> seeds) {

    /** Chvátal's rolls (see {@code PatternProgramTest}) on three shapes, two zones and both capacity types. */
    static Program rolls() {
      long[][] requests = {{45, 0, 1}, {36, 0, 1}, {31, 0, 1}, {14, 0, 1}};
      BitSet[] allowed = new BitSet[4];
      for (int i = 0; i < 4; i++) {
        allowed[i] = new BitSet();
        allowed[i].set(0, 3);
      }
      return new Program(List.of(shape(0, new long[] {100, 1, 1000}, new double[] {1.0, 1.2}),
          shape(1, new long[] {180, 1, 1000}, new double[] {1.9, 1.7}),
          shape(2, new long[] {60, 1, 1000}, new double[] {0.7, 0.65})), new int[] {0, 1, 2},
          new PatternProgram.Kinds(requests, new long[] {3, 3, 3, 3}, new int[] {3, 3, 3, 3}, allowed,
              new int[] {97, 610, 395, 211}, new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE,
              Integer.MAX_VALUE}), new double[] {0.45, 0.36, 0.31, 0.14}, 50, 100_000, List.of());
    }

    PatternProgram.Result askOf(PatternOptima optima) {
      return optima.solve(shapes, candidates, kinds, worth, rounds, budget, seeds);
    }

    PatternProgram.Result solved() {
      return PatternProgram.solve(shapes, candidates, kinds, worth, rounds, budget, seeds);
    }

    Program copy() {
      List<NodeShape> s = shapes.stream().map(n -> shape(n.index, n.capacityType, n.room.clone(),
          n.zonePrice.clone())).toList();
      long[][] requests = Arrays.stream(kinds.requests()).map(long[]::clone).toArray(long[][]::new);
      BitSet[] allowed = Arrays.stream(kinds.shapes()).map(b -> (BitSet) b.clone()).toArray(BitSet[]::new);
      return new Program(s, candidates.clone(), new PatternProgram.Kinds(requests, kinds.zoneMasks().clone(),
          kinds.capacityTypeMasks().clone(), allowed, kinds.demand().clone(), kinds.perNode().clone()),
          worth.clone(), rounds, budget, seeds.stream().map(p -> new PatternProgram.Pattern(p.shape(),
          p.counts().clone(), p.zoneMask(), p.price())).toList());
    }

    Program with(double[] array, int at, double value) {
      array[at] = value;
      return this;
    }

    Program withDemand(int kind, int demand) {
      kinds.demand()[kind] = demand;
      return this;
    }

    Program withCap(int kind, int cap) {
      kinds.perNode()[kind] = cap;
      return this;
    }

    Program withRequest(int kind, int resource, long value) {
      kinds.requests()[kind][resource] = value;
      return this;
    }

    Program withZones(int kind, long zones) {
      kinds.zoneMasks()[kind] = zones;
      return this;
    }

    Program withCapacityTypes(int kind, int types) {
      kinds.capacityTypeMasks()[kind] = types;
      return this;
    }

    Program withRoom(int shape, int resource, long value) {
      shapes.get(shape).room[resource] = value;
      return this;
    }

    Program withPrice(int shape, double price) {
      NodeShape old = shapes.get(shape);
      double[] prices = old.zonePrice.clone();
      prices[0] = price;
      List<NodeShape> s = new java.util.ArrayList<>(shapes);
      s.set(shape, PatternOptimaTest.shape(old.index, old.capacityType, old.room, prices));
      return new Program(s, candidates, kinds, worth, rounds, budget, seeds);
    }

    Program withSpot(int shape) {
      NodeShape old = shapes.get(shape);
      List<NodeShape> s = new java.util.ArrayList<>(shapes);
      s.set(shape, PatternOptimaTest.shape(old.index, CapacityType.SPOT, old.room, old.zonePrice));
      return new Program(s, candidates, kinds, worth, rounds, budget, seeds);
    }

    Program withCandidates(int... order) {
      return new Program(shapes, order, kinds, worth, rounds, budget, seeds);
    }

    Program withoutShape(int kind, int shape) {
      kinds.shapes()[kind].clear(shape);
      return this;
    }

    Program withRounds(int r) {
      return new Program(shapes, candidates, kinds, worth, r, budget, seeds);
    }

    Program withBudget(int b) {
      return new Program(shapes, candidates, kinds, worth, rounds, b, seeds);
    }

    Program withSeed(PatternProgram.Pattern seed) {
      return new Program(shapes, candidates, kinds, worth, rounds, budget, List.of(seed));
    }

    @Override
    public String toString() {
      return "Program[candidates " + Arrays.toString(candidates) + ", demand " + Arrays.toString(kinds.demand())
          + ", rounds " + rounds + ", budget " + budget + ", seeds " + seeds.size() + "]";
    }
  }
}
