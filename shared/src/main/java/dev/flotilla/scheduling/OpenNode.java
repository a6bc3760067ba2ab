package dev.flotilla.scheduling;

import java.util.ArrayList;
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
    this.shape = shape;
    this.room = shape.room.clone();
    this.zoneMask = zoneMask & shape.zoneMask;
    this.counts = new int[groups];
    this.repelled = new boolean[groups];
  }
}
