package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class PatternSearchTest {

  private static final long ALL_ZONES = 0b111;

  /** A kind of pod: CPU, memory, how many may be taken, what one is worth. */
  record Kind(long cpu, long memory, int most, double worth) {}

  /** The search's inputs for {@code kinds} (each in its zones, or every zone), each kind's most times {@code scale}. */
  private record Kinds(long[][] requests, long[] zoneMasks, int[] most, double[] worth) {
    static Kinds of(List<Kind> kinds, List<Integer> kindZones, int scale) {
      int n = kinds.size();
      Kinds of = new Kinds(new long[n][], new long[n], new int[n], new double[n]);
      for (int k = 0; k < n; k++) {
        of.requests[k] = new long[] {kinds.get(k).cpu(), kinds.get(k).memory(), 1};
        of.zoneMasks[k] = kindZones == null ? ALL_ZONES : kindZones.get(k);
        of.most[k] = kinds.get(k).most() * scale;
        of.worth[k] = kinds.get(k).worth();
      }
      return of;
    }
  }

  @Test
  void takesTheMostValuableSetThatFits() {
    // the most valuable pod first (two of the first kind, then one of the second) is worth 8.4; the best set, 8.5,
    // takes one of the first, two of the second and one of the third
    long[] room = {4000, 8, 110};
    long[][] requests = {{1500, 1, 1}, {1000, 3, 1}, {500, 1, 1}};
    double[] worth = {3.1, 2.2, 1.0};
    PatternSearch search = new PatternSearch(room, requests, zones(3), new int[] {9, 9, 9}, worth, 10_000)
        .run(ALL_ZONES);
    assertThat(search.best).containsExactly(1, 2, 1);
    assertThat(search.bestValue).isCloseTo(8.5, within(1e-9));
  }

  @Test
  void neverTakesMoreOfAKindThanAllowedNorMixesDisjointZones() {
    long[] room = {4000, 16, 110};
    long[][] requests = {{500, 1, 1}, {500, 1, 1}};
    long[] zoneMasks = {0b001, 0b010};
    PatternSearch search = new PatternSearch(room, requests, zoneMasks, new int[] {3, 8}, new double[] {2, 1}, 10_000)
        .run(ALL_ZONES);
    // eight of the second kind (worth 8) beat three of the first (worth 6); they cannot share a node
    assertThat(search.best).containsExactly(0, 8);
    assertThat(search.bestZoneMask).isEqualTo(0b010);
  }

  @Test
  void startsFromTheRelaxationWhereTheBudgetCoversOnlyLopsidedSets() {
    // a 48-core node with 192 GiB: one core and 1 GiB pods are the densest, a quarter core and 6 GiB ones the others.
    // The search takes the most of the first kind first (48, all the CPU, memory idle) and within 4 states reaches
    // only sets near it; the relaxation's optimum, 41.7 and 25.0, rounds to 41 and 25, the best set there is
    long[] room = {48_000, 192, 110};
    long[][] requests = {{1000, 1, 1}, {250, 6, 1}};
    int[] most = {200, 200};
    double[] worth = {1.0, 1.4};
    double best = new PatternSearch(room, requests, zones(2), most, worth, 1_000_000).run(ALL_ZONES).bestValue;

    PatternSearch alone = new PatternSearch(room, requests, zones(2), most, worth, 4).run(ALL_ZONES);
    PatternSearch relaxed = new PatternSearch(room, requests, zones(2), most, worth, 4)
        .runFromRelaxation(ALL_ZONES);

    assertThat(best).isCloseTo(76.0, within(1e-9));
    assertThat(alone.bestValue).isLessThan(best - 10);
    assertThat(relaxed.best).containsExactly(41, 25);
    assertThat(relaxed.bestValue).isCloseTo(best, within(1e-9));
  }

  @Test
  void weighsCpuAndMemoryByTheRelaxationsPricesSoItsBudgetReachesTheBestSet() {
    // a 48-core node with 192 GiB and seven kinds that fill CPU and memory together, at prices a pattern program
    // gives. Searched by each kind's worth over its share of the resource it uses most of, with a bound per resource,
    // 2,000 states end short of the best set, 2.040: at 1.964 alone, at 1.985 from the relaxation's rounded optimum
    // (the search before this order and bound); every set that leaves memory idle looked worth exploring. Weighed by
    // the relaxation's prices of CPU and memory, the kinds are searched in the order those prices rank them, and the
    // sets that idle either resource are pruned early
    long[] room = {48_000, 192 * 1024, 110};
    long[][] requests = {{3000, 14528, 1}, {3750, 10624, 1}, {1750, 9920, 1}, {7000, 24192, 1}, {750, 5568, 1},
        {3250, 22272, 1}, {4250, 4352, 1}};
    int[] most = {200, 200, 200, 200, 200, 200, 200};
    double[] worth = {0.1170, 0.1239, 0.0795, 0.2495, 0.0475, 0.1765, 0.1025};
    // the best set, by the search without weights and a budget that covers every set it does not prune
    PatternSearch exact = new PatternSearch(room, requests, zones(7), most, worth, 50_000_000).run(ALL_ZONES);
    PatternSearch alone = new PatternSearch(room, requests, zones(7), most, worth, 2_000).run(ALL_ZONES);
    PatternSearch budgeted = new PatternSearch(room, requests, zones(7), most, worth, 2_000)
        .runFromRelaxation(ALL_ZONES);

    assertThat(exact.exhausted()).isFalse();
    assertThat(alone.bestValue).isLessThan(exact.bestValue - 0.01);
    assertFitsAndIsWorthWhatItSays(budgeted, room, requests, most, worth);
    assertThat(budgeted.bestValue).isCloseTo(exact.bestValue, within(1e-9));
  }

  @Property(tries = 300)
  void fromTheRelaxationMoreBudgetNeverFindsLessAndTheSetKeepsItsZones(
      @ForAll("kinds") @Size(min = 1, max = 5) List<Kind> kinds, @ForAll @IntRange(min = 1, max = 7) int zoneMask,
      @ForAll("zoneMasks") @Size(5) List<Integer> kindZones, @ForAll @IntRange(min = 1, max = 200) int budget,
      @ForAll @IntRange(min = 1000, max = 48_000) int cpu, @ForAll @IntRange(min = 1, max = 64) int memory) {
    long[] room = {cpu, memory, 110};
    Kinds in = Kinds.of(kinds, kindZones, 10);
    long[][] requests = in.requests();
    long[] zoneMasks = in.zoneMasks();
    int[] most = in.most();
    double[] worth = in.worth();
    // no budget: the relaxation's optimum rounded down and filled, the set the search starts from
    PatternSearch start = new PatternSearch(room, requests, zoneMasks, most, worth, 0).runFromRelaxation(zoneMask);
    PatternSearch relaxed = new PatternSearch(room, requests, zoneMasks, most, worth, budget)
        .runFromRelaxation(zoneMask);
    PatternSearch more = new PatternSearch(room, requests, zoneMasks, most, worth, budget * 10)
        .runFromRelaxation(zoneMask);

    // the same order and bounds each time: a larger budget visits what a smaller one did, and more
    assertThat(relaxed.bestValue).isGreaterThanOrEqualTo(start.bestValue - 1e-9);
    assertThat(more.bestValue).isGreaterThanOrEqualTo(relaxed.bestValue - 1e-9);
    for (PatternSearch search : List.of(start, relaxed, more)) {
      assertFitsAndIsWorthWhatItSays(search, room, requests, most, worth);
      for (int k = 0; k < kinds.size(); k++) {
        if (search.best[k] > 0) {
          // the set's zones are ones every pod of it may run in, among the node's
          assertThat(search.bestZoneMask & ~zoneMasks[k]).isZero();
        }
      }
      assertThat(search.bestZoneMask & ~zoneMask).isZero();
      if (search.bestValue > 0) {
        assertThat(search.bestZoneMask).isNotZero();
      }
    }
  }

  /** The search's best set takes no more of a kind than allowed, fits the room, and is worth its best value. */
  private static void assertFitsAndIsWorthWhatItSays(PatternSearch search, long[] room, long[][] requests, int[] most,
      double[] worth) {
    long[] used = new long[room.length];
    double value = 0;
    for (int k = 0; k < requests.length; k++) {
      assertThat(search.best[k]).isBetween(0, most[k]);
      for (int r = 0; r < room.length; r++) {
        used[r] += requests[k][r] * search.best[k];
      }
      value += worth[k] * search.best[k];
    }
    for (int r = 0; r < room.length; r++) {
      assertThat(used[r]).isLessThanOrEqualTo(room[r]);
    }
    assertThat(search.bestValue).isCloseTo(value, within(1e-9));
  }

  @Provide
  Arbitrary<List<Integer>> zoneMasks() {
    return Arbitraries.integers().between(1, 7).list();
  }

  @Property(tries = 200)
  void findsTheOptimumOfSmallNodes(@ForAll("kinds") @Size(min = 1, max = 4) List<Kind> kinds,
      @ForAll @IntRange(min = 1000, max = 8000) int cpu, @ForAll @IntRange(min = 1, max = 16) int memory) {
    long[] room = {cpu, memory, 110};
    Kinds in = Kinds.of(kinds, null, 1);
    long[][] requests = in.requests();
    int[] most = in.most();
    double[] worth = in.worth();
    PatternSearch search = new PatternSearch(room, requests, zones(kinds.size()), most, worth, 1_000_000)
        .run(ALL_ZONES);
    // from the relaxation, the search prunes with the resources weighed by its prices: never the best set
    PatternSearch relaxed = new PatternSearch(room, requests, zones(kinds.size()), most, worth, 1_000_000)
        .runFromRelaxation(ALL_ZONES);

    double optimum = bruteForceInZones(room, requests, zones(kinds.size()), most, worth, 0, ALL_ZONES, 0);
    assertFitsAndIsWorthWhatItSays(search, room, requests, most, worth);
    assertThat(search.bestValue).isCloseTo(optimum, within(1e-9));
    assertFitsAndIsWorthWhatItSays(relaxed, room, requests, most, worth);
    assertThat(relaxed.exhausted()).isFalse();
    assertThat(relaxed.bestValue).isCloseTo(optimum, within(1e-9));
  }

  @Property(tries = 200)
  void fromTheRelaxationFindsTheOptimumOfSmallNodesInTheZonesTheirPodsShare(
      @ForAll("kinds") @Size(min = 1, max = 4) List<Kind> kinds, @ForAll @IntRange(min = 1, max = 7) int zoneMask,
      @ForAll("zoneMasks") @Size(4) List<Integer> kindZones, @ForAll @IntRange(min = 1000, max = 8000) int cpu,
      @ForAll @IntRange(min = 1, max = 16) int memory) {
    long[] room = {cpu, memory, 110};
    Kinds in = Kinds.of(kinds, kindZones, 1);
    long[][] requests = in.requests();
    long[] zoneMasks = in.zoneMasks();
    int[] most = in.most();
    double[] worth = in.worth();
    PatternSearch relaxed = new PatternSearch(room, requests, zoneMasks, most, worth, 1_000_000)
        .runFromRelaxation(zoneMask);

    // the weighed bound prunes only sets worth no more than one found: the best set of pods that share a zone
    assertThat(relaxed.exhausted()).isFalse();
    assertFitsAndIsWorthWhatItSays(relaxed, room, requests, most, worth);
    assertThat(relaxed.bestValue).isCloseTo(bruteForceInZones(room, requests, zoneMasks, most, worth, 0, zoneMask, 0),
        within(1e-9));
  }

  /** The best set counted out, its pods all running in one zone at least of {@code zones}. */
  private static double bruteForceInZones(long[] room, long[][] requests, long[] zoneMasks, int[] most,
      double[] worth, int k, long zones, double value) {
    if (k == requests.length) {
      return value;
    }
    double best = bruteForceInZones(room, requests, zoneMasks, most, worth, k + 1, zones, value);
    long shared = zones & zoneMasks[k];
    for (int n = 1; n <= most[k] && shared != 0; n++) {
      long[] left = room.clone();
      boolean fits = true;
      for (int r = 0; r < room.length; r++) {
        left[r] -= requests[k][r] * n;
        fits &= left[r] >= 0;
      }
      if (!fits) {
        break;
      }
      best = Math.max(best, bruteForceInZones(left, requests, zoneMasks, most, worth, k + 1, shared,
          value + n * worth[k]));
    }
    return best;
  }

  @Provide
  Arbitrary<Kind> kindsKind() {
    return net.jqwik.api.Combinators.combine(Arbitraries.longs().between(100, 4000),
        Arbitraries.longs().between(0, 8), Arbitraries.integers().between(0, 6),
        Arbitraries.doubles().between(0, 5).ofScale(2)).as(Kind::new);
  }

  @Provide
  Arbitrary<List<Kind>> kinds() {
    return kindsKind().list();
  }

  private static long[] zones(int kinds) {
    long[] masks = new long[kinds];
    java.util.Arrays.fill(masks, ALL_ZONES);
    return masks;
  }
}
