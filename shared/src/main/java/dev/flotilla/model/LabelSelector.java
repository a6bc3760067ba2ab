package dev.flotilla.model;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A Kubernetes label selector: every matchLabels pair and every expression must hold. Empty selects everything. */
public record LabelSelector(Map<String, String> matchLabels, List<Requirement> matchExpressions) {

  public LabelSelector {
    // sorted, so that it reads the same everywhere; linked, so that matching (the binder's and the scheduler's
    // hottest test) walks a list rather than a tree
    matchLabels = matchLabels == null ? Map.of()
        : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(new TreeMap<>(matchLabels)));
    matchExpressions = matchExpressions == null ? List.of() : List.copyOf(matchExpressions);
  }

  public static LabelSelector of(Map<String, String> labels) {
    return new LabelSelector(labels, List.of());
  }

  public boolean matches(Map<String, String> labels) {
    for (Map.Entry<String, String> e : matchLabels.entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    for (Requirement r : matchExpressions) {
      if (!r.matches(labels)) {
        return false;
      }
    }
    return true;
  }
}
