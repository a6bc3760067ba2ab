package dev.flotilla.scheduling;

/**
 * Sorts shape indexes by primitive keys: a group, then two numbers, then the index itself, so the order is total and
 * any sort gives the same one. A list of boxed indexes sorted through a comparator cost a tenth of a large
 * scheduling: each comparison unboxed two indexes and went through a call the JIT could not inline.
 */
final class IndexOrder {

  private IndexOrder() {}

  /**
   * Sorts {@code indexes} ascending by {@code group[i]}, then {@code first[i]}, then {@code second[i]} (as
   * {@link Double#compare}), then {@code i}. The keys are indexed by the values being sorted.
   */
  static void sort(int[] indexes, int[] group, double[] first, double[] second) {
    if (indexes.length < 2) {
      return;
    }
    int[] buffer = new int[indexes.length];
    if (!packedSort(indexes, buffer, group, first, second)) {
      mergeSort(indexes, buffer, 0, indexes.length, group, first, second);
    }
  }

  /**
   * Sorts by a long per index that holds its group, its first key rounded to a float and the index, with the
   * library's primitive sort, then sorts each run equal on group and rounded key by every key. Rounding to a float
   * never reverses two values, so the runs are where the first pass may differ from the full order, and they are
   * short. False, untouched, where the group or the indexes do not fit in the long (whose sign bit stays clear).
   */
  private static boolean packedSort(int[] a, int[] buffer, int[] group, double[] first, double[] second) {
    long[] packed = new long[a.length];
    for (int i = 0; i < a.length; i++) {
      int x = a[i];
      if (x < 0 || x >= 1 << INDEX_BITS || group[x] < 0 || group[x] >= 1 << (GROUP_BITS - 1)) {
        return false;
      }
      packed[i] = (long) group[x] << (64 - GROUP_BITS) | rounded(first[x]) << INDEX_BITS | x;
    }
    java.util.Arrays.sort(packed);
    for (int i = 0; i < a.length; i++) {
      a[i] = (int) (packed[i] & ((1 << INDEX_BITS) - 1));
    }
    for (int from = 0; from < a.length; ) {
      int to = from + 1;
      while (to < a.length && packed[to] >>> INDEX_BITS == packed[from] >>> INDEX_BITS) {
        to++;
      }
      if (to - from > 1) {
        mergeSort(a, buffer, from, to, group, first, second);
      }
      from = to;
    }
    return true;
  }

  private static final int INDEX_BITS = 24;
  private static final int GROUP_BITS = 64 - 32 - INDEX_BITS;

  /** The value rounded to a float, as 32 unsigned bits in the order {@link Double#compare} gives. */
  private static long rounded(double v) {
    int bits = Float.floatToIntBits((float) v);
    bits ^= (bits >> 31) & 0x7fffffff;
    return (bits ^ 0x80000000) & 0xffffffffL;
  }

  private static void mergeSort(int[] a, int[] buffer, int from, int to, int[] group, double[] first,
      double[] second) {
    if (to - from <= 16) {
      for (int i = from + 1; i < to; i++) {
        int x = a[i];
        int j = i - 1;
        while (j >= from && compare(a[j], x, group, first, second) > 0) {
          a[j + 1] = a[j];
          j--;
        }
        a[j + 1] = x;
      }
      return;
    }
    int mid = (from + to) >>> 1;
    mergeSort(a, buffer, from, mid, group, first, second);
    mergeSort(a, buffer, mid, to, group, first, second);
    if (compare(a[mid - 1], a[mid], group, first, second) <= 0) {
      return;
    }
    System.arraycopy(a, from, buffer, from, to - from);
    int i = from;
    int j = mid;
    for (int k = from; k < to; k++) {
      if (j >= to || i < mid && compare(buffer[i], buffer[j], group, first, second) <= 0) {
        a[k] = buffer[i++];
      } else {
        a[k] = buffer[j++];
      }
    }
  }

  private static int compare(int a, int b, int[] group, double[] first, double[] second) {
    int c = Integer.compare(group[a], group[b]);
    if (c != 0) {
      return c;
    }
    c = Double.compare(first[a], first[b]);
    if (c != 0) {
      return c;
    }
    c = Double.compare(second[a], second[b]);
    return c != 0 ? c : Integer.compare(a, b);
  }
}
