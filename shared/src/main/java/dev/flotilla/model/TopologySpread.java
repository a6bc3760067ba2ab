package dev.flotilla.model;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A topology spread constraint on zone, hostname or capacity type. {@code required} is true for
 * {@code whenUnsatisfiable: DoNotSchedule}; ScheduleAnyway constraints are followed where they can be and relaxed
 * where they cannot. {@code minDomains} (null when not set, as on most pods) is Kubernetes': while fewer domains
 * than that are eligible, the global minimum counts as zero, so each domain holds at most {@code maxSkew} matching
 * pods.
 */
public record TopologySpread(String topologyKey, int maxSkew, boolean required, LabelSelector selector,
    @JsonInclude(JsonInclude.Include.NON_NULL) Integer minDomains) {

  public TopologySpread {
    if (maxSkew < 1) {
      throw new IllegalArgumentException("topology spread on " + topologyKey + ": maxSkew must be at least 1");
    }
    if (minDomains != null && (minDomains < 1 || !required)) {
      throw new IllegalArgumentException("topology spread on " + topologyKey + ": minDomains must be at least 1,"
          + " and is only allowed with whenUnsatisfiable: DoNotSchedule");
    }
    selector = selector == null ? new LabelSelector(null, null) : selector;
  }

  public TopologySpread(String topologyKey, int maxSkew, boolean required, LabelSelector selector) {
    this(topologyKey, maxSkew, required, selector, null);
  }

  /**
   * The global minimum kube-scheduler weighs a domain's count against: the least count among the eligible domains,
   * or zero while fewer than {@code minDomains} are eligible.
   */
  public long globalMinimum(long leastCount, int eligibleDomains) {
    return globalMinimum(minDomains, leastCount, eligibleDomains);
  }

  /** As {@link #globalMinimum(long, int)}, for a spread's {@code minDomains} (null when not set). */
  public static long globalMinimum(Integer minDomains, long leastCount, int eligibleDomains) {
    return minDomains != null && eligibleDomains < minDomains ? 0 : leastCount;
  }
}
