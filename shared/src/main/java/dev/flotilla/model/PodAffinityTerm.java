package dev.flotilla.model;

import java.util.List;

/**
 * A required pod (anti-)affinity term: pods selected by {@code selector} in {@code namespaces} (the pod's own
 * namespace when empty), within the same {@code topologyKey} domain.
 */
public record PodAffinityTerm(String topologyKey, LabelSelector selector, List<String> namespaces) {

  public PodAffinityTerm {
    if (topologyKey == null || topologyKey.isBlank()) {
      throw new IllegalArgumentException("pod affinity term: topologyKey is required");
    }
    selector = selector == null ? new LabelSelector(null, null) : selector;
    namespaces = namespaces == null ? List.of() : List.copyOf(namespaces);
  }

  /** The namespaces the term selects pods in, for a term carried by {@code pod}: its own where the term names none. */
  public List<String> namespacesOf(PendingPod pod) {
    return namespaces.isEmpty() ? List.of(pod.namespace()) : namespaces;
  }
}
