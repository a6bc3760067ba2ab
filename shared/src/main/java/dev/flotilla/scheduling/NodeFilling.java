package dev.flotilla.scheduling;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * What a node takes: fills a node (new and only tried, or in flight) from the pods left, within its room, zones,
 * shapes and per-node topology, and commits a tried node's pods for good. It keeps the state every fill reads: which
 * topology groups have pods on some node already (see {@link #seeded}), and the trial that picks count against.
 * Changes when what may share a node, or how a node is filled, changes; which nodes open is {@link Packer}'s, which
 * pod matches the room {@link PodStreams}'.
 */
final class NodeFilling implements PodStreams.Fill {
  private final List<BitSet> groupShapes;
  private final int topologyGroups;
  /**
   * Per group, whether a pod of it is on some node already: required hostname affinity to a group of its own lets
   * only the first of them open a node (kube-scheduler's exception for the first pod of such a group), so once one
   * is placed, or runs in the cluster, the others go where pods of the group are.
   */
  private final boolean[] seeded;
  /** {@link #seeded} as every packing starts: before any (the cluster's groups, and in-flight room's). */
  private final boolean[] seededBefore;
  private final PodStreams streams;
  private final PoolLimits limits;
  /** The trial node being filled: pods a trial picks count as taken only while it is the current one. */
  private int epoch;
  /**
   * While in-flight nodes are filled: they take pods of any NodePool that admits them (as new nodes do, see
   * {@link PodStreams#choose}), in any capacity type their signature admits but where a capacity-type spread holds
   * them to one, and in any zone where their zone is only preferred.
   */
  private boolean anyPool;
  /** While not 0, only streams confined to these zones are taken (see {@link #fill}). */
  private long localZones;
  /** While true, only items with quota left are taken, and no more than their quota. */
  private boolean followingQuotas;
  /** The node every trial fills (see {@link #beginTrial}). */
  private OpenNode trial;

  NodeFilling(List<BitSet> groupShapes, int topologyGroups, int dims, PoolLimits limits) {
    this.groupShapes = groupShapes;
    this.topologyGroups = topologyGroups;
    this.seeded = new boolean[topologyGroups];
    this.seededBefore = new boolean[topologyGroups];
    this.streams = new PodStreams(groupShapes, dims);
    this.limits = limits;
  }

  /** Sorts the items into streams; the first step of every packing. */
  void prepare(List<PodClass.Item> items) {
    streams.prepare(items);
  }

  /** Starts from the groups {@code other} found seeded before its packings (the cluster's, in-flight room's). */
  void seedFrom(NodeFilling other) {
    for (int g = 0; g < topologyGroups; g++) {
      if (other.seededBefore[g]) {
        seed(g);
      }
    }
  }

  /** Marks a group that has pods in the cluster already (see {@link #seeded}). */
  void seed(int group) {
    seeded[group] = true;
    seededBefore[group] = true;
  }

  /** Forgets what an earlier packing seeded: each packing starts from the cluster and in-flight room. */
  void startPacking() {
    System.arraycopy(seededBefore, 0, seeded, 0, topologyGroups);
  }

  /** Fills the spare room of in-flight nodes, each in turn, with the pods that match it best. */
  void fillInFlight(List<OpenNode> inFlight) {
    anyPool = true;
    for (OpenNode node : inFlight) {
      for (int g = 0; g < topologyGroups; g++) {
        seeded[g] |= node.counts[g] > 0;
      }
    }
    for (OpenNode node : inFlight) {
      epoch++;
      PodClass.Item pick = choose(node);
      while (pick != null) {
        int n = bulk(node, pick);
        if (n <= 0) {
          break;
        }
        place(node, pick, n);
        seed(pick);
        pick.remaining -= n;
        if (pick.remaining == 0) {
          streams.remove(pick);
        }
        pick = choose(node);
      }
    }
    anyPool = false;
    System.arraycopy(seeded, 0, seededBefore, 0, topologyGroups);
  }

  /**
   * Starts a new trial: what earlier trials picked is free again. The node returned, empty, of {@code shape} in
   * {@code zoneMask}, is the one every trial reuses; it is only valid until the next trial, so {@link #commit} opens
   * the node that is kept.
   */
  OpenNode beginTrial(NodeShape shape, long zoneMask) {
    epoch++;
    if (trial == null) {
      trial = new OpenNode(shape, zoneMask, topologyGroups);
    } else {
      trial.reset(shape, zoneMask);
    }
    return trial;
  }

  /** While on, fills take only items with quota left, and no more than their quota (the bound's assignment). */
  void followQuotas(boolean on) {
    followingQuotas = on;
  }

  /**
   * Fills {@code node} starting with {@code anchor}, recording (item, count) picks; takes nothing for real. With
   * {@code ownFirst}, the node first takes the pods that may only run in the anchor's zones, and only then pods free to
   * go elsewhere, into what those leave.
   */
  void fill(OpenNode node, PodClass.Item anchor, List<int[]> picks, boolean ownFirst) {
    localZones = ownFirst ? anchor.zoneMask : 0;
    PodClass.Item pick = anchor;
    while (true) {
      while (pick != null) {
        int n = bulk(node, pick);
        if (n <= 0) {
          if (pick == anchor) {
            localZones = 0;
            return;
          }
          break;
        }
        take(node, pick, n, picks);
        pick = choose(node);
      }
      if (localZones == 0) {
        return;
      }
      localZones = 0;
      pick = choose(node);
    }
  }

  /**
   * As {@link #fill}, but once the anchor is placed the node takes a pod of each other capped kind that fits
   * ({@link CappedNodes}), before the pods that match its room best: pods that each need a node share the nodes the
   * most numerous of them need anyway.
   */
  void fillWithCapped(OpenNode node, PodClass.Item anchor, CappedNodes capped, List<int[]> picks) {
    int n = bulk(node, anchor);
    if (n <= 0) {
      return;
    }
    take(node, anchor, n, picks);
    for (int g = 0; g < capped.groupCount(); g++) {
      int scanned = 0;
      for (PodClass.Item item : capped.from(g)) {
        if (item == anchor || item.available(epoch) == 0) {
          continue;
        }
        if (++scanned > CappedNodes.COMPANIONS_SCANNED) {
          break;
        }
        if (!sellsFor(node, item)) {
          continue;
        }
        int m = bulk(node, item);
        if (m > 0) {
          take(node, item, m, picks);
          break;
        }
      }
    }
    takeBestMatches(node, picks);
  }

  /**
   * Fills {@code node} with as many of {@code anchor}'s pods as it may take, then with the pods that follow others by
   * hostname affinity and may join it (as {@link PodStreams#choose} puts them first), then with the most valuable set
   * of pods free of per-node topology that its room holds, at the bound's prices (the best {@link PatternSearch} finds
   * in its budget), then as {@link #fill} does with what room is left.
   */
  void fillByWorth(OpenNode node, PodClass.Item anchor, List<PodClass.Item> items, List<int[]> picks) {
    for (int n = bulk(node, anchor); n > 0; n = bulk(node, anchor)) {
      take(node, anchor, n, picks);
    }
    if (picks.isEmpty()) {
      return;
    }
    for (PodClass.Item pick = choose(node); pick != null && pick.podClass.follower; pick = choose(node)) {
      int n = bulk(node, pick);
      if (n <= 0) {
        break;
      }
      take(node, pick, n, picks);
    }
    List<PodClass.Item> free = new ArrayList<>();
    for (PodClass.Item item : items) {
      PodClass c = item.podClass;
      if (item != anchor && item.available(epoch) > 0 && c.countsInNoNodeGroup() && c.needs.length == 0 && !c.follower
          && sellsFor(node, item) && (zones(item) & node.zoneMask) != 0 && Dims.fits(c.requests, node.room)) {
        free.add(item);
      }
    }
    if (!free.isEmpty()) {
      long[][] requests = new long[free.size()][];
      long[] zoneMasks = new long[free.size()];
      int[] most = new int[free.size()];
      double[] worth = new double[free.size()];
      for (int k = 0; k < free.size(); k++) {
        PodClass.Item item = free.get(k);
        requests[k] = item.podClass.requests;
        zoneMasks[k] = zones(item);
        most[k] = item.available(epoch);
        worth[k] = item.value;
      }
      PatternSearch search = new PatternSearch(node.room.clone(), requests, zoneMasks, most, worth,
          PatternPacking.BUDGET).run(node.zoneMask);
      for (int k = 0; k < free.size(); k++) {
        if (search.best[k] > 0) {
          take(node, free.get(k), search.best[k], picks);
        }
      }
    }
    takeBestMatches(node, picks);
  }

  /** Fills what room the node has left with the pods that match it best, as {@link #fill} does after its anchor. */
  private void takeBestMatches(OpenNode node, List<int[]> picks) {
    for (PodClass.Item pick = choose(node); pick != null; pick = choose(node)) {
      int more = bulk(node, pick);
      if (more <= 0) {
        break;
      }
      take(node, pick, more, picks);
    }
  }

  /** Whether the node's shape and capacity type are among the item's (its group's shapes, its capacity types). */
  private boolean sellsFor(OpenNode node, PodClass.Item item) {
    return (item.capacityTypeMask & 1 << node.shape.capacityType.ordinal()) != 0
        && groupShapes.get(item.group).get(node.shape.index);
  }

  /** Opens a node of {@code shape} with a trial's picks, taking its pods for good and counting it in the limits. */
  OpenNode commit(NodeShape shape, PodClass.Item anchor, List<PodClass.Item> items, List<int[]> picks) {
    OpenNode node = new OpenNode(shape, anchor.zoneMask, topologyGroups);
    for (int[] pick : picks) {
      PodClass.Item item = items.get(pick[0]);
      place(node, item, pick[1]);
      seed(item);
      item.remaining -= pick[1];
      item.quota = Math.max(0, item.quota - pick[1]);
      if (item.remaining == 0) {
        streams.remove(item);
      }
    }
    limits.add(shape, 1);
    return node;
  }

  /** Gives up on the item's pods left: no node may take them; the caller says why. */
  void leaveUnplaced(PodClass.Item item) {
    streams.remove(item);
    item.unplaced = item.remaining;
    item.remaining = 0;
  }

  /**
   * Whether no new node may take the item's pods for their hostname affinity: they follow another kind, or their own
   * kind is on a node already (every other pod of it must join that node).
   */
  boolean opensNoNode(PodClass.Item item) {
    if (item.podClass.follower) {
      return true;
    }
    for (int g : item.podClass.needs) {
      if (seeded[g]) {
        return true;
      }
    }
    return false;
  }

  /** Whether the anchor's pods select their own kind on the hostname and none of that kind is on a node yet. */
  boolean gathers(PodClass.Item anchor) {
    for (int g : anchor.podClass.needs) {
      if (!seeded[g] && Topology.contains(anchor.podClass.matches, g)) {
        return true;
      }
    }
    return false;
  }

  /** How many of the anchor's pods {@code picks} take. */
  static int taken(PodClass.Item anchor, List<PodClass.Item> items, List<int[]> picks) {
    int taken = 0;
    for (int[] pick : picks) {
      if (items.get(pick[0]) == anchor) {
        taken += pick[1];
      }
    }
    return taken;
  }

  /**
   * Whether a new node of this shape may take the item's pods: a shape of its group (its class's heaviest pool, or
   * the pool a zone it is pinned to falls back to) that holds one of them.
   */
  boolean allows(PodClass.Item item, NodeShape shape) {
    return groupShapes.get(item.group).get(shape.index) && Dims.fits(item.podClass.requests, shape.room);
  }

  @Override
  public boolean anyPool() {
    return anyPool;
  }

  @Override
  public long localZones() {
    return localZones;
  }

  /** How many of the item's pods the current trial may still take: what is left, within its quota if followed. */
  @Override
  public int takeable(PodClass.Item item) {
    int available = item.available(epoch);
    return followingQuotas ? Math.min(available, item.quota - (item.simEpoch == epoch ? item.simTaken : 0))
        : available;
  }

  /** How many of {@code wanted} pods of the class the node can still take ({@link Topology#allowedOn}, seeds). */
  @Override
  public int allowed(PodClass c, OpenNode node, int wanted) {
    for (int g : c.needs) {
      if (node.counts[g] == 0 && seeded[g]) {
        return 0;
      }
    }
    return Topology.allowedOn(c, node.counts, node.repelled, wanted);
  }

  /** The zones the item's pods may take a node in: any its class may use, on a node bought already, if preferred. */
  @Override
  public long zones(PodClass.Item item) {
    return anyPool && item.softZone ? item.podClass.zoneMask : item.zoneMask;
  }

  private PodClass.Item choose(OpenNode node) {
    return streams.choose(node, this);
  }

  /** How many of the item to add now: half of what could go, so the next pick can rebalance the room. */
  private int bulk(OpenNode node, PodClass.Item item) {
    long max = Math.min(takeable(item), Dims.copiesThatFit(item.podClass.requests, node.room));
    max = Math.min(max, allowed(item.podClass, node, (int) Math.min(max, Integer.MAX_VALUE)));
    if ((zones(item) & node.zoneMask) == 0) {
      return 0;
    }
    return max <= 2 ? (int) max : (int) ((max + 1) / 2);
  }

  /** Places {@code n} of the item's pods on a node only tried, counting them taken for this trial. */
  private void take(OpenNode node, PodClass.Item item, int n, List<int[]> picks) {
    place(node, item, n);
    if (item.simEpoch != epoch) {
      item.simEpoch = epoch;
      item.simTaken = 0;
    }
    item.simTaken += n;
    picks.add(new int[] {item.index, n});
  }

  /** The groups the item's pods count in have pods on a node for good (not a node only tried). */
  private void seed(PodClass.Item item) {
    for (int g : item.podClass.matches) {
      seeded[g] = true;
    }
  }

  private void place(OpenNode node, PodClass.Item item, int n) {
    long[] req = item.podClass.requests;
    for (int r = 0; r < req.length; r++) {
      node.room[r] -= req[r] * n;
    }
    node.zoneMask &= zones(item);
    Topology.count(item.podClass, node.counts, node.repelled, n);
    node.items.add(item);
    node.itemCounts.add(n);
    node.value += item.value * n;
  }
}
