package dev.flotilla.binding;

import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.PendingPod;
import java.util.Set;

/**
 * The pods a spread constraint or an affinity term counts: those in {@code namespaces} (every namespace when empty)
 * its selector selects.
 */
record Selection(Set<String> namespaces, LabelSelector selector) {

  Selection {
    namespaces = Set.copyOf(namespaces);
  }

  boolean selects(PendingPod pod) {
    return selects(pod.namespace(), pod.labels());
  }

  boolean selects(String namespace, java.util.Map<String, String> labels) {
    return (namespaces.isEmpty() || namespaces.contains(namespace)) && selector.matches(labels);
  }
}
