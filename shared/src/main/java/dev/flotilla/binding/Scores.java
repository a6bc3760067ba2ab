package dev.flotilla.binding;

import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Taint;
import dev.flotilla.model.Toleration;
import dev.flotilla.model.WellKnownLabels;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * kube-scheduler's default score plugins, each normalised to 0..100 as the plugin's NormalizeScore does, weighted as
 * the default profile weights them, summed; the highest total wins and ties are broken at random (selectHost's
 * reservoir sampling, here from a seeded source so that runs replay).
 */
final class Scores {

  static final int MAX = 100;
  static final int FIT = 1;
  static final int BALANCED = 1;
  static final int TAINT_TOLERATION = 3;
  static final int NODE_AFFINITY = 2;
  static final int TOPOLOGY_SPREAD = 2;
  static final int INTER_POD_AFFINITY = 2;

  private final ScoringProfile profile;

  Scores(ScoringProfile profile) {
    this.profile = profile;
  }

  /** Each feasible node's weighted total. */
  long[] totals(PodCycle c, List<NodeLoad> feasible) {
    int n = feasible.size();
    long[] total = new long[n];
    long[] raw = new long[n];
    for (int i = 0; i < n; i++) {
      NodeLoad node = feasible.get(i);
      total[i] += FIT * fit(c, node) + BALANCED * balanced(c, node);
    }
    for (int i = 0; i < n; i++) {
      raw[i] = intolerable(c.spec, feasible.get(i));
    }
    add(total, normalised(raw, true), TAINT_TOLERATION);
    if (!c.spec.preferredTerms().isEmpty()) {
      for (int i = 0; i < n; i++) {
        raw[i] = preferred(c.spec, feasible.get(i));
      }
      add(total, normalised(raw, false), NODE_AFFINITY);
    }
    if (!c.soft.isEmpty()) {
      add(total, spread(c, feasible), TOPOLOGY_SPREAD);
    }
    if (!c.attraction.isEmpty()) {
      add(total, attraction(c, feasible), INTER_POD_AFFINITY);
    }
    return total;
  }

  NodeLoad select(PodCycle c, List<NodeLoad> feasible, Random random) {
    long[] total = totals(c, feasible);
    NodeLoad best = null;
    long bestScore = Long.MIN_VALUE;
    int ties = 0;
    for (int i = 0; i < total.length; i++) {
      if (total[i] > bestScore) {
        bestScore = total[i];
        best = feasible.get(i);
        ties = 1;
      } else if (total[i] == bestScore) {
        ties++;
        if (random.nextInt(ties) == 0) {
          best = feasible.get(i);
        }
      }
    }
    return best;
  }

  /** NodeResourcesFit on CPU and memory, weight 1 each, over the non-zero requests. */
  long fit(PodCycle c, NodeLoad node) {
    return (resource(node.nonZeroCpu + c.nonZeroCpu, node.allocatableCpu)
        + resource(node.nonZeroMemory + c.nonZeroMemory, node.allocatableMemory)) / 2;
  }

  private long resource(long requested, long capacity) {
    if (capacity == 0) {
      return 0;
    }
    if (profile == ScoringProfile.MostAllocated) {
      return Math.min(requested, capacity) * MAX / capacity;
    }
    return requested > capacity ? 0 : (capacity - requested) * MAX / capacity;
  }

  /** NodeResourcesBalancedAllocation: one less the spread of the CPU and memory fractions, over actual requests. */
  static long balanced(PodCycle c, NodeLoad node) {
    if (node.allocatableCpu == 0 || node.allocatableMemory == 0) {
      return 0;
    }
    double cpu = Math.min(1, (double) (node.cpu + c.cpu) / node.allocatableCpu);
    double memory = Math.min(1, (double) (node.memory + c.memory) / node.allocatableMemory);
    double std = Math.abs(cpu - memory) / 2;
    return (long) ((1 - std) * MAX);
  }

  /** TaintToleration: PreferNoSchedule taints the pod does not tolerate (fewer is better). */
  static long intolerable(PendingPod pod, NodeLoad node) {
    long count = 0;
    for (Taint taint : node.taints) {
      if (!taint.effect().equals("PreferNoSchedule")) {
        continue;
      }
      boolean tolerated = false;
      for (Toleration t : pod.tolerations()) {
        if ((t.effect().isEmpty() || t.effect().equals("PreferNoSchedule")) && t.tolerates(taint)) {
          tolerated = true;
          break;
        }
      }
      if (!tolerated) {
        count++;
      }
    }
    return count;
  }

  /** NodeAffinity: the weights of the preferred terms the node meets. */
  static long preferred(PendingPod pod, NodeLoad node) {
    long sum = 0;
    for (PendingPod.PreferredTerm term : pod.preferredTerms()) {
      if (term.requirements().stream().allMatch(r -> r.matches(node.labels))) {
        sum += term.weight();
      }
    }
    return sum;
  }

  /**
   * PodTopologySpread over the soft constraints: per constraint, matching pods in the node's domain times
   * log(domains + 2), plus maxSkew - 1; fewer is better, normalised as (max + min - score) / max.
   */
  static long[] spread(PodCycle c, List<NodeLoad> feasible) {
    int n = feasible.size();
    boolean requireAll = !c.systemDefaulted;
    boolean[] ignored = new boolean[n];
    int ignoredCount = 0;
    for (int i = 0; i < n; i++) {
      if (requireAll) {
        for (PodCycle.Spread s : c.soft) {
          if (!feasible.get(i).labels.containsKey(s.key())) {
            ignored[i] = true;
            ignoredCount++;
            break;
          }
        }
      }
    }
    double[] weight = new double[c.soft.size()];
    for (int k = 0; k < c.soft.size(); k++) {
      String key = c.soft.get(k).key();
      int size;
      if (key.equals(WellKnownLabels.HOSTNAME)) {
        size = n - ignoredCount;
      } else {
        Set<String> values = new HashSet<>();
        for (int i = 0; i < n; i++) {
          String v = feasible.get(i).labels.get(key);
          if (!ignored[i] && v != null) {
            values.add(v);
          }
        }
        size = values.size();
      }
      weight[k] = Math.log(size + 2);
    }
    long[] raw = new long[n];
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < n; i++) {
      if (ignored[i]) {
        continue;
      }
      NodeLoad node = feasible.get(i);
      double score = 0;
      for (int k = 0; k < c.soft.size(); k++) {
        PodCycle.Spread s = c.soft.get(k);
        String value = node.labels.get(s.key());
        if (value != null) {
          score += s.tally().count(s.key(), value) * weight[k] + (s.maxSkew() - 1);
        }
      }
      raw[i] = Math.round(score);
      min = Math.min(min, raw[i]);
      max = Math.max(max, raw[i]);
    }
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      if (ignored[i]) {
        out[i] = 0;
      } else if (max == 0) {
        out[i] = MAX;
      } else {
        out[i] = MAX * (max + min - raw[i]) / max;
      }
    }
    return out;
  }

  /** InterPodAffinity: running pods whose required affinity selects this pod, in the node's domain (weight 1). */
  static long[] attraction(PodCycle c, List<NodeLoad> feasible) {
    int n = feasible.size();
    long[] raw = new long[n];
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (int i = 0; i < n; i++) {
      for (PodCycle.Domains d : c.attraction) {
        String value = feasible.get(i).labels.get(d.key());
        if (value != null) {
          raw[i] += d.counts().getOrDefault(value, 0);
        }
      }
      min = Math.min(min, raw[i]);
      max = Math.max(max, raw[i]);
    }
    long[] out = new long[n];
    if (max - min > 0) {
      for (int i = 0; i < n; i++) {
        out[i] = MAX * (raw[i] - min) / (max - min);
      }
    }
    return out;
  }

  /** helper.DefaultNormalizeScore: scaled to 0..100 by the highest; reversed, 100 less that. */
  static long[] normalised(long[] raw, boolean reverse) {
    long max = 0;
    for (long v : raw) {
      max = Math.max(max, v);
    }
    long[] out = new long[raw.length];
    for (int i = 0; i < raw.length; i++) {
      if (max == 0) {
        out[i] = reverse ? MAX : 0;
      } else {
        long s = MAX * raw[i] / max;
        out[i] = reverse ? MAX - s : s;
      }
    }
    return out;
  }

  private static void add(long[] total, long[] scores, int weight) {
    for (int i = 0; i < total.length; i++) {
      total[i] += weight * scores[i];
    }
  }
}
