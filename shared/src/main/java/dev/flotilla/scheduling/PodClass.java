package dev.flotilla.scheduling;

import dev.flotilla.model.PendingPod;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Pods that are alike in everything but their names (replicas of one workload): the scheduler works on classes with
 * counts, never on single pods, which is what makes ten thousand pods a sub-second decision.
 */
final class PodClass {
  final int index;
  final PendingPod template;
  final List<String> names = new ArrayList<>();
  final long[] requests;
  /** Index of the constraint signature (selectors, affinity, tolerations, volume zones) it shares with others. */
  int signature;
  /**
   * Node shapes it may run on: its signature's, in its best NodePool, where its requests fit; and, for a class that
   * carries a zone spread, for each zone that pool does not sell, the next pool's that does, for the shares the spread
   * pins there (see {@link PodClasses}). A NodePool's limits may move it to another pool ({@link PoolFallbacks}).
   */
  BitSet shapes;
  /**
   * Its signature's shapes in every NodePool: a node already bought (in flight, or staying through a consolidation)
   * of any of them may take it, as the cluster's scheduler places pods on nodes whatever their pool, and so may the
   * room a new node of the plan has left once opened for another class ({@link PodStreams#choose}). Shared by the
   * classes of a signature; never changed.
   */
  BitSet admits;
  long zoneMask;
  /**
   * Its signature's shapes with those of the pool its preferred node affinity was dropped for ({@link
   * PoolFallbacks}), or null while it keeps its preferences.
   */
  BitSet relaxedShapes;
  /** The zones its own requirements and volumes allow, whatever the pools sell. */
  long ownZoneMask = -1L;
  /**
   * Its zones before zone topology narrowed them (zone affinity pins the whole class): those its own requirements
   * allow where its pool sells.
   */
  long untopologizedZoneMask = -1L;
  int capacityTypeMask;
  /** Per-node constraints: groups it counts in, groups it keeps away, and caps on groups' counts. */
  int[] matches = new int[0];
  int[] repels = new int[0];
  int[] capGroups = new int[0];
  int[] caps = new int[0];
  /** Groups a pod of its own must find on its node (required pod affinity on the hostname). */
  int[] needs = new int[0];
  /** It needs a group it is not in itself: it only joins a node that holds a pod of that group. */
  boolean follower;
  boolean selfRepelling;
  int profile;
  String unschedulable;

  PodClass(int index, PendingPod template, long[] requests) {
    this.index = index;
    this.template = template;
    this.requests = requests;
  }

  /** No per-node constraint counts it, holds it or caps it: any node with room may take any number of its pods. */
  boolean countsInNoNodeGroup() {
    return matches.length == 0 && repels.length == 0 && capGroups.length == 0 && !selfRepelling;
  }

  /** A share of a class pinned to some zones and capacity types: what the packer places. */
  static final class Item {
    final int index;
    final PodClass podClass;
    final long zoneMask;
    final int capacityTypeMask;
    final List<String> names;
    /** Zone topology pinned this share to fewer zones than its class may use. */
    final boolean pinned;
    /**
     * Its share's zone comes only from spreads the cluster's scheduler may break (ScheduleAnyway): a node bought
     * already, in flight, may take it in any zone its class may use, as the cluster's scheduler will place it there
     * once that node is ready. New nodes keep to the share's zone, so that they honour the spread.
     */
    boolean softZone;
    /** Likewise for its share's capacity type. */
    boolean softCapacity;
    /** Index of its group in the program that guides the packing (same signature and pool, and zones if pinned). */
    int group = -1;
    /** Index of its class in that program (same group and requests), or -1. */
    int boundClass = -1;
    /** Its share of that program's optimum per pod, in USD per hour: how valuable it is to fill a node with it. */
    double value;
    int remaining;
    /** Pods no node could be opened for (NodePool limits). */
    int unplaced;
    /**
     * Its unplaced pods could open no node for their hostname affinity: a new node holds no pod they select (another
     * pool's would not either).
     */
    boolean noAffineNode;
    int nextName;
    // packing bookkeeping
    int stream;
    /** Its position in its stream's {@link SizeOrderedBin}. */
    int binSlot = -1;
    double size;
    int simEpoch;
    int simTaken;
    /** While the packer follows the bound's assignment: how many more may go on the current shape. */
    int quota;

    Item(int index, PodClass podClass, long zoneMask, int capacityTypeMask, List<String> names) {
      this.index = index;
      this.podClass = podClass;
      this.zoneMask = zoneMask;
      this.capacityTypeMask = capacityTypeMask;
      this.names = names;
      this.pinned = zoneMask != podClass.zoneMask;
      this.remaining = names.size();
    }

    /**
     * A copy for a packing of its own, as the packing starts: {@code remaining} pods left, names given from
     * {@code nextName}; what earlier steps settled (zones, group, worth) is the same.
     */
    Item copyAt(int remaining, int nextName) {
      Item copy = new Item(index, podClass, zoneMask, capacityTypeMask, names);
      copy.softZone = softZone;
      copy.softCapacity = softCapacity;
      copy.group = group;
      copy.boundClass = boundClass;
      copy.value = value;
      copy.restart(remaining, nextName);
      return copy;
    }

    int available(int epoch) {
      return remaining - (simEpoch == epoch ? simTaken : 0);
    }

    /** Back to where a packing starts: {@code remaining} pods left, names given from {@code nextName}. */
    void restart(int remaining, int nextName) {
      this.remaining = remaining;
      this.nextName = nextName;
      unplaced = 0;
      noAffineNode = false;
      quota = 0;
      simEpoch = -1;
      simTaken = 0;
    }
  }
}
