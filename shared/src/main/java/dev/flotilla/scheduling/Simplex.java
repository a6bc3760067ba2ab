package dev.flotilla.scheduling;

/**
 * A dense tableau simplex for {@code max c·y subject to A·y ≤ b, y ≥ 0} with {@code b ≥ 0}, so the all-slack basis
 * is feasible and one phase suffices. Small by design: the fractional bound's LPs have a few hundred rows.
 *
 * <p>Dantzig's rule picks the entering column; after a run of pivots that do not improve the objective it switches
 * to Bland's rule, which cannot cycle.
 */
final class Simplex {

  /** The optimum: primal values, objective, and the dual value of each row (the shadow price of its constraint). */
  record Solution(double[] y, double objective, double[] rowDuals, boolean optimal) {}

  private static final double EPS = 1e-9;

  private Simplex() {}

  static Solution maximize(double[][] a, double[] b, double[] c, int maxPivots) {
    int m = b.length;
    int n = c.length;
    int width = n + m + 1;
    double[][] t = new double[m + 1][width];
    int[] basis = new int[m];
    for (int i = 0; i < m; i++) {
      if (b[i] < 0) {
        throw new IllegalArgumentException("right-hand side must be non-negative, row " + i);
      }
      System.arraycopy(a[i], 0, t[i], 0, n);
      t[i][n + i] = 1;
      t[i][width - 1] = b[i];
      basis[i] = n + i;
    }
    double[] obj = t[m];
    for (int j = 0; j < n; j++) {
      obj[j] = -c[j];
    }
    int stall = 0;
    boolean optimal = false;
    double last = 0;
    for (int pivot = 0; pivot < maxPivots; pivot++) {
      boolean bland = stall > 50;
      int enter = -1;
      double most = -EPS;
      for (int j = 0; j < width - 1; j++) {
        if (obj[j] < most) {
          enter = j;
          if (bland) {
            break;
          }
          most = obj[j];
        }
      }
      if (enter < 0) {
        optimal = true;
        break;
      }
      int leave = -1;
      double bestRatio = Double.POSITIVE_INFINITY;
      for (int i = 0; i < m; i++) {
        double coef = t[i][enter];
        if (coef > EPS) {
          double ratio = t[i][width - 1] / coef;
          if (ratio < bestRatio - EPS || (ratio < bestRatio + EPS && leave >= 0 && basis[i] < basis[leave])) {
            bestRatio = ratio;
            leave = i;
          }
        }
      }
      if (leave < 0) {
        throw new IllegalStateException("the linear program is unbounded");
      }
      pivot(t, leave, enter);
      basis[leave] = enter;
      double value = obj[width - 1];
      stall = value > last + EPS ? 0 : stall + 1;
      last = value;
    }
    double[] y = new double[n];
    for (int i = 0; i < m; i++) {
      if (basis[i] < n) {
        y[basis[i]] = t[i][width - 1];
      }
    }
    double[] duals = new double[m];
    for (int i = 0; i < m; i++) {
      duals[i] = obj[n + i];
    }
    return new Solution(y, obj[width - 1], duals, optimal);
  }

  private static void pivot(double[][] t, int row, int col) {
    double[] p = t[row];
    double inv = 1.0 / p[col];
    for (int j = 0; j < p.length; j++) {
      p[j] *= inv;
    }
    p[col] = 1.0;
    for (int i = 0; i < t.length; i++) {
      if (i == row) {
        continue;
      }
      double[] r = t[i];
      double f = r[col];
      if (f == 0) {
        continue;
      }
      for (int j = 0; j < r.length; j++) {
        double pj = p[j];
        if (pj != 0) {
          r[j] -= f * pj;
        }
      }
      r[col] = 0;
    }
  }
}
