package dev.flotilla.scheduling;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The per-class covering program solved by column generation, so it scales to hundreds of classes over hundreds of
 * shapes. A column is one node of a shape with a fractional load of the classes it holds (within its room); the
 * master buys columns to cover every class's pods:
 *
 * <pre>
 *   min Σ_j price[j]·λ[j]   s.t.  Σ_j load[j][c]·λ[j] ≥ n[c]  for every class c,  λ ≥ 0
 * </pre>
 *
 * <p>The master is a revised simplex over a basis of one column per class, started from each class's cheapest pure
 * column (a diagonal, feasible basis). Given the master's dual prices π, the best column of a shape is the small
 * program {@code max π·x s.t. Σ_c req[c]·x[c] ≤ room} (one row per resource, and per cap below), whose optimum
 * has at most one class per row; columns whose price is below what they are worth enter, until none is. The loads
 * a node may take are exactly the convex hull of those vertices, so the optimum is that of the per-class program
 * over the same shapes.
 *
 * <p>Per-node caps (hostname anti-affinity, required hostname spread, host ports) are rows of the pricing program too:
 * {@code Σ_{c∈G} x[c] ≤ cap[G]}. A node then holds at most that many pods of the capped classes, however much room
 * it has, which is what keeps the optimum from stacking a hundred pods that repel each other on one large node.
 *
 * <p>The pricing program's dual gives each shape's resource prices μ and cap prices σ; with them the caller can pull
 * π back inside the per-class dual's constraints, so the figure it reports is a true lower bound whatever the
 * rounding.
 */
final class CoveringProgram {

  /**
   * @param optimal whether no column could improve the master (else the figures are those of the last basis)
   * @param classPrices π: per class, what one pod is worth at the optimum
   * @param shapePrices μ: per shape, its resource prices (by resource), from its pricing program at π
   * @param capPrices   σ: per shape, the price of each per-node cap (by cap), from the same program
   * @param nodes       per shape, fractional nodes bought
   * @param pods        per shape, pods of each class it holds in the optimum (null where none)
   * @param tooFewNodes whether some cap has more pods than the nodes bought that may hold them could take at the cap,
   *                    so no shuffling of pods between those nodes keeps it
   */
  record Solution(boolean optimal, double[] classPrices, double[][] shapePrices, double[][] capPrices,
      double[] nodes, double[][] pods, boolean tooFewNodes) {}

  /** At most {@code limit} pods of {@code classes}, together, on one node. */
  record PerNodeCap(int limit, int[] classes) {}

  private static final double EPS = 1e-9;
  private static final int REFACTOR_EVERY = 64;

  private final double[][] req;
  private final double[] demand;
  private final double[][] room;
  private final double[] price;
  private final List<BitSet> holds;
  /** The caps the program keeps: those given, or none when they are only checked. */
  private final List<PerNodeCap> caps;
  private final List<PerNodeCap> checked;
  /** Per class, the caps it counts in. */
  private final int[][] capsOf;
  private final int k;
  private final int ra;

  // generated columns: shape, price, dense load over classes
  private final List<Integer> colShape = new ArrayList<>();
  private final List<double[]> colLoad = new ArrayList<>();
  private final List<int[]> colSupport = new ArrayList<>();

  // the basis: for each row, a column index (>= 0) or a surplus column (-1 - class)
  private int[] basis;
  private double[][] binv;
  private double[] xb;

  /**
   * @param req    per class, one pod's requests (by resource, scaled)
   * @param demand per class, pods to cover
   * @param room   per shape, what a node holds (by resource, same scale)
   * @param price  per shape, USD per hour
   * @param holds  per shape, the classes it may hold (each fits whole)
   * @param caps   per-node caps on classes' pods together
   * @param enforce whether the program keeps the caps; if not, the solution only says whether it happens to
   */
  private CoveringProgram(double[][] req, double[] demand, double[][] room, double[] price, List<BitSet> holds,
      List<PerNodeCap> caps, boolean enforce) {
    this.req = req;
    this.demand = demand;
    this.room = room;
    this.price = price;
    this.holds = holds;
    this.caps = enforce ? caps : List.of();
    this.checked = caps;
    this.k = demand.length;
    this.ra = room.length == 0 ? 0 : room[0].length;
    this.capsOf = capsOf(this.caps, k);
  }

  /** Per class (of {@code k}), the indexes of the caps it counts in. */
  static int[][] capsOf(List<PerNodeCap> caps, int k) {
    int[] counts = new int[k];
    caps.forEach(cap -> java.util.Arrays.stream(cap.classes()).forEach(c -> counts[c]++));
    int[][] capsOf = new int[k][];
    for (int c = 0; c < k; c++) {
      capsOf[c] = new int[counts[c]];
      counts[c] = 0;
    }
    for (int g = 0; g < caps.size(); g++) {
      for (int c : caps.get(g).classes()) {
        capsOf[c][counts[c]++] = g;
      }
    }
    return capsOf;
  }

  /** Solves the program, or returns null when some class no shape holds or no pod of it needs any resource. */
  static Solution solve(double[][] req, double[] demand, double[][] room, double[] price, List<BitSet> holds,
      List<PerNodeCap> caps, boolean enforce, int maxPivots) {
    return new CoveringProgram(req, demand, room, price, holds, caps, enforce).run(maxPivots);
  }

  /** Pricing is split into this many tasks, shapes dealt round-robin, so that lanes finish close together. */
  private static final int PRICING_TASKS = 8;
  /** Below this many shape and class pairs a pricing round takes well under a millisecond: one lane does it. */
  private static final long PARALLEL_PRICING = 20_000;

  private Solution run(int maxPivots) {
    if (!start()) {
      return null;
    }
    int pivots = 0;
    int sinceRefactor = 0;
    boolean optimal = false;
    double[] pi = new double[k];
    double[] d = new double[k];
    while (pivots < maxPivots) {
      duals(pi);
      // the pool first: the cheapest pivots, with no pricing program to solve
      int enter = bestPooled(pi);
      if (enter == Integer.MIN_VALUE) {
        // nothing in the pool improves: ask every shape for its best column (each on its own, so side by side
        // where there are cores; the columns join in shape order whichever lane found them)
        double[][] better = new double[price.length][];
        double[] prices = pi;
        int tasks = Math.min(PRICING_TASKS, price.length);
        Lanes.run(tasks, (long) price.length * k >= PARALLEL_PRICING, (task, lane) -> {
          for (int t = task; t < price.length; t += tasks) {
            double[] x = new double[k];
            double worth = bestLoad(t, prices, x, null, null);
            if (price[t] - worth < -EPS * Math.max(1, price[t])) {
              better[t] = x;
            }
          }
        });
        boolean added = false;
        for (int t = 0; t < price.length; t++) {
          if (better[t] != null) {
            addColumn(t, better[t]);
            added = true;
          }
        }
        if (!added) {
          optimal = true;
          break;
        }
        enter = bestPooled(pi);
        if (enter == Integer.MIN_VALUE) {
          optimal = true;
          break;
        }
      }
      column(enter, d);
      int leave = ratioTest(d);
      if (leave < 0) {
        // cannot happen for a covering program with non-negative prices; give up rather than loop
        break;
      }
      pivot(leave, enter, d);
      pivots++;
      if (++sinceRefactor >= REFACTOR_EVERY) {
        if (!refactor()) {
          break;
        }
        sinceRefactor = 0;
      }
    }
    refactor();
    duals(pi);
    double[][] mu = new double[price.length][];
    double[][] sigma = new double[price.length][];
    for (int t = 0; t < price.length; t++) {
      mu[t] = new double[ra];
      sigma[t] = new double[caps.size()];
      bestLoad(t, pi, new double[k], mu[t], sigma[t]);
    }
    double[] nodes = new double[price.length];
    double[][] pods = new double[price.length][];
    for (int i = 0; i < k; i++) {
      int j = basis[i];
      double lambda = Math.max(0, xb[i]);
      if (j < 0 || lambda <= 0) {
        continue;
      }
      int t = colShape.get(j);
      nodes[t] += lambda;
      if (pods[t] == null) {
        pods[t] = new double[k];
      }
      double[] load = colLoad.get(j);
      for (int c : colSupport.get(j)) {
        pods[t][c] += lambda * load[c];
      }
    }
    return new Solution(optimal, pi, mu, sigma, nodes, pods, tooFewNodes(nodes));
  }

  private boolean tooFewNodes(double[] nodes) {
    for (PerNodeCap cap : checked) {
      double pods = 0;
      for (int c : cap.classes()) {
        pods += demand[c];
      }
      double room = 0;
      for (int t = 0; t < nodes.length; t++) {
        for (int c : cap.classes()) {
          if (holds.get(t).get(c)) {
            room += nodes[t] * cap.limit();
            break;
          }
        }
      }
      if (pods > room + 1e-6) {
        return true;
      }
    }
    return false;
  }

  /** The starting basis: for each class, the pure column of the shape that holds its pods cheapest. */
  private boolean start() {
    basis = new int[k];
    for (int c = 0; c < k; c++) {
      double best = Double.POSITIVE_INFINITY;
      int bestShape = -1;
      double bestPods = 0;
      for (int t = 0; t < price.length; t++) {
        if (!holds.get(t).get(c)) {
          continue;
        }
        double fit = podsPerNode(c, t);
        if (Double.isInfinite(fit)) {
          return false;
        }
        if (fit > 0 && price[t] / fit < best) {
          best = price[t] / fit;
          bestShape = t;
          bestPods = fit;
        }
      }
      if (bestShape < 0) {
        return false;
      }
      double[] load = new double[k];
      load[c] = bestPods;
      basis[c] = addColumn(bestShape, load);
    }
    return refactor();
  }

  private double podsPerNode(int c, int t) {
    double fit = Double.POSITIVE_INFINITY;
    for (int r = 0; r < ra; r++) {
      if (req[c][r] > 0) {
        fit = Math.min(fit, room[t][r] / req[c][r]);
      }
    }
    for (int g : capsOf[c]) {
      fit = Math.min(fit, caps.get(g).limit());
    }
    return fit;
  }

  private int addColumn(int t, double[] load) {
    int n = 0;
    for (int c = 0; c < k; c++) {
      if (load[c] > 0) {
        n++;
      }
    }
    int[] support = new int[n];
    n = 0;
    for (int c = 0; c < k; c++) {
      if (load[c] > 0) {
        support[n++] = c;
      }
    }
    colShape.add(t);
    colLoad.add(load);
    colSupport.add(support);
    return colShape.size() - 1;
  }

  /** π = c_B·B⁻¹. */
  private void duals(double[] pi) {
    java.util.Arrays.fill(pi, 0);
    for (int i = 0; i < k; i++) {
      double cost = basis[i] >= 0 ? price[colShape.get(basis[i])] : 0;
      if (cost == 0) {
        continue;
      }
      double[] row = binv[i];
      for (int c = 0; c < k; c++) {
        pi[c] += cost * row[c];
      }
    }
  }

  /**
   * The pooled column (or surplus, as {@code -1 - class}) with the most negative reduced cost relative to its price,
   * or {@link Integer#MIN_VALUE} when none is negative.
   */
  private int bestPooled(double[] pi) {
    int best = Integer.MIN_VALUE;
    double most = -EPS;
    for (int c = 0; c < k; c++) {
      // a surplus column: cost 0, load -1 on its class
      if (pi[c] < most) {
        most = pi[c];
        best = -1 - c;
      }
    }
    for (int j = 0; j < colShape.size(); j++) {
      double p = price[colShape.get(j)];
      double worth = 0;
      double[] load = colLoad.get(j);
      for (int c : colSupport.get(j)) {
        worth += pi[c] * load[c];
      }
      double reduced = (p - worth) / Math.max(p, 1e-12);
      if (reduced < most) {
        most = reduced;
        best = j;
      }
    }
    return best;
  }

  /** d = B⁻¹·a for column {@code j}. */
  private void column(int j, double[] d) {
    if (j < 0) {
      int c = -1 - j;
      for (int i = 0; i < k; i++) {
        d[i] = -binv[i][c];
      }
      return;
    }
    double[] load = colLoad.get(j);
    int[] support = colSupport.get(j);
    for (int i = 0; i < k; i++) {
      double[] row = binv[i];
      double s = 0;
      for (int c : support) {
        s += row[c] * load[c];
      }
      d[i] = s;
    }
  }

  private int ratioTest(double[] d) {
    int leave = -1;
    double best = Double.POSITIVE_INFINITY;
    for (int i = 0; i < k; i++) {
      if (d[i] > 1e-9) {
        double ratio = Math.max(0, xb[i]) / d[i];
        if (ratio < best - 1e-12 || (ratio <= best + 1e-12 && leave >= 0 && d[i] > d[leave])) {
          best = ratio;
          leave = i;
        }
      }
    }
    return leave;
  }

  private void pivot(int leave, int enter, double[] d) {
    double[] prow = binv[leave];
    double inv = 1.0 / d[leave];
    for (int c = 0; c < k; c++) {
      prow[c] *= inv;
    }
    xb[leave] *= inv;
    for (int i = 0; i < k; i++) {
      if (i == leave || d[i] == 0) {
        continue;
      }
      double f = d[i];
      double[] row = binv[i];
      for (int c = 0; c < k; c++) {
        row[c] -= f * prow[c];
      }
      xb[i] -= f * xb[leave];
    }
    basis[leave] = enter;
  }

  /** Recomputes B⁻¹ and the basic values from the basis by Gauss-Jordan elimination; false when B is singular. */
  private boolean refactor() {
    double[][] m = new double[k][2 * k];
    for (int i = 0; i < k; i++) {
      int j = basis[i];
      if (j < 0) {
        m[-1 - j][i] = -1;
      } else {
        double[] load = colLoad.get(j);
        for (int c : colSupport.get(j)) {
          m[c][i] = load[c];
        }
      }
    }
    for (int c = 0; c < k; c++) {
      m[c][k + c] = 1;
    }
    for (int col = 0; col < k; col++) {
      int p = -1;
      double best = 1e-12;
      for (int r = col; r < k; r++) {
        if (Math.abs(m[r][col]) > best) {
          best = Math.abs(m[r][col]);
          p = r;
        }
      }
      if (p < 0) {
        return false;
      }
      double[] tmp = m[p];
      m[p] = m[col];
      m[col] = tmp;
      double[] prow = m[col];
      double inv = 1.0 / prow[col];
      for (int c = col; c < 2 * k; c++) {
        prow[c] *= inv;
      }
      for (int r = 0; r < k; r++) {
        double f = m[r][col];
        if (r == col || f == 0) {
          continue;
        }
        double[] row = m[r];
        for (int c = col; c < 2 * k; c++) {
          row[c] -= f * prow[c];
        }
      }
    }
    binv = new double[k][];
    for (int i = 0; i < k; i++) {
      binv[i] = java.util.Arrays.copyOfRange(m[i], k, 2 * k);
    }
    xb = new double[k];
    for (int i = 0; i < k; i++) {
      double s = 0;
      double[] row = binv[i];
      for (int c = 0; c < k; c++) {
        s += row[c] * demand[c];
      }
      xb[i] = s;
    }
    return true;
  }

  /**
   * The most a node of shape {@code t} is worth at class prices {@code pi}: {@code max π·x} over loads x it can hold.
   * Fills {@code x} with the best load and, when given, {@code mu} and {@code sigma} with the resource and cap prices
   * of the program's dual.
   */
  private double bestLoad(int t, double[] pi, double[] x, double[] mu, double[] sigma) {
    BitSet h = holds.get(t);
    int n = 0;
    for (int c = h.nextSetBit(0); c >= 0; c = h.nextSetBit(c + 1)) {
      if (pi[c] > EPS) {
        n++;
      }
    }
    if (n == 0) {
      return 0;
    }
    int[] cls = new int[n];
    n = 0;
    // the caps that bind some class of this program, each a row after the resources
    int[] capRow = caps.isEmpty() ? null : new int[caps.size()];
    int rows = ra;
    if (capRow != null) {
      java.util.Arrays.fill(capRow, -1);
    }
    for (int c = h.nextSetBit(0); c >= 0; c = h.nextSetBit(c + 1)) {
      if (pi[c] > EPS) {
        cls[n++] = c;
        for (int g : capsOf[c]) {
          if (capRow[g] < 0) {
            capRow[g] = rows++;
          }
        }
      }
    }
    double[][] a = new double[rows][n];
    double[] b = new double[rows];
    double[] obj = new double[n];
    for (int r = 0; r < ra; r++) {
      for (int i = 0; i < n; i++) {
        a[r][i] = req[cls[i]][r];
      }
      b[r] = room[t][r];
    }
    for (int i = 0; i < n; i++) {
      obj[i] = pi[cls[i]];
      for (int g : capsOf[cls[i]]) {
        a[capRow[g]][i] = 1;
        b[capRow[g]] = caps.get(g).limit();
      }
    }
    Simplex.Solution s = Simplex.maximize(a, b, obj, 1_000);
    for (int i = 0; i < n; i++) {
      x[cls[i]] = s.y()[i];
    }
    if (mu != null) {
      for (int r = 0; r < ra; r++) {
        mu[r] = Math.max(0, s.rowDuals()[r]);
      }
    }
    if (sigma != null && capRow != null) {
      for (int g = 0; g < caps.size(); g++) {
        sigma[g] = capRow[g] < 0 ? 0 : Math.max(0, s.rowDuals()[capRow[g]]);
      }
    }
    return s.objective();
  }
}
