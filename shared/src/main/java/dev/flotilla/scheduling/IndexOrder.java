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
    mergeSort(indexes, buffer, 0, indexes.length, group, first, second);
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
