package dev.flotilla.simulation;

import dev.flotilla.simulation.SimulatedCluster.Node;
import dev.flotilla.simulation.SimulatedCluster.Pod;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Which pods a workload's controller deletes when it scales down. */
public final class ScaleDownOrder {

  /** The rule the simulated controllers follow: a scenario's {@code cluster.scaleDown}. */
  public enum Rule {
    /** Pods not yet on a node, then the newest: the simulator's rule before it modelled the ReplicaSet's. */
    NewestFirst,
    /**
     * As Kubernetes' ReplicaSet controller ranks its pods ({@code ActivePodsWithRanks} in
     * {@code pkg/controller/controller_utils.go}): pods not yet on a node first; then, of the pods on nodes, those
     * whose node runs more of the workload's pods (its own only: the simulator's workloads have one ReplicaSet each,
     * and deleted pods go at once); then the most recently bound, then the most recently created, each compared on a
     * logarithmic scale of the age ({@code LogarithmicScaleDown}, on by default), ties broken by the pod's UID, which
     * is random (Kubernetes compares creation only for pods bound at the same instant). The
     * ranks are taken once per sync and a sync deletes at most {@link #BURST_REPLICAS} pods, so a larger scale-down
     * is chosen in rounds, each ranked afresh. Phase, readiness, restart counts and {@code pod-deletion-cost} are
     * not modelled: a pod on a node is running and ready. A StatefulSet deletes from its highest ordinal down, which
     * is the newest pod for one never recreated: {@link #NewestFirst}.
     */
    ReplicaSetRanks
  }

  /** The ReplicaSet controller's {@code burstReplicas}: the most pods one sync creates or deletes. */
  static final int BURST_REPLICAS = 500;

  private ScaleDownOrder() {}

  /** The {@code count} pods of {@code current} (one workload's) that its controller deletes. */
  static List<Pod> victims(Rule rule, List<Pod> current, int count, boolean statefulSet, Instant now) {
    boolean ranked = rule == Rule.ReplicaSetRanks && !statefulSet;
    List<Pod> left = new ArrayList<>(current);
    List<Pod> chosen = new ArrayList<>();
    while (chosen.size() < count && !left.isEmpty()) {
      int round = ranked ? Math.min(BURST_REPLICAS, count - chosen.size()) : count - chosen.size();
      left.sort(ranked ? ranks(left, now) : newestFirst());
      List<Pod> these = left.subList(0, Math.min(round, left.size()));
      chosen.addAll(these);
      these.clear();
    }
    return chosen;
  }

  private static Comparator<Pod> newestFirst() {
    return Comparator.comparing((Pod p) -> p.node != null).thenComparing(p -> p.created, Comparator.reverseOrder());
  }

  private static Comparator<Pod> ranks(List<Pod> pods, Instant now) {
    Map<Node, Integer> onNode = new HashMap<>();
    pods.forEach(p -> {
      if (p.node != null) {
        onNode.merge(p.node, 1, Integer::sum);
      }
    });
    // one key per pod, compared in turn: Kubernetes' pairwise rule (creation time only where two pods were bound at
    // the same instant) is not transitive, which Java's sort may refuse; here creation time also separates pods bound
    // at different instants of the same logarithmic bucket, which Kubernetes leaves to the UID
    return Comparator.comparing((Pod p) -> p.node != null)
        .thenComparing(p -> p.node == null ? 0 : onNode.get(p.node), Comparator.reverseOrder())
        .thenComparingLong(p -> p.bound == null ? -1 : logAge(p.bound, now))
        .thenComparingLong(p -> logAge(p.created, now))
        .thenComparingInt(p -> uid(p.spec.name()));
  }

  /** {@code logarithmicRankDiff}'s rank: the base-2 logarithm of the age in nanoseconds, -1 for none. */
  private static long logAge(Instant since, Instant now) {
    long nanos = Duration.between(since, now).toNanos();
    return nanos <= 0 ? -1 : 63 - Long.numberOfLeadingZeros(nanos);
  }

  /** A stand-in for the pod's UID: fixed for the pod, unrelated to its name's order. */
  private static int uid(String name) {
    long h = name.hashCode() * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32));
  }
}
