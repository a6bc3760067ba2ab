package dev.flotilla.model;

/**
 * A topology spread constraint on zone, hostname or capacity type. {@code required} is true for
 * {@code whenUnsatisfiable: DoNotSchedule}; ScheduleAnyway constraints are followed where they can be and relaxed
 * where they cannot.
 */
public record TopologySpread(String topologyKey, int maxSkew, boolean required, LabelSelector selector) {

  public TopologySpread {
    if (maxSkew < 1) {
      throw new IllegalArgumentException("topology spread on " + topologyKey + ": maxSkew must be at least 1");
    }
    selector = selector == null ? new LabelSelector(null, null) : selector;
  }
}
