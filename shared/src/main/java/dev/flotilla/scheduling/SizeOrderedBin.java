package dev.flotilla.scheduling;

import java.util.Arrays;
import java.util.Comparator;

/**
 * One direction bin of a packing stream: its items in a fixed order (largest first), kept as a sorted array whose
 * removed entries are skipped through path-compressed links. Finding the first item no larger than some room is a
 * binary search, and walking on from it allocates nothing: the pod streams ask this for every stream on every pod a
 * packing places, which a tree set's views made the hottest spot of a plan with many zone-pinned streams.
 */
final class SizeOrderedBin {

  /** Largest first; among equal sizes, by index, so the order is total and the same on every run. */
  private static final Comparator<PodClass.Item> ORDER =
      Comparator.comparingDouble((PodClass.Item i) -> -i.size).thenComparingInt(i -> i.index);

  private PodClass.Item[] items = new PodClass.Item[4];
  /** next[i] == i while items[i] is in the bin, else an index after it; next[count] == count ends the walk. */
  private int[] next;
  /** The items' sizes, negated, in the bins' order: what a look-up compares. */
  private double[] negativeSizes;
  private int count;
  private int live;

  /** Adds an item; only while the bin is filled, before it is first read. */
  void add(PodClass.Item item) {
    if (next != null) {
      throw new IllegalStateException("a bin is filled before it is read");
    }
    if (count == items.length) {
      items = Arrays.copyOf(items, count * 2);
    }
    items[count++] = item;
    live++;
  }

  boolean isEmpty() {
    return live == 0;
  }

  /** Removes the item; false when it was not in the bin. */
  boolean remove(PodClass.Item item) {
    seal();
    int s = item.binSlot;
    if (s < 0 || s >= count || items[s] != item || next[s] != s) {
      return false;
    }
    next[s] = s + 1;
    live--;
    return true;
  }

  /** The position of the first (largest) item in the bin no larger than {@code size}, or {@link #end()}. */
  int first(double size) {
    seal();
    double bound = -size;
    int lo = 0;
    int hi = count;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      // both sides negate sums of non-negative terms (a zero is -0.0 on both), so the plain comparison orders them
      // as Double.compare does, without its branches for NaN and signed zeros
      if (negativeSizes[mid] < bound) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return live(lo);
  }

  /** The position of the item in the bin after the one at {@code position}, or {@link #end()}. */
  int after(int position) {
    return live(position + 1);
  }

  int end() {
    return count;
  }

  PodClass.Item at(int position) {
    return items[position];
  }

  private int live(int i) {
    int root = i;
    while (next[root] != root) {
      root = next[root];
    }
    while (i != root) {
      int t = next[i];
      next[i] = root;
      i = t;
    }
    return root;
  }

  private void seal() {
    if (next != null) {
      return;
    }
    Arrays.sort(items, 0, count, ORDER);
    negativeSizes = new double[count];
    next = new int[count + 1];
    for (int i = 0; i <= count; i++) {
      next[i] = i;
    }
    for (int i = 0; i < count; i++) {
      items[i].binSlot = i;
      negativeSizes[i] = -items[i].size;
    }
  }
}
