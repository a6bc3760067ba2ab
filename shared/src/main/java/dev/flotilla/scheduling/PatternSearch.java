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

  /** Runs the search from an empty node in the zones of {@code zoneMask}. */
  PatternSearch run(long zoneMask) {
    search(0, nodeRoom.clone(), zoneMask, 0);
    return this;
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
