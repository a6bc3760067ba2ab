package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The sort of shape indexes gives the order its keys define, whatever ties, signs and near values they hold. */
class IndexOrderTest {

  /** Keys drawn from few values, some a hair apart (the same float), with zeros of both signs and NaN. */
  private static final double[] VALUES = {0.0, -0.0, 1.0, 1.0 + 1e-12, 1.0 - 1e-12, -1.0, -1.0 - 1e-12, 2.5e-4,
      3.0e9, -7.25, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE, 1e-320, 1e300,
      -1e300, 4e38, -4e38};

  record Keys(int[] group, double[] first, double[] second) {}

  @Property(tries = 300)
  void sortsByGroupThenBothKeysThenIndex(@ForAll("keys") Keys keys, @ForAll("groups") int groups) {
    int n = keys.first().length;
    int[] group = new int[n];
    for (int i = 0; i < n; i++) {
      group[i] = Math.floorMod(keys.group()[i], groups);
    }
    // some indexes twice, as a caller's list may hold them
    int[] sorted = IntStream.range(0, n).map(i -> i % 7 == 3 ? (n - i) % n : n - 1 - i).toArray();
    IndexOrder.sort(sorted, group, keys.first(), keys.second());

    List<Integer> expected = IntStream.range(0, n).map(i -> i % 7 == 3 ? (n - i) % n : n - 1 - i).boxed()
        .sorted(Comparator.comparingInt((Integer i) -> group[i])
            .thenComparing(i -> keys.first()[i], Double::compare)
            .thenComparing(i -> keys.second()[i], Double::compare)
            .thenComparingInt(i -> i))
        .toList();
    assertThat(IntStream.of(sorted).boxed().toList()).isEqualTo(expected);
  }

  @Provide
  Arbitrary<Keys> keys() {
    return Arbitraries.integers().between(0, 400).flatMap(n -> {
      Arbitrary<int[]> group = Arbitraries.integers().between(0, 1 << 20).array(int[].class).ofSize(n);
      List<Double> values = java.util.Arrays.stream(VALUES).boxed().toList();
      Arbitrary<double[]> first = Arbitraries.of(values).array(double[].class).ofSize(n);
      Arbitrary<double[]> second = Arbitraries.of(values).array(double[].class).ofSize(n);
      return net.jqwik.api.Combinators.combine(group, first, second).as(Keys::new);
    });
  }

  /**
   * One group, a few, as many as the packed sort holds and one more (so that some arrays are packed part way before
   * the merge sort takes them), and far more.
   */
  @Provide
  Arbitrary<Integer> groups() {
    return Arbitraries.of(1, 2, 3, 128, 129, 1 << 20);
  }
}
