package dev.flotilla.scheduling;

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
 *
 * <p>At hundreds of classes the master takes tens of thousands of pivots, so each is kept to the entries it changes:
 * the duals follow each pivot by a rank-one update, pool columns are stored as the few classes they hold, a pivot
 * updates B⁻¹ along the non-zeros of its pivot row, and B⁻¹ is rebuilt when the updates drift (checked every 64
 * pivots) or after as many pivots as classes (at least 64). The optimum is declared on a fresh B⁻¹ only.
 */
final class CoveringProgram {

  /**
   * @param optimal whether no column could improve the master (else the figures are those of the last basis, or of
   *                the pure starting basis where the last rebuild found it infeasible)
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
  /**
   * Every this many pivots the updated basis is checked for drift and rebuilt if it drifted; it is rebuilt anyway
   * after as many pivots as classes (at least this many), which clears what the updates filled B⁻¹ with at a cost of
   * the order of as many pivots.
   */
  private static final int REFACTOR_EVERY = 64;
  /** How far, relative, the updated basis may stray from B·x_B = n and c_B = π·B before B⁻¹ is rebuilt. */
  private static final double DRIFT = 1e-9;
  /** An update that leaves less than this part of the entry it changed is cancellation, a few ulps: zero. */
  private static final double CANCELLED = 1e-14;
  /** No pivot on an entry smaller than this. */
  private static final double PIVOT_MIN = 1e-9;
  /** How far below zero the ratio test lets a basic value slip, to pivot on a larger entry. */
  private static final double FEASIBILITY = 1e-9;
  /** A basic value this far below zero is more than the ratio test lets slip: the basis is infeasible. */
  private static final double INFEASIBLE = 1e-6;

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

  // Generated columns, flat so that pricing the pool each pivot walks arrays: column j is a node of shape
  // colShape[j] at colCost[j] holding entLoad[e] pods of class entClass[e] for e in [colStart[j], colStart[j + 1]).
  private int columns;
  private int[] colShape = new int[256];
  private double[] colCost = new double[256];
  private int[] colStart = new int[257];
  private int[] entClass = new int[1024];
  private double[] entLoad = new double[1024];

  // the basis: for each row, a column index (>= 0) or a surplus column (-1 - class)
  private int[] basis;
  /** The starting basis, feasible and diagonal: what the program returns to when a rebuild had to repair B. */
  private int[] pure;
  private double[][] binv;
  /** Scratch for the non-zero positions of a pivot row. */
  private int[] nonZero;
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
    // π is kept by each pivot's rank-one update (O(k), where c_B·B⁻¹ afresh is O(k²)) and recomputed with B⁻¹
    duals(pi);
    while (pivots < maxPivots) {
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
        if (added) {
          enter = bestPooled(pi);
        }
        if (enter == Integer.MIN_VALUE) {
          if (sinceRefactor == 0) {
            optimal = true;
            break;
          }
          // the optimum is declared on B⁻¹ and π afresh, never on updated ones
          rebuild(pi);
          sinceRefactor = 0;
          continue;
        }
      }
      column(enter, d);
      int leave = ratioTest(d);
      if (leave < 0) {
        // no entry of the column is a pivot (every positive one is below PIVOT_MIN): give up rather than loop
        break;
      }
      // π' = π + r·(row `leave` of the new B⁻¹): it still prices every other basic column at its cost, since that
      // row is zero on them, and now prices the entering one at its own
      double reduced = (enter >= 0 ? colCost[enter] : 0) - worth(enter, pi);
      pivot(leave, enter, d);
      double[] row = binv[leave];
      for (int c = 0; c < k; c++) {
        pi[c] += reduced * row[c];
      }
      pivots++;
      // B⁻¹ afresh costs as much as hundreds of pivots at hundreds of classes
      sinceRefactor++;
      if (sinceRefactor >= Math.max(REFACTOR_EVERY, k) || sinceRefactor % REFACTOR_EVERY == 0 && drifted(pi)) {
        rebuild(pi);
        sinceRefactor = 0;
      }
    }
    if (sinceRefactor > 0) {
      rebuild(pi);
    }
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
      int t = colShape[j];
      nodes[t] += lambda;
      if (pods[t] == null) {
        pods[t] = new double[k];
      }
      for (int e = colStart[j]; e < colStart[j + 1]; e++) {
        pods[t][entClass[e]] += lambda * entLoad[e];
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

  /**
   * B⁻¹, x_B and π afresh. Where x_B comes out below {@link #INFEASIBLE} (the rebuild's repair of a basis
   * rounding had let go singular puts a surplus in place of a column that carried pods), the primal simplex cannot
   * walk back from it: the program starts again from the pure columns, every column found so far still in the pool.
   */
  private void rebuild(double[] pi) {
    refactor();
    for (int i = 0; i < k; i++) {
      if (xb[i] < -INFEASIBLE) {
        System.arraycopy(pure, 0, basis, 0, k);
        refactor();
        break;
      }
    }
    duals(pi);
  }

  /** The starting basis: for each class, the pure column of the shape that holds its pods cheapest. */
  private boolean start() {
    basis = new int[k];
    pure = new int[k];
    nonZero = new int[k];
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
      pure[c] = basis[c];
    }
    refactor();
    return true;
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
    if (columns == colShape.length) {
      colShape = java.util.Arrays.copyOf(colShape, 2 * columns);
      colCost = java.util.Arrays.copyOf(colCost, 2 * columns);
      colStart = java.util.Arrays.copyOf(colStart, 2 * columns + 1);
    }
    int at = colStart[columns];
    if (at + n > entClass.length) {
      int size = Math.max(2 * entClass.length, at + n);
      entClass = java.util.Arrays.copyOf(entClass, size);
      entLoad = java.util.Arrays.copyOf(entLoad, size);
    }
    for (int c = 0; c < k; c++) {
      if (load[c] > 0) {
        entClass[at] = c;
        entLoad[at++] = load[c];
      }
    }
    colShape[columns] = t;
    colCost[columns] = price[t];
    colStart[columns + 1] = at;
    return columns++;
  }

  /** π·a for column {@code j} (a surplus column {@code -1 - class} is -1 on its class). */
  private double worth(int j, double[] pi) {
    if (j < 0) {
      return -pi[-1 - j];
    }
    double worth = 0;
    for (int e = colStart[j]; e < colStart[j + 1]; e++) {
      worth += pi[entClass[e]] * entLoad[e];
    }
    return worth;
  }

  /**
   * Whether the updated basic values no longer cover the demand exactly (B·x_B = n) or the updated π no longer prices
   * a basic column at its cost, beyond rounding: O(non-zeros of B), where rebuilding B⁻¹ is O(k²) and more.
   */
  private boolean drifted(double[] pi) {
    double[] residual = demand.clone();
    for (int i = 0; i < k; i++) {
      int j = basis[i];
      if (j < 0) {
        residual[-1 - j] += xb[i];
      } else {
        for (int e = colStart[j]; e < colStart[j + 1]; e++) {
          residual[entClass[e]] -= entLoad[e] * xb[i];
        }
      }
    }
    for (int c = 0; c < k; c++) {
      if (Math.abs(residual[c]) > DRIFT * Math.max(1, demand[c])) {
        return true;
      }
    }
    for (int i = 0; i < k; i++) {
      int j = basis[i];
      double cost = j >= 0 ? colCost[j] : 0;
      if (Math.abs(cost - worth(j, pi)) > DRIFT * Math.max(1, cost)) {
        return true;
      }
    }
    return false;
  }

  /** π = c_B·B⁻¹. */
  private void duals(double[] pi) {
    java.util.Arrays.fill(pi, 0);
    for (int i = 0; i < k; i++) {
      double cost = basis[i] >= 0 ? colCost[basis[i]] : 0;
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
   * The pooled column with the most negative reduced cost relative to its price, or a surplus ({@code -1 - class},
   * reduced cost its class's π, taken as it is) where that is lower, or {@link Integer#MIN_VALUE} when none is
   * negative.
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
    for (int j = 0; j < columns; j++) {
      double p = colCost[j];
      double reduced = (p - worth(j, pi)) / Math.max(p, 1e-12);
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
    int from = colStart[j];
    int to = colStart[j + 1];
    for (int i = 0; i < k; i++) {
      double[] row = binv[i];
      double s = 0;
      for (int e = from; e < to; e++) {
        s += row[entClass[e]] * entLoad[e];
      }
      d[i] = s;
    }
  }

  /**
   * Harris's two-pass ratio test: the longest step any row allows with its value let slip by {@link #FEASIBILITY}
   * below zero (no step where one already has), then, of the rows that bind within that step, the one with the
   * largest pivot, so that the pivot is not a near-zero entry where several rows bind together (as they do in a
   * degenerate covering program). The step taken is never negative ({@link #pivot}).
   */
  private int ratioTest(double[] d) {
    double step = Double.POSITIVE_INFINITY;
    for (int i = 0; i < k; i++) {
      if (d[i] > PIVOT_MIN) {
        step = Math.min(step, (xb[i] + FEASIBILITY) / d[i]);
      }
    }
    step = Math.max(0, step);
    int leave = -1;
    for (int i = 0; i < k; i++) {
      if (d[i] > PIVOT_MIN && Math.max(0, xb[i]) / d[i] <= step && (leave < 0 || d[i] > d[leave])) {
        leave = i;
      }
    }
    return leave;
  }

  private void pivot(int leave, int enter, double[] d) {
    double[] prow = binv[leave];
    double inv = 1.0 / d[leave];
    int nz = 0;
    for (int c = 0; c < k; c++) {
      if (prow[c] != 0) {
        prow[c] *= inv;
        nonZero[nz++] = c;
      }
    }
    // a value the ratio test let slip below zero leaves at zero: a step backwards would push the others further
    xb[leave] = Math.max(0, xb[leave]) * inv;
    for (int i = 0; i < k; i++) {
      if (i == leave || d[i] == 0) {
        continue;
      }
      double f = d[i];
      double[] row = binv[i];
      for (int n = 0; n < nz; n++) {
        int c = nonZero[n];
        // what cancels to rounding is zero, or B⁻¹ fills with dust that every later pivot carries
        double was = row[c];
        double v = was - f * prow[c];
        row[c] = Math.abs(v) <= CANCELLED * Math.abs(was) ? 0 : v;
      }
      xb[i] -= f * xb[leave];
    }
    basis[leave] = enter;
  }

  /**
   * Recomputes B⁻¹ and the basic values from the basis by Gauss-Jordan elimination, giving any column found dependent
   * on the others the place of a surplus.
   */
  private void refactor() {
    double[][] m = new double[k][2 * k];
    for (int i = 0; i < k; i++) {
      int j = basis[i];
      if (j < 0) {
        m[-1 - j][i] = -1;
      } else {
        for (int e = colStart[j]; e < colStart[j + 1]; e++) {
          m[entClass[e]][i] = entLoad[e];
        }
      }
    }
    for (int c = 0; c < k; c++) {
      m[c][k + c] = 1;
    }
    int[] pivotRow = new int[2 * k];
    int[] rowClass = java.util.stream.IntStream.range(0, k).toArray();
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
        // A dependent column gives its place to the surplus of a class no pivot has taken yet, which the
        // eliminations so far turned into -1 on that class's row and nothing else.
        basis[col] = -1 - rowClass[col];
        for (int r = 0; r < k; r++) {
          m[r][col] = 0;
        }
        m[col][col] = -1;
        p = col;
      }
      double[] tmp = m[p];
      m[p] = m[col];
      m[col] = tmp;
      int swapped = rowClass[p];
      rowClass[p] = rowClass[col];
      rowClass[col] = swapped;
      double[] prow = m[col];
      double inv = 1.0 / prow[col];
      // B's columns hold a few classes each, so pivot rows are mostly zeros: eliminate along the non-zeros only
      int nz = 0;
      for (int c = col; c < 2 * k; c++) {
        if (prow[c] != 0) {
          prow[c] *= inv;
          pivotRow[nz++] = c;
        }
      }
      for (int r = 0; r < k; r++) {
        double f = m[r][col];
        if (r == col || f == 0) {
          continue;
        }
        double[] row = m[r];
        for (int i = 0; i < nz; i++) {
          int c = pivotRow[i];
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
