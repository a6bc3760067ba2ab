package dev.flotilla.cloud;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The subnets and security groups new nodes go into now, as Karpenter's EC2NodeClass resolves them: what a claim
 * notes at launch, and what drift compares it with. An empty set is unknown and drifts nothing.
 */
public record NodeNetwork(Set<String> subnets, Set<String> securityGroups) {

  /** Nothing known: no node drifts for its network. */
  public static final NodeNetwork NONE = new NodeNetwork(Set.of(), Set.of());

  public NodeNetwork {
    subnets = Set.copyOf(subnets);
    securityGroups = Set.copyOf(securityGroups);
  }

  /** A set of security groups as a claim notes it: sorted, comma-separated, so that equal sets read equal. */
  public static String join(java.util.Collection<String> securityGroups) {
    return String.join(",", new TreeSet<>(securityGroups));
  }

  /** The security groups a claim's note names. */
  public static Set<String> split(String securityGroups) {
    return securityGroups == null || securityGroups.isBlank() ? Set.of()
        : Set.copyOf(List.of(securityGroups.split(",")).stream().map(String::trim).filter(s -> !s.isEmpty())
            .toList());
  }
}
