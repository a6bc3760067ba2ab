package dev.flotilla.scheduling;

import dev.flotilla.model.TopologySpread;

/**
 * A zone spread as the plan settles it: the pods its selector matches, counted per zone (running and planned),
 * balanced over its domains. Changes when how kube-scheduler weighs a zone spread's skew changes.
 */
final class ZoneSpread {
  final Topology.Group group;
  final int maxSkew;
  final long domains;
  final boolean required;
  final long[] counts;
  /** Its minDomains (null: not set). */
  final Integer minDomains;

  ZoneSpread(Topology.Group group, int maxSkew, long domains, boolean required, Integer minDomains, int zones) {
    this.group = group;
    this.maxSkew = maxSkew;
    this.domains = domains;
    this.required = required;
    this.minDomains = minDomains;
    this.counts = new long[zones];
  }

  /** The same rule with counts of its own, all zero. */
  ZoneSpread fresh() {
    return new ZoneSpread(group, maxSkew, domains, required, minDomains, counts.length);
  }

  long min() {
    return min(counts);
  }

  /**
   * The least of {@code n} over its domains, as kube-scheduler weighs a domain against it: zero while it has fewer
   * domains than minDomains, so each holds at most maxSkew.
   */
  long min(long[] n) {
    long least = Topology.least(n, domains);
    return TopologySpread.globalMinimum(minDomains, least == Long.MAX_VALUE ? 0 : least, Long.bitCount(domains));
  }

  /** Whether minDomains holds each domain to maxSkew pods: it has fewer domains than that. */
  boolean fewDomains() {
    return TopologySpread.globalMinimum(minDomains, 1, Long.bitCount(domains)) == 0;
  }

  /** The zones of {@code allowed} where one more matching pod keeps the skew. */
  long within(long allowed) {
    return within(allowed, 1);
  }

  /** The zones of {@code allowed} where a pod that adds {@code self} to the count keeps the skew. */
  long within(long allowed, int self) {
    long min = min();
    long mask = 0;
    for (int z = 0; z < counts.length; z++) {
      long bit = 1L << z;
      if ((allowed & bit) != 0 && ((domains & bit) == 0 || counts[z] + self - min <= maxSkew)) {
        mask |= bit;
      }
    }
    return mask;
  }
}
