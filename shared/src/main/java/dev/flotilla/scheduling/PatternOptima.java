package dev.flotilla.scheduling;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pattern programs a scheduler solved lately, each by every number its solve reads. Consolidation asks the same
 * question pass after pass: a node tried against the same room, while the rest of the cluster moves, gives a program
 * identical in its kinds, shapes and prices (in the 10,000-pod hour, 1,172 of the 2,049 consolidation asks). The solve
 * is a function of those numbers alone, so an optimum found here is the one a solve would find and the plan is the
 * same; the scenarios' figures do not move with it. Shared by a scheduler's runs and their lanes ({@link
 * Scheduler#keepingSolvedPrograms}).
 */
final class PatternOptima {

  /** How many optima are kept, the least recently used dropped first: a pass's tries, and the pass before's. */
  static final int KEPT = 512;

  private final Map<Key, PatternProgram.Result> optima;
  private long asked;
  private long found;

  PatternOptima(int kept) {
    this.optima = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Key, PatternProgram.Result> eldest) {
        return size() > kept;
      }
    };
  }

  /**
   * {@link PatternProgram#solve}'s optimum for this input: the one kept, or solved now and kept. A program seeded with
   * a kept plan's nodes is solved and not kept: it is a provisioning's, of up to 200 kinds and a pattern a node,
   * rarely asked again, and its key would be the size of the plan.
   */
  PatternProgram.Result solve(List<NodeShape> shapes, int[] candidates, PatternProgram.Kinds kinds, double[] worth,
      int rounds, int budget, List<PatternProgram.Pattern> seeds) {
    if (!seeds.isEmpty()) {
      synchronized (this) {
        asked++;
      }
      return PatternProgram.solve(shapes, candidates, kinds, worth, rounds, budget, seeds);
    }
    Key key = Key.of(shapes, candidates, kinds, worth, rounds, budget);
    synchronized (this) {
      asked++;
      PatternProgram.Result kept = optima.get(key);
      if (kept != null) {
        found++;
        return kept;
      }
    }
    // solved outside the lock: two lanes asking the same program both solve it, to the same optimum
    PatternProgram.Result solved = PatternProgram.solve(shapes, candidates, kinds, worth, rounds, budget, List.of());
    // handed to every run that asks again: its patterns read only
    PatternProgram.Result kept = new PatternProgram.Result(List.copyOf(solved.patterns()), solved.nodes());
    synchronized (this) {
      optima.put(key, kept);
    }
    return kept;
  }

  /** How many programs were asked for, and how many of them were found kept. */
  synchronized long[] counts() {
    return new long[] {asked, found};
  }

  /**
   * Every number a solve reads, in the order it reads them: for each candidate shape, its index (which the patterns
   * found name), capacity type, zones, room and prices by zone; for each kind, its requests, zones, capacity types,
   * which candidates it may use, demand, cap per node and worth; the limits on rounds and search. The shapes that
   * are not candidates are never priced and are left out; a program with seeds has no key (it is not kept).
   */
  record Key(long[] words, int hash) {

    static Key of(List<NodeShape> shapes, int[] candidates, PatternProgram.Kinds kinds, double[] worth, int rounds,
        int budget) {
      Words w = new Words();
      w.add(rounds).add(budget).add(candidates.length);
      for (int s : candidates) {
        NodeShape shape = shapes.get(s);
        w.add(s).add(shape.index).add(shape.capacityType.ordinal()).add(shape.zoneMask).add(shape.minPrice)
            .add(shape.room).add(shape.zonePrice);
      }
      int k = kinds.size();
      w.add(k);
      for (int kind = 0; kind < k; kind++) {
        w.add(kinds.requests()[kind]).add(kinds.zoneMasks()[kind]).add(kinds.capacityTypeMasks()[kind])
            .add(kinds.demand()[kind]).add(kinds.perNode()[kind]).add(worth[kind]);
        long bits = 0;
        int bit = 0;
        for (int s : candidates) {
          if (kinds.shapes()[kind].get(shapes.get(s).index)) {
            bits |= 1L << bit;
          }
          if (++bit == Long.SIZE) {
            w.add(bits);
            bits = 0;
            bit = 0;
          }
        }
        w.add(bits);
      }
      long[] words = w.words();
      return new Key(words, Arrays.hashCode(words));
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key other && hash == other.hash && Arrays.equals(words, other.words);
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public String toString() {
      return "Key[" + words.length + " words, hash " + hash + "]";
    }
  }

  /** A growing array of words; doubles by their bits, arrays after their length. */
  private static final class Words {
    private long[] words = new long[256];
    private int size;

    Words add(long word) {
      if (size == words.length) {
        words = Arrays.copyOf(words, size * 2);
      }
      words[size++] = word;
      return this;
    }

    Words add(double value) {
      return add(Double.doubleToLongBits(value));
    }

    Words add(long[] values) {
      add(values.length);
      for (long v : values) {
        add(v);
      }
      return this;
    }

    Words add(double[] values) {
      add(values.length);
      for (double v : values) {
        add(v);
      }
      return this;
    }

    long[] words() {
      return Arrays.copyOf(words, size);
    }
  }
}
