package dev.flotilla.scheduling;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fractional lower bound: the cheapest fleet if pods could be split across nodes, the linear-programming
 * relaxation of the packing. Two programs are solved, both through their duals, whose all-slack start is feasible:
 *
 * <ol>
 *   <li>The resource-split program, always: a group g (pods of one signature and NodePool) needs its total requests
 *   D[g] covered by shapes it may use, each resource separately.
 *   <pre>
 *   max  Σ_g Σ_r D[g][r]·u[g][r]
 *   s.t. Σ_r cap[j][r]·v[M(j)][r] ≤ price[j]   for every node shape j
 *        u[g][r] ≤ v[M][r]                     for every membership M and group g in M
 *   </pre>
 *   {@code u[g][r]} prices resource r for group g; the packer ranks shapes by what they are worth at those prices.</li>
 *   <li>The per-class program, up to {@link #MAX_CLASSES} classes (distinct requests within a group): a pod's
 *   requests stay together and it may only use shapes it fits on whole, which is the usual LP relaxation of bin
 *   packing and much tighter. Its dual gives each pod's worth and its primal how many pods of each class go on each
 *   shape; the packer follows that assignment first. It is solved by column generation over node loads
 *   ({@link CoveringProgram}), whose master has one row per class, so 200 classes over hundreds of shapes take
 *   milliseconds where one dense tableau over every (class, shape) pair took seconds. Where pods keep apart on a
 *   node (per-node caps) and the optimum without caps buys too few nodes to hold them apart, it is solved again
 *   with the caps.</li>
 * </ol>
 *
 * <p>Shapes another shape beats (holding every class it holds, with at least as much of every resource per dollar)
 * never help the optimum and are dropped first, which keeps the programs to a few hundred rows over the full
 * catalog. Whatever the tableau's rounding, the dual point is pulled back inside its constraints before its value is
 * used, so the reported figure is always a true lower bound (weak duality).
 */
final class FractionalBound {

  /**
   * @param bound  the lower bound, USD per hour
   * @param nodes  fractional nodes of each shape in the optimum (by shape index)
   * @param prices per group and resource, USD per hour per unit: what the resource-split relaxation pays for it
   * @param podValues per pod class (by class index, when the per-class program was solved): a pod's share of the bound
   * @param tooFewNodes whether the optimum, ignoring per-node caps, buys too few nodes to hold some cap's pods
   */
  record Result(double bound, double[] nodes, double[][] prices, double[] podValues, List<Assignment> assignments,
      boolean tooFewNodes) {}

  /** In the per-class optimum, {@code pods} pods of class {@code podClass} go on nodes of shape {@code shape}. */
  record Assignment(int podClass, int shape, double pods) {}

  /** Above this many (class, shape) pairs the dense per-class solve is skipped. */
  static final int MAX_PAIRS = 6_000;

  /** Above this many classes the per-class program is skipped and the resource-split bound serves. */
  static final int MAX_CLASSES = 1_000;

  private FractionalBound() {}

  /**
   * @param classRequests one pod's requests for each pod class
   * @param classGroup    each class's group (the shapes it may use are its group's)
   * @param classCount    pods of each class
   */
  static Result solve(List<NodeShape> shapes, List<BitSet> groupShapes, List<long[]> classRequests,
      int[] classGroup, long[] classCount, int dims) {
    return solve(shapes, groupShapes, classRequests, classGroup, classCount, List.of(), dims, false);
  }

  /**
   * As above, with per-node caps on classes (pods that repel each other, hostname spread): the per-class program
   * keeps them, the resource-split one cannot and ignores them.
   */
  static Result solve(List<NodeShape> shapes, List<BitSet> groupShapes, List<long[]> classRequests,
      int[] classGroup, long[] classCount, List<CoveringProgram.PerNodeCap> caps, int dims) {
    return solve(shapes, groupShapes, classRequests, classGroup, classCount, caps, dims, false);
  }

  /**
   * As above; with {@code dense}, the per-class program is solved as one dense tableau (the reference, for tests),
   * which leaves per-node caps out.
   */
  static Result solve(List<NodeShape> shapes, List<BitSet> groupShapes, List<long[]> classRequests,
      int[] classGroup, long[] classCount, int dims, boolean dense) {
    return solve(shapes, groupShapes, classRequests, classGroup, classCount, List.of(), dims, dense);
  }

  private static Result solve(List<NodeShape> shapes, List<BitSet> groupShapes, List<long[]> classRequests,
      int[] classGroup, long[] classCount, List<CoveringProgram.PerNodeCap> caps, int dims, boolean dense) {
    int groups = groupShapes.size();
    List<long[]> groupDemand = new ArrayList<>();
    for (int g = 0; g < groups; g++) {
      groupDemand.add(new long[dims]);
    }
    for (int c = 0; c < classGroup.length; c++) {
      long[] d = groupDemand.get(classGroup[c]);
      for (int r = 0; r < dims; r++) {
        d[r] += classRequests.get(c)[r] * classCount[c];
      }
    }
    double[][] prices = new double[groups][dims];
    double[] nodes = new double[shapes.size()];
    if (groups == 0) {
      return new Result(0, nodes, prices, null, List.of(), false);
    }
    // Resources in units of the largest request, so coefficients stay near 1 and the tableau well conditioned.
    double[] scale = new double[dims];
    for (int c = 0; c < classGroup.length; c++) {
      for (int r = 0; r < dims; r++) {
        if (classCount[c] > 0) {
          scale[r] = Math.max(scale[r], classRequests.get(c)[r]);
        }
      }
    }
    int[] active = java.util.stream.IntStream.range(0, dims).filter(r -> scale[r] > 0).toArray();
    int ra = active.length;

    Map<BitSet, Integer> membershipIds = new LinkedHashMap<>();
    List<BitSet> memberships = new ArrayList<>();
    List<List<Integer>> membersShapes = new ArrayList<>();
    for (NodeShape s : shapes) {
      BitSet m = new BitSet(groups);
      for (int g = 0; g < groups; g++) {
        if (groupShapes.get(g).get(s.index)) {
          m.set(g);
        }
      }
      if (m.isEmpty() || Double.isInfinite(s.minPrice)) {
        continue;
      }
      Integer id = membershipIds.get(m);
      if (id == null) {
        id = memberships.size();
        membershipIds.put(m, id);
        memberships.add(m);
        membersShapes.add(new ArrayList<>());
      }
      membersShapes.get(id).add(s.index);
    }

    List<Integer> rowShape = new ArrayList<>();
    List<Integer> rowMembership = new ArrayList<>();
    for (int m = 0; m < memberships.size(); m++) {
      for (int j : paretoFront(shapes, membersShapes.get(m), active, scale)) {
        rowShape.add(j);
        rowMembership.add(m);
      }
    }
    int uVars = groups * ra;
    int vars = uVars + memberships.size() * ra;
    int linkRows = 0;
    for (BitSet m : memberships) {
      linkRows += m.cardinality() * ra;
    }
    int rows = rowShape.size() + linkRows;
    double[][] a = new double[rows][vars];
    double[] b = new double[rows];
    int row = 0;
    for (int k = 0; k < rowShape.size(); k++, row++) {
      NodeShape s = shapes.get(rowShape.get(k));
      int base = uVars + rowMembership.get(k) * ra;
      for (int i = 0; i < ra; i++) {
        a[row][base + i] = s.room[active[i]] / scale[active[i]];
      }
      b[row] = s.minPrice;
    }
    for (int m = 0; m < memberships.size(); m++) {
      BitSet members = memberships.get(m);
      for (int g = members.nextSetBit(0); g >= 0; g = members.nextSetBit(g + 1)) {
        for (int i = 0; i < ra; i++, row++) {
          a[row][g * ra + i] = 1;
          a[row][uVars + m * ra + i] = -1;
        }
      }
    }
    double[] c = new double[vars];
    for (int g = 0; g < groups; g++) {
      for (int i = 0; i < ra; i++) {
        c[g * ra + i] = groupDemand.get(g)[active[i]] / scale[active[i]];
      }
    }
    Simplex.Solution solution = Simplex.maximize(a, b, c, 50_000);
    double[] y = solution.y().clone();
    // Weak duality makes any feasible dual point a true bound; rounding in the tableau can leave the optimum a hair
    // outside, so scale prices back inside before trusting the figure.
    int shapeRows = rowShape.size();
    double[] scaleDown = new double[memberships.size()];
    java.util.Arrays.fill(scaleDown, 1.0);
    for (int k = 0; k < shapeRows; k++) {
      double used = 0;
      for (int j = 0; j < vars; j++) {
        used += a[k][j] * y[j];
      }
      if (used > b[k]) {
        scaleDown[rowMembership.get(k)] = Math.min(scaleDown[rowMembership.get(k)], b[k] / used);
      }
    }
    for (int m = 0; m < memberships.size(); m++) {
      for (int i = 0; i < ra; i++) {
        y[uVars + m * ra + i] *= scaleDown[m];
      }
    }
    for (int m = 0; m < memberships.size(); m++) {
      BitSet members = memberships.get(m);
      for (int g = members.nextSetBit(0); g >= 0; g = members.nextSetBit(g + 1)) {
        for (int i = 0; i < ra; i++) {
          y[g * ra + i] = Math.max(0, Math.min(y[g * ra + i], y[uVars + m * ra + i]));
        }
      }
    }
    double splitBound = 0;
    for (int j = 0; j < vars; j++) {
      splitBound += c[j] * y[j];
    }
    for (int g = 0; g < groups; g++) {
      for (int i = 0; i < ra; i++) {
        prices[g][active[i]] = y[g * ra + i] / scale[active[i]];
      }
    }
    for (int k = 0; k < rowShape.size(); k++) {
      nodes[rowShape.get(k)] += Math.max(0, solution.rowDuals()[k]);
    }
    Result split = new Result(splitBound, nodes, prices, null, List.of(), false);
    return perClass(split, shapes, groupShapes, classGroup, classRequests, classCount, dense ? List.of() : caps,
        active, scale, dense);
  }

  /**
   * The tighter per-class program: a pod's requests stay together (though a pod may still be split across nodes).
   * Its dual, over the shapes that survived dominance (the dense solve builds it whole; column generation reaches
   * the same optimum from the primal side and reports a point of it):
   *
   * <pre>
   *   max Σ_k n[k]·π[k]
   *   s.t. Σ_r cap[t][r]·μ[t][r] ≤ price[t]         for every shape t
   *        π[k] − Σ_r req[k][r]·μ[t][r] ≤ 0          for every class k and shape t it may use
   * </pre>
   *
   * π[k] is what one pod of class k is worth; the slack of a shape's row is how many nodes of it the optimum buys.
   */
  private static Result perClass(Result split, List<NodeShape> shapes, List<BitSet> groupShapes,
      int[] classGroup, List<long[]> classDemand, long[] classCount, List<CoveringProgram.PerNodeCap> caps,
      int[] active, double[] scale, boolean dense) {
    int k = classGroup.length;
    if (k == 0 || k > (dense ? MAX_PAIRS / 4 : MAX_CLASSES)) {
      return split;
    }
    // which classes each shape can hold: its group admits them and one pod fits on it whole
    List<Integer> candidates = new ArrayList<>();
    List<BitSet> holds = new ArrayList<>();
    for (NodeShape s : shapes) {
      BitSet h = new BitSet(k);
      for (int c = 0; c < k; c++) {
        if (groupShapes.get(classGroup[c]).get(s.index) && Dims.fits(classDemand.get(c), s.room)) {
          h.set(c);
        }
      }
      if (!h.isEmpty() && !Double.isInfinite(s.minPrice)) {
        candidates.add(s.index);
        holds.add(h);
      }
    }
    // Per-node caps slow the program several times over. Without them the optimum is still a true bound, of a
    // looser program, and where it buys enough nodes for every cap's pods to sit at most that many to a node, it
    // is as good a guide: the packing keeps the caps and spreads those pods over the nodes it opens anyway. Only
    // when it buys too few (shards one per node that it puts ten to a node) are the caps kept.
    Result free = perClass(split, shapes, candidates, holds, classDemand, classCount, caps, false, active, scale,
        dense);
    if (!free.tooFewNodes()) {
      return free;
    }
    Result capped = perClass(split, shapes, candidates, holds, classDemand, classCount, caps, true, active, scale,
        false);
    // both are true bounds; the capped one, cut short by its pivot limit, may come out the lower
    return capped.bound() >= free.bound() ? capped : free;
  }

  /** The per-class program over the shapes no other beats; {@code enforce} keeps the caps, else they are checked. */
  private static Result perClass(Result split, List<NodeShape> shapes, List<Integer> candidates, List<BitSet> holds,
      List<long[]> classDemand, long[] classCount, List<CoveringProgram.PerNodeCap> caps, boolean enforce,
      int[] active, double[] scale, boolean dense) {
    int k = classCount.length;
    List<Integer> kept = new ArrayList<>();
    List<BitSet> keptHolds = new ArrayList<>();
    BitSet capped = new BitSet(k);
    if (enforce) {
      caps.forEach(cap -> java.util.Arrays.stream(cap.classes()).forEach(capped::set));
    }
    undominated(shapes, candidates, holds, capped, active, scale, kept, keptHolds);
    int t = kept.size();
    List<int[]> pairs = new ArrayList<>();
    BitSet covered = new BitSet(k);
    for (int i = 0; i < t; i++) {
      BitSet h = keptHolds.get(i);
      covered.or(h);
      for (int c = h.nextSetBit(0); c >= 0; c = h.nextSetBit(c + 1)) {
        pairs.add(new int[] {c, i});
      }
    }
    if (covered.cardinality() < k || dense && pairs.size() > MAX_PAIRS) {
      return split;
    }
    return dense ? dense(split, shapes, classDemand, classCount, active, scale, kept, pairs)
        : covering(split, shapes, classDemand, classCount, caps, enforce, active, scale, kept, keptHolds);
  }

  /**
   * The per-class program by column generation ({@link CoveringProgram}); its class prices are then pulled inside
   * the dual's constraints exactly as the dense solve's are, so the figure is a true lower bound.
   */
  private static Result covering(Result split, List<NodeShape> shapes, List<long[]> classDemand, long[] classCount,
      List<CoveringProgram.PerNodeCap> caps, boolean enforce, int[] active, double[] scale, List<Integer> kept,
      List<BitSet> keptHolds) {
    int k = classCount.length;
    int t = kept.size();
    int ra = active.length;
    double[][] req = new double[k][ra];
    double[] demand = new double[k];
    for (int c = 0; c < k; c++) {
      for (int r = 0; r < ra; r++) {
        req[c][r] = classDemand.get(c)[active[r]] / scale[active[r]];
      }
      demand[c] = classCount[c];
    }
    double[][] room = new double[t][ra];
    double[] price = new double[t];
    for (int i = 0; i < t; i++) {
      NodeShape s = shapes.get(kept.get(i));
      for (int r = 0; r < ra; r++) {
        room[i][r] = s.room[active[r]] / scale[active[r]];
      }
      price[i] = s.minPrice;
    }
    CoveringProgram.Solution solution = CoveringProgram.solve(req, demand, room, price, keptHolds, caps, enforce,
        20_000);
    if (solution == null) {
      return split;
    }
    // Repair: each shape's resource and cap prices scaled inside its price, each class worth no more than its
    // cheapest home. A node's load x then is worth π·x ≤ Σ_r μ_r·Σ_c req[c][r]·x[c] + Σ_G σ_G·Σ_{c∈G} x[c]
    // ≤ room·μ + cap·σ ≤ price, which is weak duality for the capped program too.
    double[][] mu = solution.shapePrices();
    double[][] sigma = solution.capPrices();
    if (!enforce) {
      caps = List.of();
    }
    for (int i = 0; i < t; i++) {
      double used = 0;
      for (int r = 0; r < ra; r++) {
        used += room[i][r] * mu[i][r];
      }
      for (int g = 0; g < caps.size(); g++) {
        used += caps.get(g).limit() * sigma[i][g];
      }
      if (used > price[i]) {
        for (int r = 0; r < ra; r++) {
          mu[i][r] *= price[i] / used;
        }
        for (int g = 0; g < caps.size(); g++) {
          sigma[i][g] *= price[i] / used;
        }
      }
    }
    int[][] capsOf = CoveringProgram.capsOf(caps, k);
    double[] worth = new double[k];
    java.util.Arrays.fill(worth, Double.POSITIVE_INFINITY);
    for (int i = 0; i < t; i++) {
      BitSet h = keptHolds.get(i);
      for (int c = h.nextSetBit(0); c >= 0; c = h.nextSetBit(c + 1)) {
        double w = 0;
        for (int r = 0; r < ra; r++) {
          w += req[c][r] * mu[i][r];
        }
        for (int g : capsOf[c]) {
          w += sigma[i][g];
        }
        worth[c] = Math.min(worth[c], w);
      }
    }
    double[] values = new double[k];
    double perClassBound = 0;
    for (int c = 0; c < k; c++) {
      values[c] = Math.max(0, Math.min(solution.classPrices()[c], worth[c]));
      perClassBound += demand[c] * values[c];
    }
    if (perClassBound < split.bound()) {
      return split;
    }
    double[] nodes = new double[shapes.size()];
    List<Assignment> assignments = new ArrayList<>();
    for (int i = 0; i < t; i++) {
      nodes[kept.get(i)] = solution.nodes()[i];
      double[] pods = solution.pods()[i];
      if (pods == null) {
        continue;
      }
      for (int c = 0; c < k; c++) {
        if (pods[c] > 1e-6) {
          assignments.add(new Assignment(c, kept.get(i), pods[c]));
        }
      }
    }
    return new Result(perClassBound, nodes, split.prices(), values, assignments, solution.tooFewNodes());
  }

  /** The per-class program as one dense tableau over its dual: exact, but slow beyond a few hundred pairs. */
  private static Result dense(Result split, List<NodeShape> shapes, List<long[]> classDemand, long[] classCount,
      int[] active, double[] scale, List<Integer> kept, List<int[]> pairs) {
    int k = classCount.length;
    int t = kept.size();
    int ra = active.length;
    int vars = k + t * ra;
    int rows = t + pairs.size();
    double[][] a = new double[rows][vars];
    double[] b = new double[rows];
    for (int i = 0; i < t; i++) {
      NodeShape s = shapes.get(kept.get(i));
      for (int r = 0; r < ra; r++) {
        a[i][k + i * ra + r] = s.room[active[r]] / scale[active[r]];
      }
      b[i] = s.minPrice;
    }
    for (int p = 0; p < pairs.size(); p++) {
      int c = pairs.get(p)[0];
      int i = pairs.get(p)[1];
      a[t + p][c] = 1;
      for (int r = 0; r < ra; r++) {
        a[t + p][k + i * ra + r] = -classDemand.get(c)[active[r]] / scale[active[r]];
      }
    }
    double[] objective = new double[vars];
    for (int c = 0; c < k; c++) {
      objective[c] = classCount[c];
    }
    Simplex.Solution solution = Simplex.maximize(a, b, objective, 50_000);
    if (!solution.optimal()) {
      return split;
    }
    // Repair as above: each shape's prices scaled inside its row, each class worth no more than its cheapest home.
    double[] y = solution.y().clone();
    for (int i = 0; i < t; i++) {
      double used = 0;
      for (int r = 0; r < ra; r++) {
        used += a[i][k + i * ra + r] * y[k + i * ra + r];
      }
      if (used > b[i]) {
        for (int r = 0; r < ra; r++) {
          y[k + i * ra + r] *= b[i] / used;
        }
      }
    }
    double[] worth = new double[k];
    java.util.Arrays.fill(worth, Double.POSITIVE_INFINITY);
    for (int p = 0; p < pairs.size(); p++) {
      int c = pairs.get(p)[0];
      int i = pairs.get(p)[1];
      double w = 0;
      for (int r = 0; r < ra; r++) {
        w -= a[t + p][k + i * ra + r] * y[k + i * ra + r];
      }
      worth[c] = Math.min(worth[c], w);
    }
    double perClassBound = 0;
    for (int c = 0; c < k; c++) {
      y[c] = Math.max(0, Math.min(y[c], worth[c]));
      perClassBound += objective[c] * y[c];
    }
    if (perClassBound < split.bound()) {
      return split;
    }
    double[] nodes = new double[shapes.size()];
    for (int i = 0; i < t; i++) {
      nodes[kept.get(i)] = Math.max(0, solution.rowDuals()[i]);
    }
    double[] values = new double[k];
    System.arraycopy(y, 0, values, 0, k);
    List<Assignment> assignments = new ArrayList<>();
    for (int p = 0; p < pairs.size(); p++) {
      double pods = solution.rowDuals()[t + p];
      if (pods > 1e-6) {
        assignments.add(new Assignment(pairs.get(p)[0], kept.get(pairs.get(p)[1]), pods));
      }
    }
    return new Result(perClassBound, nodes, split.prices(), values, assignments, false);
  }

  /**
   * The shapes that no other shape beats, where beating means holding every class this one holds and giving at
   * least as much of every resource per dollar (per-node caps included, when it holds capped classes): dropping them
   * leaves the per-class optimum unchanged.
   */
  static void undominated(List<NodeShape> shapes, List<Integer> candidates, List<BitSet> holds,
      BitSet capped, int[] active, double[] scale, List<Integer> kept, List<BitSet> keptHolds) {
    int n = candidates.size();
    double[][] perDollar = new double[n][active.length];
    for (int j = 0; j < n; j++) {
      NodeShape s = shapes.get(candidates.get(j));
      for (int i = 0; i < active.length; i++) {
        perDollar[j][i] = s.room[active[i]] / scale[active[i]] / s.minPrice;
      }
    }
    // the classes each shape holds as words, side by side, so that checking one shape's within another's allocates
    // nothing, and building them allocates once (a copy per shape was a tenth of a small scheduling's bound)
    int longest = 0;
    for (BitSet h : holds) {
      longest = Math.max(longest, h.length());
    }
    int words = (longest + 63) >>> 6;
    long[] held = new long[n * words];
    for (int j = 0; j < n; j++) {
      BitSet h = holds.get(j);
      for (int c = h.nextSetBit(0); c >= 0; c = h.nextSetBit(c + 1)) {
        held[j * words + (c >>> 6)] |= 1L << c;
      }
    }
    boolean[] holdsCapped = new boolean[n];
    for (int j = 0; j < n; j++) {
      holdsCapped[j] = holds.get(j).intersects(capped);
    }
    // a per-node cap is room every node has alike, so per dollar it favours the cheaper node
    boolean[] beaten = beaten(perDollar, bestFirst(perDollar), (o, j) -> (!holdsCapped[j]
        || shapes.get(candidates.get(o)).minPrice <= shapes.get(candidates.get(j)).minPrice)
        && within(held, j * words, o * words, words));
    for (int j = 0; j < n; j++) {
      if (!beaten[j]) {
        kept.add(candidates.get(j));
        keptHolds.add(holds.get(j));
      }
    }
  }

  /** What beating asks besides as much of every resource per dollar (and more of one, or the lower index). */
  @FunctionalInterface
  private interface AlsoBeats {
    boolean test(int o, int j);
  }

  /**
   * Which rows of {@code perDollar} another row beats. Beating is transitive (each of its tests is, ties broken by
   * index), so a row beaten by some row is beaten by one no row beats. Taken in {@code order}, where every row comes
   * after those that beat it, each row is compared with the unbeaten rows found before it only: a few dozen, where
   * the rows at least as good on the first resource were hundreds of a full catalog's, and that check was most of a
   * small scheduling. Rows not in the order are beaten by none.
   */
  private static boolean[] beaten(double[][] perDollar, int[] order, AlsoBeats also) {
    boolean[] beaten = new boolean[perDollar.length];
    int[] unbeaten = new int[perDollar.length];
    int found = 0;
    for (int j : order) {
      boolean dominated = false;
      for (int u = 0; u < found && !dominated; u++) {
        int o = unbeaten[u];
        boolean atLeast = true;
        boolean better = false;
        for (int i = 0; i < perDollar[j].length && atLeast; i++) {
          atLeast = perDollar[o][i] >= perDollar[j][i];
          better |= perDollar[o][i] > perDollar[j][i];
        }
        dominated = atLeast && (better || o < j) && also.test(o, j);
      }
      if (dominated) {
        beaten[j] = true;
      } else {
        unbeaten[found++] = j;
      }
    }
    return beaten;
  }

  /**
   * The rows of {@code perDollar} with no value that is not a number (such a row beats none and none beats it),
   * by every value descending, then by index: a row comes after every row at least as good on each value.
   */
  private static int[] bestFirst(double[][] perDollar) {
    int n = perDollar.length;
    int[] rows = new int[n];
    int count = 0;
    for (int j = 0; j < n; j++) {
      boolean numbers = true;
      for (double v : perDollar[j]) {
        numbers &= !Double.isNaN(v);
      }
      if (numbers) {
        rows[count++] = j;
      }
    }
    rows = java.util.Arrays.copyOf(rows, count);
    if (count == 0 || perDollar[0].length == 0) {
      return rows;
    }
    // by the first two values (primitive keys: a comparator over boxed rows was most of this check), then runs
    // equal on both, rare and short, by the rest
    double[] first = new double[n];
    double[] second = new double[n];
    for (int j : rows) {
      first[j] = -perDollar[j][0];
      second[j] = perDollar[j].length > 1 ? -perDollar[j][1] : 0;
    }
    IndexOrder.sort(rows, new int[n], first, second);
    for (int from = 0; from < count && perDollar[0].length > 2; ) {
      int to = from + 1;
      while (to < count && first[rows[to]] == first[rows[from]] && second[rows[to]] == second[rows[from]]) {
        to++;
      }
      for (int i = from + 1; i < to; i++) {
        int x = rows[i];
        int k = i - 1;
        while (k >= from && after(perDollar, rows[k], x)) {
          rows[k + 1] = rows[k];
          k--;
        }
        rows[k + 1] = x;
      }
      from = to;
    }
    return rows;
  }

  /**
   * Whether row {@code a} goes after row {@code b} among rows equal on their first two values: less of the first
   * value after those that differs, or none differing and a higher index.
   */
  private static boolean after(double[][] perDollar, int a, int b) {
    for (int i = 2; i < perDollar[a].length; i++) {
      int c = Double.compare(perDollar[b][i], perDollar[a][i]);
      if (c != 0) {
        return c > 0;
      }
    }
    return a > b;
  }

  /** Whether every bit of the {@code words} words of {@code held} from {@code of} is set in those from {@code in}. */
  private static boolean within(long[] held, int of, int in, int words) {
    for (int w = 0; w < words; w++) {
      if ((held[of + w] & ~held[in + w]) != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * The rows of {@code perDollar} by their first resource, best first, leaving out those whose first value is not a
   * number (they beat nothing). Either dominance check then looks only at the prefix at least as good as the shape it
   * checks, instead of at every other shape: what it finds is the same, since one beating shape is enough and each
   * must be at least as good on every resource, the first included.
   */
  private static int[] byFirstDescending(double[][] perDollar) {
    if (perDollar.length == 0 || perDollar[0].length == 0) {
      // no resource to compare: every shape is at least as good as every other, so all are looked at
      int[] all = new int[perDollar.length];
      for (int i = 0; i < all.length; i++) {
        all[i] = i;
      }
      return all;
    }
    int[] rows = new int[perDollar.length];
    int count = 0;
    double[] descending = new double[perDollar.length];
    for (int i = 0; i < perDollar.length; i++) {
      if (!Double.isNaN(perDollar[i][0])) {
        rows[count++] = i;
        descending[i] = -perDollar[i][0];
      }
    }
    rows = java.util.Arrays.copyOf(rows, count);
    IndexOrder.sort(rows, new int[perDollar.length], descending, new double[perDollar.length]);
    return rows;
  }

  /** The shapes no other shape of the same membership beats on every resource per dollar. */
  static List<Integer> paretoFront(List<NodeShape> shapes, List<Integer> candidates, int[] active,
      double[] scale) {
    int n = candidates.size();
    double[][] perDollar = new double[n][active.length];
    for (int k = 0; k < n; k++) {
      NodeShape s = shapes.get(candidates.get(k));
      for (int i = 0; i < active.length; i++) {
        perDollar[k][i] = s.room[active[i]] / scale[active[i]] / s.minPrice;
      }
    }
    List<Integer> front = new ArrayList<>(n);
    int[] best = bestFirst(perDollar);
    if (best.length == n) {
      // every value a number: beating is then transitive, as in undominated
      boolean[] beaten = beaten(perDollar, best, (o, k) -> true);
      for (int k = 0; k < n; k++) {
        if (!beaten[k]) {
          front.add(candidates.get(k));
        }
      }
      return front;
    }
    int[] byFirst = byFirstDescending(perDollar);
    for (int k = 0; k < n; k++) {
      boolean dominated = false;
      // only a shape at least as good on the first resource can beat this one: those come first in byFirst
      for (int p = 0; p < byFirst.length && !dominated
          && (perDollar[k].length == 0 || perDollar[byFirst[p]][0] >= perDollar[k][0]); p++) {
        int o = byFirst[p];
        if (o == k) {
          continue;
        }
        boolean atLeast = true;
        boolean better = false;
        for (int i = 0; i < active.length; i++) {
          if (perDollar[o][i] < perDollar[k][i]) {
            atLeast = false;
            break;
          }
          if (perDollar[o][i] > perDollar[k][i]) {
            better = true;
          }
        }
        dominated = atLeast && (better || o < k);
      }
      if (!dominated) {
        front.add(candidates.get(k));
      }
    }
    return front;
  }
}
