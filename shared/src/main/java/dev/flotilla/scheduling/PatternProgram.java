package dev.flotilla.scheduling;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The cheapest fleet of whole nodes' worth of pods, relaxed only in how many nodes of each pattern are bought: the
 * pattern program of cutting stock (Gilmore and Gomory), solved by column generation. A pattern is a shape and a
 * whole set of pods one node of it holds. The program's dual prices each kind of pod; the pricing step searches each
 * candidate shape for the set most valuable at those prices, and a set worth more than its node's price joins the
 * program. Its optimum rounds down to whole nodes with little loss, because each pattern is already whole: only the
 * last node of each pattern is fractional, where the fractional bound splits every pod.
 */
final class PatternProgram {

  /** A node shape and how many pods of each kind one node of it takes. */
  record Pattern(int shape, int[] counts, long zoneMask, double price) {}

  /** Patterns with how many nodes of each the optimum buys. */
  record Result(List<Pattern> patterns, double[] nodes) {}

  /**
   * The program's kinds of pods: requests, zones, capacity types, the shapes each may use, how many there are, and
   * how many one node may hold ({@code perNode}: one for pods that repel their own group, a hostname spread's maxSkew;
   * {@link Integer#MAX_VALUE} where nothing caps them).
   */
  record Kinds(long[][] requests, long[] zoneMasks, int[] capacityTypeMasks, BitSet[] shapes, int[] demand,
      int[] perNode) {

    Kinds(long[][] requests, long[] zoneMasks, int[] capacityTypeMasks, BitSet[] shapes, int[] demand) {
      this(requests, zoneMasks, capacityTypeMasks, shapes, demand, uncapped(demand.length));
    }

    int size() {
      return demand.length;
    }

    /** How many pods of the kind one node may take: its demand, at most its cap. */
    int most(int kind) {
      return Math.min(demand[kind], perNode[kind]);
    }

    private static int[] uncapped(int k) {
      int[] caps = new int[k];
      java.util.Arrays.fill(caps, Integer.MAX_VALUE);
      return caps;
    }
  }

  /** Patterns out of the optimum a round keeps, those nearest to paying first. */
  static final int IDLE_KEPT = 64;

  private PatternProgram() {}

  /**
   * @param candidates the shapes the pricing step searches
   * @param worth      a first price of each kind (the fractional bound's), to seed the program with good patterns
   * @param rounds     pricing rounds at most
   * @param budget     states one pattern search may visit
   * @param seeds      patterns to start from besides the candidates' best (the nodes of a plan already made)
   */
  static Result solve(List<NodeShape> shapes, int[] candidates, Kinds kinds, double[] worth, int rounds, int budget,
      List<Pattern> seeds) {
    int k = kinds.size();
    int[] demand = kinds.demand().clone();
    List<Pattern> patterns = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (List<Pattern> found : priceAll(shapes, candidates, kinds, worth, budget, false)) {
      for (Pattern p : found) {
        add(patterns, seen, p);
      }
    }
    for (Pattern seed : seeds) {
      add(patterns, seen, seed);
    }
    // every kind on its own, so the program is feasible whatever the seed patterns cover
    for (int kind = 0; kind < k; kind++) {
      Pattern alone = null;
      for (int s : candidates) {
        NodeShape shape = shapes.get(s);
        if (!fits(shape, kinds, kind)) {
          continue;
        }
        int n = (int) Math.min(kinds.most(kind), Dims.copiesThatFit(kinds.requests()[kind], shape.room));
        long zones = shape.zoneMask & kinds.zoneMasks()[kind];
        double price = shape.price(zones);
        if (alone == null || price / n < alone.price() / alone.counts()[kind]) {
          int[] counts = new int[k];
          counts[kind] = n;
          alone = new Pattern(s, counts, zones, price);
        }
      }
      if (alone == null) {
        // no candidate holds it: the program leaves it out rather than price it without bound
        demand[kind] = 0;
      }
      add(patterns, seen, alone);
    }
    double[] nodes = new double[0];
    int round = 0;
    while (true) {
      round++;
      double[][] a = new double[patterns.size()][k];
      double[] b = new double[patterns.size()];
      for (int p = 0; p < patterns.size(); p++) {
        for (int kind = 0; kind < k; kind++) {
          a[p][kind] = patterns.get(p).counts()[kind];
        }
        b[p] = patterns.get(p).price();
      }
      double[] c = new double[k];
      for (int kind = 0; kind < k; kind++) {
        c[kind] = demand[kind];
      }
      Simplex.Solution solution = Simplex.maximize(a, b, c, 20_000);
      nodes = solution.rowDuals();
      if (round > rounds) {
        break;
      }
      double[] prices = solution.y();
      // the optimum's patterns stay, and the idle ones nearest to paying: dropped, they were found again rounds
      // later, and programs of 20 to 50 kinds with zone topology stopped at the round limit further from their optimum
      // (over the topology sweep's 45 plans of those kinds, 1.031 times the bound on average against 1.032)
      List<Pattern> kept = new ArrayList<>();
      List<Double> keptNodes = new ArrayList<>();
      List<Integer> idle = new ArrayList<>();
      for (int p = 0; p < patterns.size(); p++) {
        if (nodes[p] > 1e-9) {
          kept.add(patterns.get(p));
          keptNodes.add(nodes[p]);
        } else {
          idle.add(p);
        }
      }
      List<Pattern> last = patterns;
      idle.sort(Comparator.comparingDouble((Integer p) -> value(last.get(p), prices) / -last.get(p).price())
          .thenComparingInt(p -> p));
      for (int p : idle.subList(0, Math.min(IDLE_KEPT, idle.size()))) {
        kept.add(patterns.get(p));
        keptNodes.add(0.0);
      }
      int before = kept.size();
      Set<String> keys = new HashSet<>();
      kept.forEach(p -> keys.add(key(p)));
      for (List<Pattern> priced : priceAll(shapes, candidates, kinds, prices, budget, true)) {
        for (Pattern found : priced) {
          if (value(found, prices) > found.price() * (1 + 1e-7)) {
            add(kept, keys, found);
          }
        }
      }
      if (kept.size() == before) {
        patterns = kept;
        nodes = keptNodes.stream().mapToDouble(Double::doubleValue).toArray();
        break;
      }
      patterns = kept;
    }
    return new Result(patterns, nodes);
  }

  /** A pricing round's shapes split into this many tasks (every eighth shape each), so lanes that finish early help. */
  private static final int PRICING_TASKS = 8;
  /**
   * Below this many shape and kind pairs a pricing round takes a few milliseconds: one lane does it (package-private
   * for the test that solves a program both ways).
   */
  static final long PARALLEL_PRICING = 2_000;

  /**
   * Each candidate's best sets at {@code prices} ({@link #price}), in candidate order whichever lane found them, so
   * the program is the same on one core or more; with {@code payingOnly}, none for a shape that {@link #cannotPay}.
   */
  private static List<List<Pattern>> priceAll(List<NodeShape> shapes, int[] candidates, Kinds kinds,
      double[] prices, int budget, boolean payingOnly) {
    @SuppressWarnings("unchecked")
    List<Pattern>[] found = new List[candidates.length];
    int tasks = Math.min(PRICING_TASKS, candidates.length);
    Lanes.run(tasks, (long) candidates.length * kinds.size() >= PARALLEL_PRICING, (task, lane) -> {
      for (int c = task; c < candidates.length; c += tasks) {
        NodeShape shape = shapes.get(candidates[c]);
        found[c] = payingOnly && cannotPay(shape, kinds, prices) ? List.of() : price(shape, kinds, prices, budget);
      }
    });
    return java.util.Arrays.asList(found);
  }

  /**
   * Whether no set of pods on one node of {@code shape} can be worth more than the node at {@code prices}, the test
   * a priced pattern must pass. A node's pods, weighed by any non-negative mix of resources, weigh no more than its
   * room does, so the fractional knapsack over that one weight (each kind at most as many as fit or may be taken)
   * bounds what they are worth. The mixes tried are each resource alone and every resource as a share of the room;
   * most shapes are ruled out so, without their search.
   */
  static boolean cannotPay(NodeShape shape, Kinds kinds, double[] prices) {
    // margins far above rounding: a pattern is kept only when worth over 1 + 1e-7 times its price, and its price is
    // never below the shape's cheapest
    return upperWorth(shape, kinds, prices) * (1 + 1e-9) <= shape.minPrice * (1 + 1e-7);
  }

  /**
   * The most any set of pods on one node of {@code shape} can be worth at {@code prices}, as {@link #cannotPay} bounds
   * it: the least of the fractional knapsacks over each resource alone and over every resource as a share of the room.
   */
  static double upperWorth(NodeShape shape, Kinds kinds, double[] prices) {
    int k = kinds.size();
    int dims = shape.room.length;
    int[] taking = new int[k];
    long[] most = new long[k];
    int n = 0;
    for (int kind = 0; kind < k; kind++) {
      if (prices[kind] > 0 && kinds.most(kind) > 0 && fits(shape, kinds, kind)) {
        taking[n] = kind;
        most[n++] = Math.min(kinds.most(kind), Dims.copiesThatFit(kinds.requests()[kind], shape.room));
      }
    }
    double upper = Double.POSITIVE_INFINITY;
    double[] mix = new double[dims];
    for (int r = 0; r <= dims; r++) {
      if (r < dims && shape.room[r] <= 0) {
        continue;
      }
      for (int d = 0; d < dims; d++) {
        mix[d] = r < dims ? (d == r ? 1 : 0) : shape.room[d] > 0 ? 1.0 / shape.room[d] : 0;
      }
      upper = Math.min(upper, fractionalKnapsack(shape.room, kinds, prices, taking, most, n, mix));
    }
    return upper;
  }

  /** The most the first {@code n} kinds of {@code taking} are worth within {@code room}, all weighed by {@code mix}. */
  private static double fractionalKnapsack(long[] room, Kinds kinds, double[] prices, int[] taking, long[] most,
      int n, double[] mix) {
    double capacity = 0;
    for (int d = 0; d < room.length; d++) {
      capacity += mix[d] * room[d];
    }
    double[] weight = new double[n];
    double[] density = new double[n];
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      long[] req = kinds.requests()[taking[i]];
      for (int d = 0; d < room.length; d++) {
        weight[i] += mix[d] * req[d];
      }
      density[i] = weight[i] > 0 ? prices[taking[i]] / weight[i] : Double.POSITIVE_INFINITY;
      order[i] = i;
    }
    // densest first (a few dozen kinds at most)
    for (int i = 1; i < n; i++) {
      int x = order[i];
      int j = i - 1;
      while (j >= 0 && density[order[j]] < density[x]) {
        order[j + 1] = order[j];
        j--;
      }
      order[j + 1] = x;
    }
    double worth = 0;
    double left = capacity;
    for (int i = 0; i < n; i++) {
      int x = order[i];
      double copies = weight[x] > 0 ? Math.min(most[x], Math.max(0, left) / weight[x]) : most[x];
      worth += copies * prices[taking[x]];
      left -= copies * weight[x];
    }
    return worth;
  }

  static boolean fits(NodeShape shape, Kinds kinds, int kind) {
    return kinds.shapes()[kind].get(shape.index) && (kinds.zoneMasks()[kind] & shape.zoneMask) != 0
        && (kinds.capacityTypeMasks()[kind] & (1 << shape.capacityType.ordinal())) != 0
        && kinds.demand()[kind] > 0 && Dims.fits(kinds.requests()[kind], shape.room);
  }

  /**
   * The set of pods most valuable at {@code prices} on one node of {@code shape}, for each group of its zones that
   * admits the same kinds; empty when no kind fits. Kinds pinned to different zones never share a node, so where the
   * program's kinds are pinned (a zone spread's share of each zone) a search over all the node's zones returns a set
   * for one zone only, and each other zone's set waits for a round of its own. The capped program of the topology
   * sweep's 2,000 pods of 20 kinds (seed 3; 30 kinds once shares are pinned) needed 65 rounds to reach its optimum
   * priced over all zones, 37 priced by zone (26 with the idle patterns {@link #solve} keeps); the limit is 30.
   */
  static List<Pattern> price(NodeShape shape, Kinds kinds, double[] prices, int budget) {
    int k = kinds.size();
    Map<BitSet, Long> zonesOf = new LinkedHashMap<>();
    for (long zones = shape.zoneMask; zones != 0; zones &= zones - 1) {
      long zone = Long.lowestOneBit(zones);
      BitSet admitted = new BitSet(k);
      for (int kind = 0; kind < k; kind++) {
        if ((kinds.zoneMasks()[kind] & zone) != 0 && fits(shape, kinds, kind)) {
          admitted.set(kind);
        }
      }
      if (!admitted.isEmpty()) {
        zonesOf.merge(admitted, zone, (a, b) -> a | b);
      }
    }
    List<Pattern> found = new ArrayList<>();
    zonesOf.forEach((admitted, zones) -> {
      int[] most = new int[k];
      for (int kind = admitted.nextSetBit(0); kind >= 0; kind = admitted.nextSetBit(kind + 1)) {
        most[kind] = kinds.most(kind);
      }
      PatternSearch search = new PatternSearch(shape.room, kinds.requests(), kinds.zoneMasks(), most, prices, budget)
          .runFromRelaxation(zones);
      if (search.bestValue > 0) {
        // every zone its pods allow, not only the group's: the same set found in another group is the same pattern
        long zoneMask = shape.zoneMask;
        for (int kind = 0; kind < k; kind++) {
          if (search.best[kind] > 0) {
            zoneMask &= kinds.zoneMasks()[kind];
          }
        }
        found.add(new Pattern(shape.index, search.best.clone(), zoneMask, shape.price(zoneMask)));
      }
    });
    return found;
  }

  static double value(Pattern p, double[] prices) {
    double v = 0;
    for (int kind = 0; kind < prices.length; kind++) {
      v += p.counts()[kind] * prices[kind];
    }
    return v;
  }

  private static void add(List<Pattern> patterns, Set<String> seen, Pattern p) {
    if (p != null && seen.add(key(p))) {
      patterns.add(p);
    }
  }

  /**
   * A pattern's identity: its shape, pods and zones. The same pods on the same shape in other zones may cost another
   * price (a kept plan's node held to one zone), and must not keep the cheaper one out.
   */
  private static String key(Pattern p) {
    return p.shape() + java.util.Arrays.toString(p.counts()) + "@" + p.zoneMask();
  }
}
