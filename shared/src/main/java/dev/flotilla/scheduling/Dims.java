package dev.flotilla.scheduling;

import dev.flotilla.model.Resources;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The resources one scheduling run counts, as dense indices: cpu, memory and pods always, then whatever else any pod
 * requests. Working on {@code long[]} keeps the packing loop free of maps and boxing.
 */
final class Dims {
  static final int CPU = 0;
  static final int MEMORY = 1;
  static final int PODS = 2;

  final List<String> names;
  private final Map<String, Integer> index;

  Dims(List<Resources> requests) {
    Map<String, Integer> idx = new LinkedHashMap<>();
    idx.put(Resources.CPU, CPU);
    idx.put(Resources.MEMORY, MEMORY);
    idx.put(Resources.PODS, PODS);
    for (Resources r : requests) {
      for (String name : r.amounts().keySet()) {
        idx.putIfAbsent(name, idx.size());
      }
    }
    this.index = idx;
    this.names = List.copyOf(new ArrayList<>(idx.keySet()));
  }

  int size() {
    return names.size();
  }

  long[] dense(Resources r) {
    long[] v = new long[names.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.get(names.get(i));
    }
    return v;
  }

  Resources resources(long[] v) {
    Map<String, Long> m = new LinkedHashMap<>();
    for (int i = 0; i < v.length; i++) {
      m.put(names.get(i), v[i]);
    }
    return new Resources(m);
  }

  static boolean fits(long[] req, long[] room) {
    for (int i = 0; i < req.length; i++) {
      if (req[i] > room[i]) {
        return false;
      }
    }
    return true;
  }

  /** How many copies of {@code req} fit in {@code room}. */
  static long copiesThatFit(long[] req, long[] room) {
    long n = Long.MAX_VALUE;
    for (int i = 0; i < req.length; i++) {
      if (req[i] > 0) {
        n = Math.min(n, room[i] / req[i]);
      }
    }
    return n;
  }
}
