package dev.flotilla.binding;

/**
 * How NodeResourcesFit scores a node. {@code LeastAllocated} is kube-scheduler's default profile (spread load over
 * the emptiest nodes); {@code MostAllocated} is the bin-packing profile a cluster may configure instead. Every other
 * plugin scores alike under both.
 */
public enum ScoringProfile {
  LeastAllocated,
  MostAllocated;

  /** The profile of this name, as a setting spells it; empty for any other name. */
  public static java.util.Optional<ScoringProfile> named(String name) {
    for (ScoringProfile profile : values()) {
      if (profile.name().equals(name)) {
        return java.util.Optional.of(profile);
      }
    }
    return java.util.Optional.empty();
  }
}
