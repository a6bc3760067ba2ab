package dev.flotilla.scheduling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A node being filled (new, or an in-flight claim's spare room): its shape, what room is left, which zones it may
 * still be in, its per-node topology counts, and the pods it got.
 */
final class OpenNode {
  NodeShape shape;
  final long[] room;
  long zoneMask;
  final int[] counts;
  final boolean[] repelled;
  final List<PodClass.Item> items = new ArrayList<>();
  final List<Integer> itemCounts = new ArrayList<>();
  double value;

  OpenNode(NodeShape shape, long zoneMask, int groups) {
    this.room = new long[shape.room.length];
    this.counts = new int[groups];
    this.repelled = new boolean[groups];
    reset(shape, zoneMask);
  }

  /**
   * Empties this node and gives it {@code shape}, as a new node of that shape in {@code zoneMask} would be: a packing
   * tries tens of shapes for each node it opens, and reusing one node for the trials keeps them from allocating.
   */
  void reset(NodeShape shape, long zoneMask) {
    this.shape = shape;
    System.arraycopy(shape.room, 0, room, 0, room.length);
    this.zoneMask = zoneMask & shape.zoneMask;
    Arrays.fill(counts, 0);
    Arrays.fill(repelled, false);
    items.clear();
    itemCounts.clear();
    value = 0;
  }
}
