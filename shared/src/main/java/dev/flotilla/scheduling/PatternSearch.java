package dev.flotilla.scheduling;

/**
 * The most valuable whole set of pods one node holds: a small multi-resource knapsack over kinds of pods, each with
 * a worth and a most that may be taken, solved by depth-first search with a bound on what the room left can earn.
 * The search visits at most {@code budget} states, so a large node returns the best set found within it.
 */
final class PatternSearch {

  /** What one empty node offers. */
  private final long[] nodeRoom;
  private final long[][] requests;
  private final long[] zoneMasks;
  private final int[] most;
  private final double[] worth;
  private final int[] order;
  private final int[] counts;
  /** Per resource, the best worth per unit among kinds from position i on: what room can earn at most. */
  private final double[][] density;
  /**
   * The room left below each depth: depth i writes only row i + 1, and reads its own or an ancestor's row, which no
   * deeper call writes, so the search allocates nothing per state.
   */
  private final long[][] rooms;
  private int budget;

  final int[] best;
  double bestValue;
  long bestZoneMask;

  /**
   * @param room      what one empty node offers
   * @param requests  one pod's requests for each kind
   * @param zoneMasks the zones each kind may run in
   * @param most      how many of each kind may be taken (0 leaves a kind out)
   * @param worth     what one pod of each kind is worth
   */
  PatternSearch(long[] room, long[][] requests, long[] zoneMasks, int[] most, double[] worth, int budget) {
    this.nodeRoom = room;
    this.requests = requests;
    this.zoneMasks = zoneMasks;
    this.most = most;
    this.worth = worth;
    this.budget = budget;
    int n = requests.length;
    // the kinds worth most for the share of the node they take first, so good sets are met early
    int[] byDensity = new int[n];
    double[] key = new double[n];
    for (int k = 0; k < n; k++) {
      byDensity[k] = k;
      double share = 1e-9;
      for (int r = 0; r < room.length; r++) {
        if (room[r] > 0) {
          share = Math.max(share, (double) requests[k][r] / room[r]);
        }
      }
      key[k] = -worth[k] / share;
    }
    IndexOrder.sort(byDensity, new int[n], key, new double[n]);
    this.order = byDensity;
    this.counts = new int[n];
    this.best = new int[n];
    this.density = new double[n + 1][room.length];
    this.rooms = new long[n + 1][room.length];
    for (int i = n - 1; i >= 0; i--) {
      int k = order[i];
      for (int r = 0; r < room.length; r++) {
        double d = most[k] == 0 || worth[k] <= 0 ? 0
            : requests[k][r] > 0 ? worth[k] / requests[k][r] : Double.POSITIVE_INFINITY;
        density[i][r] = Math.max(density[i + 1][r], d);
      }
    }
  }

  /** Whether the search stopped at its budget: its best set may then not be the best there is. */
  boolean exhausted() {
    return budget < 0;
  }

  /** Runs the search from an empty node in the zones of {@code zoneMask}. */
  PatternSearch run(long zoneMask) {
    search(0, nodeRoom.clone(), zoneMask, 0);
    return this;
  }

  /**
   * As {@link #run}, but the search starts from the best set its linear relaxation gives over the kinds that may run
   * in every zone of {@code zoneMask}: the relaxation's optimum rounded down, the room it leaves then filled with the
   * densest kinds first. On a large node the search's budget covers only the sets that take the most of the densest
   * kinds, lopsided ones where one resource runs out and the others idle; the relaxation balances the resources, so
   * the search starts from a set within a few pods of the best and prunes against it. Without it, the program over a
   * store's 2,500 shards and 10 kinds of services (the bench's store sweep, seed 2) ended 1.7% dearer.
   */
  PatternSearch runFromRelaxation(long zoneMask) {
    if (zoneMask == 0) {
      return run(zoneMask);
    }
    int[] admitted = new int[requests.length];
    int n = 0;
    for (int kind = 0; kind < requests.length; kind++) {
      if (most[kind] > 0 && worth[kind] > 0 && (zoneMasks[kind] & zoneMask) == zoneMask
          && Dims.copiesThatFit(requests[kind], nodeRoom) > 0) {
        admitted[n++] = kind;
      }
    }
    if (n > 0) {
      takeRoundedRelaxation(java.util.Arrays.copyOf(admitted, n), zoneMask);
    }
    return run(zoneMask);
  }

  /** The relaxation's optimum over {@code kinds} rounded down and filled, kept as the best where it is worth more. */
  private void takeRoundedRelaxation(int[] kinds, long zoneMask) {
    int n = kinds.length;
    int[] cap = new int[n];
    for (int i = 0; i < n; i++) {
      cap[i] = (int) Math.min(most[kinds[i]], Dims.copiesThatFit(requests[kinds[i]], nodeRoom));
    }
    // a row per resource the kinds could run out of, as shares of the node, then one per kind for its cap
    java.util.List<double[]> rows = new java.util.ArrayList<>();
    java.util.List<Double> limits = new java.util.ArrayList<>();
    for (int r = 0; r < nodeRoom.length; r++) {
      double all = 0;
      double[] row = new double[n];
      for (int i = 0; i < n; i++) {
        row[i] = nodeRoom[r] > 0 ? (double) requests[kinds[i]][r] / nodeRoom[r] : 0;
        all += row[i] * cap[i];
      }
      if (all > 1) {
        rows.add(row);
        limits.add(1.0);
      }
    }
    for (int i = 0; i < n; i++) {
      double[] row = new double[n];
      row[i] = 1;
      rows.add(row);
      limits.add((double) cap[i]);
    }
    double[] c = new double[n];
    for (int i = 0; i < n; i++) {
      c[i] = worth[kinds[i]];
    }
    double[] y = Simplex.maximize(rows.toArray(new double[0][]), limits.stream().mapToDouble(Double::doubleValue)
        .toArray(), c, 50 * (n + rows.size())).y();
    int[] taken = new int[requests.length];
    long[] left = nodeRoom.clone();
    for (int i = 0; i < n; i++) {
      // what fits checked on whole pods: the relaxation's values are exact only to its tolerance
      take(kinds[i], (long) Math.max(0, Math.min(cap[i], Math.floor(y[i] + 1e-9))), taken, left);
    }
    for (int kind : order) {
      int i = java.util.Arrays.binarySearch(kinds, kind);
      if (i >= 0) {
        take(kind, cap[i] - taken[kind], taken, left);
      }
    }
    double value = 0;
    for (int kind = 0; kind < taken.length; kind++) {
      value += taken[kind] * worth[kind];
    }
    if (value > bestValue + 1e-12) {
      bestValue = value;
      bestZoneMask = zoneMask; // every kind taken runs in each of its zones
      System.arraycopy(taken, 0, best, 0, taken.length);
    }
  }

  /** Adds up to {@code wanted} pods of the kind to {@code taken}, as many as {@code left} holds, and takes their room. */
  private void take(int kind, long wanted, int[] taken, long[] left) {
    long n = Math.min(wanted, Dims.copiesThatFit(requests[kind], left));
    if (n > 0) {
      taken[kind] += (int) n;
      for (int r = 0; r < left.length; r++) {
        left[r] -= requests[kind][r] * n;
      }
    }
  }

  private void search(int i, long[] room, long zoneMask, double value) {
    if (value > bestValue + 1e-12) {
      bestValue = value;
      bestZoneMask = zoneMask;
      System.arraycopy(counts, 0, best, 0, counts.length);
    }
    if (i == order.length || --budget < 0) {
      return;
    }
    double upper = Double.POSITIVE_INFINITY;
    for (int r = 0; r < room.length; r++) {
      upper = Math.min(upper, room[r] * density[i][r]);
    }
    if (value + upper <= bestValue + 1e-12) {
      return;
    }
    int k = order[i];
    long[] req = requests[k];
    int max = (zoneMasks[k] & zoneMask) == 0 || worth[k] <= 0 ? 0
        : (int) Math.min(most[k], Dims.copiesThatFit(req, room));
    long narrowed = zoneMask & zoneMasks[k];
    for (int n = max; n >= 0 && budget >= 0; n--) {
      long[] left = room;
      if (n > 0) {
        left = rooms[i + 1];
        System.arraycopy(room, 0, left, 0, room.length);
        for (int r = 0; r < req.length; r++) {
          left[r] -= req[r] * n;
        }
      }
      counts[k] = n;
      search(i + 1, left, n > 0 ? narrowed : zoneMask, value + n * worth[k]);
    }
    counts[k] = 0;
  }
}
