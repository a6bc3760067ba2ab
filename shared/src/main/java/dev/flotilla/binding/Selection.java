package dev.flotilla.binding;

import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.PendingPod;
import java.util.Set;

/** The pods a spread constraint or an affinity term counts: those in {@code namespaces} its selector selects. */
record Selection(Set<String> namespaces, LabelSelector selector) {

  Selection {
    namespaces = Set.copyOf(namespaces);
  }

  boolean selects(PendingPod pod) {
    return namespaces.contains(pod.namespace()) && selector.matches(pod.labels());
  }
}
