package dev.flotilla.binding;

import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.model.Taint;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Binds pending pods to nodes as kube-scheduler's default profile does: the queue in priority then queue-time order;
 * a pod with a nominated node tried there first; otherwise the nodes filtered from a rotating start until enough are
 * feasible (the adaptive percentageOfNodesToScore), scored, and the best taken. Pods nominated to a node count
 * against the others there; a pod that fits nowhere loses its nomination (no preemption is modelled). Plain domain
 * types only, so the simulator's cluster and a consolidation check can both run it.
 */
public final class Binder {

  static final int MIN_FEASIBLE_NODES = 100;
  static final int MIN_FEASIBLE_PERCENTAGE = 5;

  /** What one pass over the queue did. */
  public record Round(List<Binding> bound, List<String> nominationsCleared, int unschedulable) {}

  /** Pods alike but for their names fail alike within a pass; a failed one spares the rest the search. */
  private record Attempt(PendingPod shape, int priority, String nominated) {}

  private final ClusterState state = new ClusterState();
  private final Nominations nominations = new Nominations();
  private final Filters filters = new Filters(nominations);
  private final Scores scores;
  private final EligibleDomains eligible = new EligibleDomains(state);
  private final Map<String, QueuedPod> queue = new LinkedHashMap<>();
  private final Map<String, PendingPod> shapes = new HashMap<>();
  private final long seed;
  private Random random;
  private int nextStart;

  public Binder(ScoringProfile profile, long seed) {
    this.scores = new Scores(profile);
    this.seed = seed;
    this.random = new Random(seed);
  }

  /**
   * The next round searches the nodes from the first, and breaks ties, as a new binder's first round would: what a
   * binder checks what-ifs with answers the same whatever it checked before.
   */
  public void startOver() {
    nextStart = 0;
    random = new Random(seed);
  }

  // ---- the cluster

  public void addNode(String name, Map<String, String> labels, List<Taint> taints, Resources allocatable) {
    state.addNode(name, labels, taints, allocatable, state.order.size());
  }

  /**
   * A node joins at {@code position} among the nodes in the order they are searched: a node taken out for a what-if
   * goes back where it was.
   */
  public void addNode(String name, Map<String, String> labels, List<Taint> taints, Resources allocatable,
      int position) {
    state.addNode(name, labels, taints, allocatable, position);
  }

  /** A node leaves with its pods; nominations to it are cleared. Returns the pods that ran there. */
  public List<String> removeNode(String name) {
    nominations.clearNode(name);
    return state.removeNode(name).stream().map(PendingPod::name).toList();
  }

  public void cordon(String name) {
    node(name).unschedulable = true;
  }

  public void taints(String name, List<Taint> taints) {
    node(name).taints = List.copyOf(taints);
  }

  public List<Taint> taints(String name) {
    return node(name).taints;
  }

  /**
   * Whether a pod's node selector and required node affinity admit a node with these labels: the nodes whose domains
   * its hard spreads count (nodeAffinityPolicy Honor).
   */
  public static boolean admits(PendingPod pod, Map<String, String> nodeLabels) {
    return PodCycle.nodeAffinityMatches(pod, nodeLabels);
  }

  public boolean hasNode(String name) {
    return state.node(name) != null;
  }

  private NodeLoad node(String name) {
    NodeLoad node = state.node(name);
    if (node == null) {
      throw new IllegalArgumentException("no node " + name);
    }
    return node;
  }

  // ---- pods

  /** A pod joins the queue. */
  public void enqueue(QueuedPod pod) {
    queue.put(pod.name(), pod);
    shapes.put(pod.name(), pod.spec().kind());
  }

  /** A pod placed by someone else (a DaemonSet's controller, a static pod): it runs there from now. */
  public void bound(String node, PendingPod pod) {
    dequeue(pod.name());
    state.bind(pod, node(node));
  }

  /** A pod is gone, pending or running; false when the binder did not know it. */
  public boolean delete(String pod) {
    boolean queued = dequeue(pod);
    return state.remove(pod) || queued;
  }

  private boolean dequeue(String pod) {
    nominations.clear(pod);
    shapes.remove(pod);
    return queue.remove(pod) != null;
  }

  /** Sets a pending pod's nominated node; false when the pod is not pending or the node is unknown. */
  public boolean nominate(String pod, String node) {
    QueuedPod queued = queue.get(pod);
    if (queued == null || state.node(node) == null) {
      return false;
    }
    nominations.nominate(queued, node);
    return true;
  }

  public String nominatedNode(String pod) {
    return nominations.nodeOf(pod);
  }

  public String nodeOf(String pod) {
    return state.nodeOf(pod);
  }

  public int pending() {
    return queue.size();
  }

  // ---- scheduling

  /** One pass over the queue, highest priority and oldest first; binds what fits. */
  public Round schedule() {
    List<QueuedPod> order = new ArrayList<>(queue.values());
    order.sort(Comparator.comparingInt(QueuedPod::priority).reversed().thenComparingLong(QueuedPod::queuedAt));
    List<Binding> bound = new ArrayList<>();
    List<String> cleared = new ArrayList<>();
    Set<Attempt> failed = new HashSet<>();
    int unschedulable = 0;
    for (QueuedPod pod : order) {
      String nominated = nominations.nodeOf(pod.name());
      Attempt attempt = new Attempt(shapes.get(pod.name()), pod.priority(), nominated);
      NodeLoad node = failed.contains(attempt) ? null : scheduleOne(pod, nominated);
      if (node == null) {
        unschedulable++;
        // required pod affinity can be met by a pod bound later in the same pass: such pods are each tried
        if (pod.spec().affinity().isEmpty()) {
          failed.add(attempt);
        }
        if (nominations.clear(pod.name())) {
          cleared.add(pod.name());
        }
        continue;
      }
      dequeue(pod.name());
      state.bind(pod.spec(), node);
      bound.add(new Binding(pod.name(), node.name));
    }
    return new Round(bound, cleared, unschedulable);
  }

  /** Where one pod goes, or null: its nominated node if it passes, else the best of the feasible nodes found. */
  private NodeLoad scheduleOne(QueuedPod pod, String nominated) {
    PodCycle cycle = new PodCycle(pod, state, eligible);
    if (nominated != null) {
      NodeLoad node = state.node(nominated);
      if (node != null && filters.feasible(cycle, node)) {
        return node;
      }
    }
    List<NodeLoad> all = state.order;
    int count = all.size();
    if (count == 0) {
      return null;
    }
    int toFind = feasibleNodesToFind(count);
    List<NodeLoad> feasible = new ArrayList<>();
    int processed = 0;
    for (int i = 0; i < count && feasible.size() < toFind; i++) {
      NodeLoad node = all.get((nextStart + i) % count);
      processed++;
      if (filters.feasible(cycle, node)) {
        feasible.add(node);
      }
    }
    nextStart = (nextStart + processed) % count;
    if (feasible.isEmpty()) {
      return null;
    }
    if (feasible.size() == 1) {
      return feasible.getFirst();
    }
    return scores.select(cycle, feasible, random);
  }

  /** kube-scheduler's adaptive percentageOfNodesToScore: 50% less 1% per 125 nodes, at least 5% and 100 nodes. */
  static int feasibleNodesToFind(int nodes) {
    if (nodes < MIN_FEASIBLE_NODES) {
      return nodes;
    }
    int percentage = Math.max(MIN_FEASIBLE_PERCENTAGE, 50 - nodes / 125);
    return Math.max(MIN_FEASIBLE_NODES, nodes * percentage / 100);
  }

  /** The weighted score totals of each node for a pod, as the binder would rank them now (for tests and reports). */
  public Map<String, Long> scores(QueuedPod pod) {
    PodCycle cycle = new PodCycle(pod, state, eligible);
    List<NodeLoad> feasible = state.order.stream().filter(n -> filters.feasible(cycle, n)).toList();
    long[] totals = scores.totals(cycle, feasible);
    Map<String, Long> out = new LinkedHashMap<>();
    for (int i = 0; i < totals.length; i++) {
      out.put(feasible.get(i).name, totals[i]);
    }
    return out;
  }

  /** Whether a pod passes every filter on a node now, nominations counted. */
  public boolean feasible(QueuedPod pod, String node) {
    NodeLoad n = state.node(node);
    return n != null && filters.feasible(new PodCycle(pod, state, eligible), n);
  }

  @Override
  public String toString() {
    return "Binder{" + state.order.size() + " nodes, " + queue.size() + " pending, " + nominations.size()
        + " nominated}";
  }
}
