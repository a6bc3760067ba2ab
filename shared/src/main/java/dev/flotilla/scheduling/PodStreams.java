package dev.flotilla.scheduling;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The pods a packing has left, indexed to answer one question fast: which pod best matches the room a node has left.
 * Pods alike in constraints form a stream; each stream keeps its pods in direction bins (the angle of their requests
 * across CPU and memory), each bin largest first. A look-up starts at the room's own direction, scans a few pods of
 * the nearest bins for one that fits, and scores each stream's candidate by a normalised dot product with the room.
 * Changes when how the next pod for a node's room is chosen changes.
 *
 * <p>Cost: with S streams and B bins, a look-up is O(S · B · log n); after a bin's first look-up, none allocates.
 */
final class PodStreams {
  private static final int BINS = 12;
  private static final int SCAN = 6;
  private static final double GIB = 1L << 30;

  private static final class Stream {
    final PodClass representative;
    final int group;
    final long zoneMask;
    /** The zones a node bought already may be in to take its pods: its class's where its zone is only preferred. */
    long boughtZoneMask;
    final int capacityTypeMask;
    /**
     * Its pods carry a capacity-type spread the cluster's scheduler keeps: on a node bought already they keep to their
     * share's capacity type.
     */
    boolean capacitySpread;
    final List<SizeOrderedBin> bins = new ArrayList<>();
    /** Per resource, the least any of its pods requests: a node with less room left takes none of them. */
    long[] least;
    int remaining;

    Stream(PodClass representative, int group, long zoneMask, int capacityTypeMask) {
      this.representative = representative;
      this.group = group;
      this.zoneMask = zoneMask;
      this.capacityTypeMask = capacityTypeMask;
      for (int b = 0; b < BINS; b++) {
        bins.add(new SizeOrderedBin());
      }
    }
  }

  /** What the fill being made allows now: the look-up asks it of each stream and pod. */
  interface Fill {
    /**
     * Whether the node is bought already: it takes pods in any capacity type their signature admits but where a
     * capacity-type spread the cluster's scheduler keeps holds their share to one (a new node: their share's own), and
     * in any zone where their share's zone is only preferred.
     */
    boolean anyPool();

    /** While not 0, only streams confined to these zones are taken. */
    long localZones();

    /** How many of {@code wanted} pods of the class the node may still take by topology. */
    int allowed(PodClass c, OpenNode node, int wanted);

    /** How many of the item's pods the fill may still take. */
    int takeable(PodClass.Item item);

    /** The zones the item's pods may take a node in. */
    long zones(PodClass.Item item);
  }

  private final List<Stream> streams = new ArrayList<>();
  /** Per topology group, the shapes a new node for its pods may have. */
  private final List<BitSet> groupShapes;
  private final double[] sizeWeights;

  PodStreams(List<BitSet> groupShapes, int dims) {
    this.groupShapes = groupShapes;
    this.sizeWeights = new double[dims];
    sizeWeights[Dims.CPU] = 1.0 / 1000;
    sizeWeights[Dims.MEMORY] = 1.0 / (4 * GIB);
    sizeWeights[Dims.PODS] = 1.0 / 100;
    for (int r = Dims.PODS + 1; r < dims; r++) {
      sizeWeights[r] = 1e-9;
    }
  }

  /** Sorts the items into streams and direction bins; the first step of every packing. */
  void prepare(List<PodClass.Item> items) {
    Map<String, Integer> byKey = new HashMap<>();
    for (PodClass.Item item : items) {
      PodClass c = item.podClass;
      String key = c.signature + "/" + item.group + "/" + c.profile + "/" + item.zoneMask + "/" + item.capacityTypeMask;
      item.stream = byKey.computeIfAbsent(key, k -> {
        streams.add(new Stream(c, item.group, item.zoneMask, item.capacityTypeMask));
        return streams.size() - 1;
      });
      Stream stream = streams.get(item.stream);
      stream.boughtZoneMask |= item.softZone ? c.zoneMask : item.zoneMask;
      stream.capacitySpread |= !item.softCapacity && c.template.spreads().stream()
          .anyMatch(s -> s.topologyKey().equals(dev.flotilla.model.WellKnownLabels.CAPACITY_TYPE));
      if (stream.least == null) {
        stream.least = c.requests.clone();
      }
      for (int r = 0; r < c.requests.length; r++) {
        stream.least[r] = Math.min(stream.least[r], c.requests[r]);
      }
      item.size = size(c.requests);
      stream.bins.get(angleBin(c.requests)).add(item);
      stream.remaining++;
    }
  }

  /** Takes an item out: all its pods are placed, or none can be. */
  void remove(PodClass.Item item) {
    Stream stream = streams.get(item.stream);
    if (stream.bins.get(angleBin(item.podClass.requests)).remove(item)) {
      stream.remaining--;
    }
  }

  /**
   * The pod that best matches what room is left, among every stream the node can take under {@code fill}'s rules
   * (zones, topology, pods left, and a shape its signature admits: on a node bought already in any capacity type its
   * share allows, on a new node in its share's own); null when none fits.
   *
   * <p>A new node is opened only from the heaviest pool of the pod it is opened for, but takes pods of any pool into
   * the room that pod leaves, as Karpenter's scheduler adds a pod to a node claim it has opened already, of whatever
   * pool, before it opens one from the templates by weight: kept to their own pool's nodes, the caches beside an
   * on-demand pool's billing pods bought spot nodes while a third of the billing node idled. Not where the node's
   * pool asks {@code minValues} of its types: a pod of another pool may admit too few of them, and the claim would
   * then have none to offer for any of its pods (Karpenter likewise refuses such an add).
   */
  PodClass.Item choose(OpenNode node, Fill fill) {
    int shapeIndex = node.shape.index;
    int capacityBit = 1 << node.shape.capacityType.ordinal();
    int roomBin = angleBin(node.room);
    double roomSize = size(node.room);
    boolean anyPool = fill.anyPool();
    long localZones = fill.localZones();
    PodClass.Item best = null;
    double bestScore = -1;
    // indexed: this runs for every pod a node takes, and the iterator was a tenth of what a plan allocates
    for (int i = 0; i < streams.size(); i++) {
      Stream stream = streams.get(i);
      if (stream.remaining == 0 || ((anyPool ? stream.boughtZoneMask : stream.zoneMask) & node.zoneMask) == 0
          || localZones != 0 && (stream.zoneMask & ~localZones) != 0
          || !Dims.fits(stream.least, node.room)
          || !(anyPool ? admits(stream, node.shape) : (stream.capacityTypeMask & capacityBit) != 0
              && (groupShapes.get(stream.group).get(shapeIndex)
                  || !node.shape.asksMinValues && stream.representative.admits.get(shapeIndex)))
          || fill.allowed(stream.representative, node, 1) == 0) {
        continue;
      }
      PodClass.Item candidate = candidate(stream, node, roomBin, roomSize, fill);
      if (candidate != null) {
        // a pod whose hostname affinity this node meets goes first: few nodes do, the others' pods fit anywhere
        double score = dot(candidate.podClass.requests, node.room, node.shape.room)
            + (stream.representative.follower ? 10 : 0);
        if (score > bestScore) {
          bestScore = score;
          best = candidate;
        }
      }
    }
    return best;
  }

  private PodClass.Item candidate(Stream stream, OpenNode node, int roomBin, double roomSize, Fill fill) {
    boolean anyPool = fill.anyPool();
    for (int d = 0; d < BINS; d++) {
      for (int side = 0; side < (d == 0 ? 1 : 2); side++) {
        int b = side == 0 ? roomBin - d : roomBin + d;
        if (b < 0 || b >= BINS) {
          continue;
        }
        SizeOrderedBin bin = stream.bins.get(b);
        if (bin.isEmpty()) {
          continue;
        }
        int scanned = 0;
        for (int at = bin.first(roomSize); at < bin.end(); at = bin.after(at)) {
          if (++scanned > SCAN) {
            break;
          }
          PodClass.Item item = bin.at(at);
          // the node's shape is one the stream may take (choose checked it) and holds what fits its room
          if (fill.takeable(item) > 0 && Dims.fits(item.podClass.requests, node.room)
              && (!anyPool || item.podClass.admits.get(node.shape.index)
                  && (fill.zones(item) & node.zoneMask) != 0)) {
            return item;
          }
        }
      }
    }
    return null;
  }

  /**
   * Whether a node bought already may take the stream's pods, whatever its NodePool: its signature admits the node's
   * shape, and its capacity type, where a capacity-type spread narrowed the stream to some. Karpenter's scheduler
   * likewise tries existing and in-flight nodes before any NodePool's template; only new nodes follow pool weights.
   */
  private static boolean admits(Stream stream, NodeShape shape) {
    return stream.representative.admits.get(shape.index) && (!stream.capacitySpread
        || (stream.capacityTypeMask & 1 << shape.capacityType.ordinal()) != 0);
  }

  private double size(long[] v) {
    double s = 0;
    for (int r = 0; r < v.length; r++) {
      s += v[r] * sizeWeights[r];
    }
    return s;
  }

  private static int angleBin(long[] v) {
    double x = v[Dims.CPU] / 1000.0;
    double y = v[Dims.MEMORY] / (4 * GIB);
    if (x <= 0 && y <= 0) {
      return 0;
    }
    double angle = Math.atan2(Math.max(0, y), Math.max(0, x));
    return Math.min(BINS - 1, (int) (angle / (Math.PI / 2) * BINS));
  }

  /** How well requests line up with the room left, both as fractions of the node. */
  private static double dot(long[] req, long[] room, long[] capacity) {
    double s = 0;
    for (int r = 0; r < req.length; r++) {
      if (capacity[r] > 0) {
        s += ((double) req[r] / capacity[r]) * ((double) room[r] / capacity[r]);
      }
    }
    return s;
  }
}
