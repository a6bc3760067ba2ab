package dev.flotilla.binding;

/**
 * How NodeResourcesFit scores a node. {@code LeastAllocated} is kube-scheduler's default profile (spread load over
 * the emptiest nodes); {@code MostAllocated} is the bin-packing profile a cluster may configure instead. Every other
 * plugin scores alike under both.
 */
public enum ScoringProfile {
  LeastAllocated,
  MostAllocated
}
