package dev.flotilla.scheduling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A lower bound on the price of any plan of whole pods, where the fractional bound may split a pod's share of a node
 * across nodes. Every node of a plan holds a whole set of pods on one shape: a pattern. So the pattern program's
 * optimum over every shape and every pattern bounds every plan, and so does any price of each kind of pod that no
 * pattern is worth more than its node at (the program's dual, Farley's bound for cutting stock): {@code prices ·
 * demand / ρ}, where ρ, the most a pattern is worth over its node's price, is at least 1. The prices come from the
 * program solved by column generation, started from a plan's nodes where one is given; ρ is then checked over every
 * shape the kinds may use: exactly on a small node ({@link #exactWorth}, or the search of {@link PatternSearch} where it
 * ends within its budget), and on a large one, whose best set the search may not finish, by what bounds it (the
 * linear relaxation, or the fractional knapsacks of {@link PatternProgram#upperWorth}), where whole pods cost least.
 * The bound needs nothing the program found to be optimal: any prices give a valid one, better prices a higher one;
 * over a few hundred kinds the program's prices swing from round to round and the bound falls below the fractional.
 *
 * <p>Only what holds in every plan is kept: each kind's shapes and how many of it one node may take. Topology that
 * spreads or gathers pods over nodes or zones is left out, which loosens the bound and keeps it valid.
 */
final class WholePodBound {

  /** Column generation rounds for the prices. */
  static final int ROUNDS = 60;
  /** States the pricing search may visit for a pattern the program takes. */
  static final int BUDGET = 20_000;
  /** States the search may visit for a shape's best pattern when ρ is checked; cut short, its bound stands in. */
  static final int EXACT_BUDGET = 1_000_000;
  /** Shapes priced in the program: the cheapest for each kind's pods, then those ρ finds worth more than their price. */
  static final int SHAPES_PER_KIND = 4;
  /** Times the program is solved again with the shapes ρ found paying. */
  static final int REFINEMENTS = 4;

  /**
   * The bound, with the optimum of the program whose prices gave it (over the patterns found: no dearer than a plan
   * whose nodes started it) and ρ at those prices.
   */
  record Result(double bound, double programOptimum, double rho) {}

  private WholePodBound() {}

  static Result solve(List<NodeShape> shapes, PatternProgram.Kinds kinds) {
    return solve(shapes, kinds, List.of());
  }

  /** @param seeds patterns to start the program from (a plan's nodes): any help it converge, none changes what holds */
  static Result solve(List<NodeShape> shapes, PatternProgram.Kinds kinds, List<PatternProgram.Pattern> seeds) {
    int k = kinds.size();
    List<Integer> usable = new ArrayList<>();
    for (NodeShape shape : shapes) {
      for (int kind = 0; kind < k; kind++) {
        if (PatternProgram.fits(shape, kinds, kind)) {
          usable.add(shape.index);
          break;
        }
      }
    }
    // a first price per kind: the cheapest it costs on a node of one shape filled with it alone
    double[] worth = new double[k];
    Arrays.fill(worth, Double.POSITIVE_INFINITY);
    Set<Integer> candidates = new LinkedHashSet<>();
    for (int kind = 0; kind < k; kind++) {
      int kindOf = kind;
      List<Integer> alone = new ArrayList<>();
      for (int s : usable) {
        NodeShape shape = shapes.get(s);
        if (PatternProgram.fits(shape, kinds, kindOf)) {
          alone.add(s);
        }
      }
      alone.sort(Comparator.comparingDouble(s -> perPod(shapes.get(s), kinds, kindOf)));
      for (int s : alone.subList(0, Math.min(SHAPES_PER_KIND, alone.size()))) {
        candidates.add(s);
      }
      if (!alone.isEmpty()) {
        worth[kind] = perPod(shapes.get(alone.getFirst()), kinds, kindOf);
      }
    }
    for (PatternProgram.Pattern seed : seeds) {
      candidates.add(seed.shape());
    }
    int[] demand = kinds.demand().clone();
    for (int kind = 0; kind < k; kind++) {
      if (Double.isInfinite(worth[kind])) {
        // no shape takes it: no plan places it either
        worth[kind] = 0;
        demand[kind] = 0;
      }
    }
    PatternProgram.Kinds placeable = new PatternProgram.Kinds(kinds.requests(), kinds.zoneMasks(),
        kinds.capacityTypeMasks(), kinds.shapes(), demand, kinds.perNode());
    Result best = new Result(0, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY);
    List<PatternProgram.Pattern> found = new ArrayList<>(seeds);
    for (int refinement = 0; refinement <= REFINEMENTS; refinement++) {
      int[] priced = candidates.stream().mapToInt(Integer::intValue).toArray();
      PatternProgram.Result program = PatternProgram.solve(shapes, priced, placeable, worth, ROUNDS, BUDGET,
          List.copyOf(found));
      double[] prices = prices(program, placeable);
      double value = 0;
      double optimum = 0;
      for (int kind = 0; kind < k; kind++) {
        value += prices[kind] * demand[kind];
      }
      for (int p = 0; p < program.patterns().size(); p++) {
        optimum += program.nodes()[p] * program.patterns().get(p).price();
      }
      Check check = check(shapes, usable, placeable, prices, found);
      double rho = check.rho();
      List<double[]> paying = check.paying();
      Result result = new Result(value / rho, optimum, rho);
      if (result.bound() > best.bound()) {
        best = result;
      }
      paying.sort(Comparator.comparingDouble((double[] p) -> -p[1]));
      if (paying.isEmpty()) {
        break;
      }
      for (double[] p : paying.subList(0, Math.min(paying.size(), 4 * SHAPES_PER_KIND))) {
        candidates.add((int) p[0]);
      }
      worth = prices;
    }
    return best;
  }

  /**
   * ρ at {@code prices}: the most a whole set of pods on one node of any usable shape is worth over the node's price,
   * at least 1, each shape's best set found exactly where it can be and bounded above where it cannot (infinite where
   * a shape costs nothing and a set on it is worth something: no bound then). The shapes worth more than their price,
   * each with its ratio, are in {@code paying}; the best sets found for them join {@code found}; {@code exact} counts
   * the shapes whose best set was found exactly.
   */
  record Check(double rho, List<double[]> paying, int exact) {}

  static Check check(List<NodeShape> shapes, List<Integer> usable, PatternProgram.Kinds kinds, double[] prices,
      List<PatternProgram.Pattern> found) {
    double rho = 1;
    int exact = 0;
    List<double[]> paying = new ArrayList<>();
    for (int s : usable) {
      NodeShape shape = shapes.get(s);
      double upper = PatternProgram.upperWorth(shape, kinds, prices);
      if (upper <= shape.minPrice * rho) {
        continue;
      }
      upper = Math.min(upper, relaxedWorth(shape, kinds, prices));
      if (upper <= shape.minPrice * rho) {
        continue;
      }
      if (shape.minPrice <= 0) {
        return new Check(Double.POSITIVE_INFINITY, List.of(), exact);
      }
      double most = exactWorth(shape, kinds, prices);
      PatternSearch search = bestSet(shape, kinds, prices, Double.isNaN(most) ? EXACT_BUDGET : BUDGET);
      if (search.bestValue > shape.minPrice * (1 + 1e-7)) {
        // a set the program's pricing missed, the best there is or the best the search reached: the next solve
        // starts with it
        found.add(new PatternProgram.Pattern(s, search.best.clone(), shape.zoneMask, shape.minPrice));
      }
      if (Double.isNaN(most) && !search.exhausted()) {
        most = search.bestValue;
      }
      if (Double.isNaN(most)) {
        most = upper;
      } else {
        exact++;
      }
      if (most > shape.minPrice * (1 + 1e-9)) {
        paying.add(new double[] {s, most / shape.minPrice});
      }
      rho = Math.max(rho, most / shape.minPrice);
    }
    return new Check(rho, paying, exact);
  }

  /** What one pod of the kind costs on a node of the shape filled with that kind alone. */
  private static double perPod(NodeShape shape, PatternProgram.Kinds kinds, int kind) {
    long copies = Math.min(kinds.most(kind), Dims.copiesThatFit(kinds.requests()[kind], shape.room));
    return copies > 0 ? shape.minPrice / copies : Double.POSITIVE_INFINITY;
  }

  /** The kinds' prices at the program's optimum: the dual of its master over the patterns it kept. */
  private static double[] prices(PatternProgram.Result program, PatternProgram.Kinds kinds) {
    int k = kinds.size();
    double[][] a = new double[program.patterns().size()][k];
    double[] b = new double[program.patterns().size()];
    for (int p = 0; p < program.patterns().size(); p++) {
      for (int kind = 0; kind < k; kind++) {
        a[p][kind] = program.patterns().get(p).counts()[kind];
      }
      b[p] = program.patterns().get(p).price();
    }
    double[] c = new double[k];
    for (int kind = 0; kind < k; kind++) {
      c[kind] = kinds.demand()[kind];
    }
    double[] y = Simplex.maximize(a, b, c, 20_000).y();
    double[] prices = new double[k];
    for (int kind = 0; kind < k; kind++) {
      prices[kind] = Math.max(0, y[kind]);
    }
    return prices;
  }

  /**
   * What the linear relaxation of the shape's best pattern is worth at most: every resource's room and each kind's
   * most kept, pods split. At least what any whole set is worth.
   */
  static double relaxedWorth(NodeShape shape, PatternProgram.Kinds kinds, double[] prices) {
    int k = kinds.size();
    int dims = shape.room.length;
    List<Integer> taking = new ArrayList<>();
    for (int kind = 0; kind < k; kind++) {
      if (prices[kind] > 0 && PatternProgram.fits(shape, kinds, kind)) {
        taking.add(kind);
      }
    }
    int n = taking.size();
    if (n == 0) {
      return 0;
    }
    double[][] rows = new double[dims + n][n];
    double[] limits = new double[dims + n];
    double[] worth = new double[n];
    for (int i = 0; i < n; i++) {
      int kind = taking.get(i);
      for (int d = 0; d < dims; d++) {
        // as shares of the node, so every row weighs alike
        rows[d][i] = shape.room[d] > 0 ? (double) kinds.requests()[kind][d] / shape.room[d] : 0;
      }
      rows[dims + i][i] = 1;
      limits[dims + i] = Math.min(kinds.most(kind), Dims.copiesThatFit(kinds.requests()[kind], shape.room));
      worth[i] = prices[kind];
    }
    for (int d = 0; d < dims; d++) {
      limits[d] = 1;
    }
    // any non-negative price of each resource's share gives an upper bound (weak duality): the rows' prices from the
    // simplex, each kind's cap then priced at what its worth exceeds its resources' price. A bound whatever the
    // simplex's tolerances, and close to its optimum where it solved it
    double[] duals = Simplex.maximize(rows, limits, worth, 100 * (n + dims)).rowDuals();
    double upper = 0;
    for (int d = 0; d < dims; d++) {
      upper += Math.max(0, duals[d]);
    }
    for (int i = 0; i < n; i++) {
      double resources = 0;
      for (int d = 0; d < dims; d++) {
        resources += rows[d][i] * Math.max(0, duals[d]);
      }
      upper += limits[dims + i] * Math.max(0, worth[i] - resources);
    }
    return upper;
  }

  /** States of {@link #exactWorth}'s table at most: a small node's room in units of what its pods request. */
  static final int TABLE = 8_000_000;

  /**
   * The most a whole set of pods on one node of the shape is worth at {@code prices}, zones aside, by dynamic
   * programming over the node's room counted in the largest unit every kind's request of each resource is a multiple
   * of (exact: a set fits the room if and only if it fits the room rounded down to that unit); not a number where
   * more than three resources bind or the table would pass {@link #TABLE} states (a large node, where the search or
   * the relaxation answers instead).
   */
  static double exactWorth(NodeShape shape, PatternProgram.Kinds kinds, double[] prices) {
    int k = kinds.size();
    List<Integer> taking = new ArrayList<>();
    for (int kind = 0; kind < k; kind++) {
      if (prices[kind] > 0 && PatternProgram.fits(shape, kinds, kind)) {
        taking.add(kind);
      }
    }
    if (taking.isEmpty()) {
      return 0;
    }
    int[] binding = new int[3];
    long[] unit = new long[3];
    int[] size = {1, 1, 1};
    int used = 0;
    long states = 1;
    for (int d = 0; d < shape.room.length; d++) {
      long g = 0;
      for (int kind : taking) {
        g = gcd(g, kinds.requests()[kind][d]);
      }
      if (g == 0) {
        continue;
      }
      if (used == 3) {
        return Double.NaN;
      }
      long cells = shape.room[d] / g + 1;
      if (cells > TABLE / states) {
        return Double.NaN;
      }
      states *= cells;
      binding[used] = d;
      unit[used] = g;
      size[used++] = (int) cells;
    }
    double[] best = new double[(int) states];
    for (int kind : taking) {
      long[] req = kinds.requests()[kind];
      int[] w = new int[3];
      for (int i = 0; i < used; i++) {
        w[i] = (int) (req[binding[i]] / unit[i]);
      }
      int copies = (int) Math.min(kinds.most(kind), Dims.copiesThatFit(req, shape.room));
      // bounded copies as bundles of 1, 2, 4, ... pods: any count up to copies is a sum of distinct bundles
      for (int bundle = 1; copies > 0; bundle <<= 1) {
        int n = Math.min(bundle, copies);
        copies -= n;
        int w0 = w[0] * n;
        int w1 = w[1] * n;
        int w2 = w[2] * n;
        double v = prices[kind] * n;
        for (int a = size[0] - 1; a >= w0; a--) {
          for (int b = size[1] - 1; b >= w1; b--) {
            int row = (a * size[1] + b) * size[2];
            int from = ((a - w0) * size[1] + (b - w1)) * size[2];
            for (int c = size[2] - 1; c >= w2; c--) {
              double with = best[from + c - w2] + v;
              if (with > best[row + c]) {
                best[row + c] = with;
              }
            }
          }
        }
      }
    }
    return best[best.length - 1];
  }

  private static long gcd(long a, long b) {
    while (b != 0) {
      long t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  /**
   * The search for the most valuable whole set of pods on one node of the shape at {@code prices}, zones aside (pods
   * that could not share a zone counted together: worth more, so still a bound); exact unless {@link
   * PatternSearch#exhausted}.
   */
  static PatternSearch bestSet(NodeShape shape, PatternProgram.Kinds kinds, double[] prices, int budget) {
    int k = kinds.size();
    int[] most = new int[k];
    long[] anyZone = new long[k];
    Arrays.fill(anyZone, -1L);
    for (int kind = 0; kind < k; kind++) {
      most[kind] = PatternProgram.fits(shape, kinds, kind) ? kinds.most(kind) : 0;
    }
    return new PatternSearch(shape.room, kinds.requests(), anyZone, most, prices, budget).runFromRelaxation(-1L);
  }
}
