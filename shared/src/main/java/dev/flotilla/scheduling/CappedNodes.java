package dev.flotilla.scheduling;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * For {@link PackingStrategy#GREEDY_CAPPED_NODES_FIRST}: pods capped per node (hostname anti-affinity to their own
 * kind, a required hostname spread) that need more nodes than the bound buys. Each of those nodes is bought anyway; the
 * greedy packings reach such pods last, once larger nodes took the pods that would fill them, and open each alone on
 * a node that rounding leaves part idle (Karpenter's benchmark mix: 2,000 anti-affine pods, 1,899 nodes of two pods
 * each, 14% over the bound). Here they anchor first; each node, tried in each of its zones, takes a pod of each other
 * capped group and its fair share of the rest, so the free pods are spread over the nodes that must exist. Changes
 * when how capped pods share their nodes changes.
 *
 * <p>Cost: a capped pod's node is tried on each candidate shape in each of its zones, so Z times a greedy node's
 * (see {@link Packer}); its fair share is O(items) once a node.
 */
final class CappedNodes {
  /** A capped group runs this packing where it needs at least this share of the nodes the bound buys. */
  static final double SHARE_OF_BOUND_NODES = 0.5;
  /** A node opened for a capped pod may cost up to this many times its fair share. */
  static final double FAIR_SHARE_SLACK = 1.5;
  /** Of each other capped group, how many pods a node looks at for one that fits beside its anchor. */
  static final int COMPANIONS_SCANNED = 64;

  /** The capped pods by group, most valuable first; each scanned from its cursor, past pods all placed. */
  private final List<List<PodClass.Item>> groups;
  private final int[] cursors;

  CappedNodes(PodClass.Item[] order) {
    Map<Integer, List<PodClass.Item>> byGroup = new TreeMap<>();
    for (PodClass.Item item : order) {
      if (capped(item)) {
        byGroup.computeIfAbsent(item.group, k -> new ArrayList<>()).add(item);
      }
    }
    groups = new ArrayList<>(byGroup.values());
    cursors = new int[groups.size()];
  }

  static boolean capped(PodClass.Item item) {
    return PatternPacking.perNode(item.podClass) < Integer.MAX_VALUE && !item.podClass.follower;
  }

  /**
   * Whether the pods of some capped group (alike in their rules, NodePool and pinned zones), at as many to a node as
   * their cap allows, need at least {@link #SHARE_OF_BOUND_NODES} of the nodes the bound buys: above 1,000
   * classes the bound splits resources and ignores the caps, and at or below it the pods that fill those nodes may
   * still be too few to fill them whole.
   */
  static boolean setNodeCount(List<PodClass.Item> items, FractionalBound.Result bound) {
    // per group and cap: the pods left; a group's pods may differ in requests, not in their rules
    Map<Long, long[]> pods = new java.util.HashMap<>();
    for (PodClass.Item item : items) {
      if (capped(item)) {
        long key = (long) item.group << 32 | PatternPacking.perNode(item.podClass);
        pods.computeIfAbsent(key, k -> new long[1])[0] += item.remaining;
      }
    }
    if (pods.isEmpty()) {
      return false;
    }
    double boundNodes = 0;
    for (double n : bound.nodes()) {
      boundNodes += n;
    }
    long most = 0;
    for (Map.Entry<Long, long[]> e : pods.entrySet()) {
      long cap = e.getKey() & 0xffffffffL;
      most = Math.max(most, (e.getValue()[0] + cap - 1) / cap);
    }
    return most >= SHARE_OF_BOUND_NODES * boundNodes;
  }

  /**
   * What a node opened for {@code anchor} should be worth: its own pods, and the rest's worth shared evenly over the
   * nodes its kind still needs. O(items).
   */
  double fairShare(PodClass.Item anchor, List<PodClass.Item> items) {
    int cap = PatternPacking.perNode(anchor.podClass);
    long ownKind = 0;
    double rest = 0;
    for (PodClass.Item item : items) {
      if (item.group == anchor.group && PatternPacking.perNode(item.podClass) == cap) {
        ownKind += item.remaining;
      } else if ((item.zoneMask & anchor.zoneMask) != 0) {
        rest += item.value * item.remaining;
      }
    }
    long nodes = Math.max(1, (ownKind + cap - 1) / cap);
    return anchor.value * Math.min(cap, anchor.remaining) + rest / nodes;
  }

  /**
   * Of {@code ranked} (best first), the {@code usable} ones priced within {@link #FAIR_SHARE_SLACK} of
   * {@code fairShare}; all of {@code ranked} where none is.
   */
  static int[] within(int[] ranked, List<NodeShape> shapes, long zoneMask, double fairShare,
      java.util.function.IntPredicate usable) {
    int[] kept = new int[ranked.length];
    int size = 0;
    for (int s : ranked) {
      if (shapes.get(s).price(zoneMask) <= FAIR_SHARE_SLACK * fairShare && usable.test(s)) {
        kept[size++] = s;
      }
    }
    return size == 0 ? ranked : java.util.Arrays.copyOf(kept, size);
  }

  int groupCount() {
    return groups.size();
  }

  /** The capped pods of group {@code g} from its cursor on, the cursor moved past those all placed. */
  List<PodClass.Item> from(int g) {
    List<PodClass.Item> list = groups.get(g);
    while (cursors[g] < list.size() && list.get(cursors[g]).remaining == 0) {
      cursors[g]++;
    }
    return list.subList(cursors[g], list.size());
  }
}
