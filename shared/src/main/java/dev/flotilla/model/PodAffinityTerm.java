package dev.flotilla.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A required pod (anti-)affinity term: pods selected by {@code selector} in {@code namespaces} (the pod's own
 * namespace when empty, every namespace when {@code anyNamespace}), within the same {@code topologyKey} domain.
 */
public record PodAffinityTerm(String topologyKey, LabelSelector selector, List<String> namespaces,
    @JsonInclude(JsonInclude.Include.NON_DEFAULT) Boolean anyNamespace) {

  public PodAffinityTerm {
    if (topologyKey == null || topologyKey.isBlank()) {
      throw new IllegalArgumentException("pod affinity term: topologyKey is required");
    }
    selector = selector == null ? new LabelSelector(null, null) : selector;
    namespaces = namespaces == null ? List.of() : List.copyOf(namespaces);
    // a wrapper, so that events and documents written before the field read as false
    anyNamespace = Boolean.TRUE.equals(anyNamespace);
  }

  public PodAffinityTerm(String topologyKey, LabelSelector selector, List<String> namespaces) {
    this(topologyKey, selector, namespaces, false);
  }

  /**
   * The namespaces the term selects pods in, for a term carried by {@code pod}: its own where the term names none,
   * and none (meaning every one) where the term looks in every namespace.
   */
  public List<String> namespacesOf(PendingPod pod) {
    return anyNamespace ? List.of() : namespaces.isEmpty() ? List.of(pod.namespace()) : namespaces;
  }

  /** Whether the term, carried by {@code owner}, looks at pods of {@code namespace}. */
  public boolean looksIn(PendingPod owner, String namespace) {
    return anyNamespace || (namespaces.isEmpty() ? owner.namespace().equals(namespace)
        : namespaces.contains(namespace));
  }
}
