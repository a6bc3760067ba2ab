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
  private int[] order;
  private final int[] counts;
  /** Per resource, the best worth per unit among kinds from position i on: what room can earn at most. */
  private final double[][] density;
  /**
   * The room left below each depth: depth i writes only row i + 1, and reads its own or an ancestor's row, which no
   * deeper call writes, so the search allocates nothing per state.
   */
  private final long[][] rooms;
  private int budget;
  /**
   * The weight of each resource in the surrogate bound (see {@link #surrogateBound}), per unit of the resource; null
   * until the linear relaxation has given them, and then the kinds are searched by worth per weight.
   */
  private double[] surrogate;
  /** Each kind's weight: its requests weighed by {@link #surrogate}. */
  private double[] surrogateWeight;

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
    this.counts = new int[n];
    this.best = new int[n];
    this.density = new double[n + 1][room.length];
    this.rooms = new long[n + 1][room.length];
    arrange(byDensity);
  }

  /** Searches the kinds in {@code order}, and works out what room can earn from each position on. */
  private void arrange(int[] order) {
    this.order = order;
    java.util.Arrays.fill(density[order.length], 0);
    for (int i = order.length - 1; i >= 0; i--) {
      int k = order[i];
      for (int r = 0; r < nodeRoom.length; r++) {
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
   * kinds in the search's order. On a large node the search's budget covers only the sets that take the most of the
   * densest kinds, lopsided ones where one resource runs out and the others idle; the relaxation balances the
   * resources, so the search starts from a set within a few pods of the best and prunes against it. Without it, the
   * program over a store's 2,500 shards and 10 kinds of services (the bench's store sweep, seed 2) ended 1.7% dearer.
   * The relaxation's prices of the resources then order the search and bound it ({@link #useSurrogate}).
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
    java.util.List<Integer> resourceRows = new java.util.ArrayList<>();
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
        resourceRows.add(r);
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
    Simplex.Solution relaxed = Simplex.maximize(rows.toArray(new double[0][]), limits.stream()
        .mapToDouble(Double::doubleValue).toArray(), c, 50 * (n + rows.size()));
    useSurrogate(relaxed.rowDuals(), resourceRows);
    double[] y = relaxed.y();
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

  /**
   * Weighs each resource by its row's dual price in the relaxation (per share of the node, so per unit its price over
   * the node's room), weights under which the surrogate bound at the root comes close to the relaxation's optimum,
   * and searches the kinds by worth per weight, leaving out those it may not take. Ranked by their share of the
   * resource each uses most of, kinds are searched as if each resource ran out alone; on a node that CPU and memory
   * fill together, a budget of 2,000 states then spends itself on sets that idle one of them (see
   * {@code PatternSearchTest}). Without a resource the relaxation prices (caps bind first), the order stays.
   */
  private void useSurrogate(double[] duals, java.util.List<Integer> resourceRows) {
    double[] weights = new double[nodeRoom.length];
    boolean any = false;
    for (int row = 0; row < resourceRows.size(); row++) {
      int r = resourceRows.get(row);
      double dual = Math.max(0, duals[row]);
      if (dual > 0 && nodeRoom[r] > 0) {
        weights[r] = dual / nodeRoom[r];
        any = true;
      }
    }
    if (!any) {
      return;
    }
    int n = requests.length;
    surrogate = weights;
    surrogateWeight = new double[n];
    // only the kinds that may be taken and are worth something: a level for each of the others spends a state of
    // the budget, and a bound's pass, on nothing (a shape's zone group admits a few of a program's hundred kinds)
    int useful = 0;
    double[] key = new double[n];
    int[] byWorth = new int[n];
    for (int k = 0; k < n; k++) {
      double w = 0;
      for (int r = 0; r < weights.length; r++) {
        w += weights[r] * requests[k][r];
      }
      surrogateWeight[k] = w;
      key[k] = w > 0 ? -worth[k] / w : Double.NEGATIVE_INFINITY;
      if (most[k] > 0 && worth[k] > 0) {
        byWorth[useful++] = k;
      }
    }
    byWorth = java.util.Arrays.copyOf(byWorth, useful);
    IndexOrder.sort(byWorth, new int[n], key, new double[n]);
    arrange(byWorth);
  }

  /**
   * What the room left can earn at most from the kinds at positions {@code i} on: the resources weighed into one
   * (any non-negative weights give a relaxation: a set that fits every resource fits their weighted sum), filled
   * fractionally by the kinds worth most per weight, each at most as many as it may take. Where one resource runs out
   * alone, the bound per resource, checked first, prunes as well; where two run out together (CPU and memory on a
   * node the pods fill evenly) this one is much tighter, and the search prunes the sets that leave one idle.
   */
  private double surrogateBound(int i, long[] room, long zoneMask) {
    double capacity = 0;
    for (int r = 0; r < room.length; r++) {
      capacity += surrogate[r] * room[r];
    }
    // rounding must never make the bound tighter than it is: a set that fills the room exactly must still fit
    capacity *= 1 + 1e-9;
    double earned = 0;
    for (int p = i; p < order.length; p++) {
      int k = order[p];
      if ((zoneMasks[k] & zoneMask) == 0) {
        continue;
      }
      double w = surrogateWeight[k];
      // kinds of no weight come first in the order (their key is -infinity): none is left behind by the return below
      if (w <= 0) {
        earned += Math.min(most[k], Dims.copiesThatFit(requests[k], room)) * worth[k];
        continue;
      }
      // capped by what may be taken, not by what the room holds of each resource: looser, but a division per
      // resource for each kind at each state cost a tenth of a large plan's time
      long copies = most[k];
      if (copies * w <= capacity) {
        capacity -= copies * w;
        earned += copies * worth[k];
      } else {
        return earned + capacity / w * worth[k];
      }
    }
    return earned;
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
    if (surrogate != null && value + surrogateBound(i, room, zoneMask) <= bestValue + 1e-12) {
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
