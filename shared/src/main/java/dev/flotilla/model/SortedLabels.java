package dev.flotilla.model;

import java.util.AbstractMap;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A pod's labels or node selector: sorted by key once, read-only, looked up by hash, and hashed once. Pods are
 * grouped by their labels wherever their topology is counted (a pass loads a cluster of thousands of pods into the
 * binder several times), and a map's hash walks every entry each time it is asked for.
 */
final class SortedLabels extends AbstractMap<String, String> {

  private final Map<String, String> entries;
  /** 0 until worked out (as String's: a race only works it out twice). */
  private int hash;

  private SortedLabels(Map<String, String> entries) {
    this.entries = entries;
  }

  /** The labels sorted by key; an empty map for none. */
  static Map<String, String> of(Map<String, String> labels) {
    if (labels == null || labels.isEmpty()) {
      return Map.of();
    }
    if (labels instanceof SortedLabels sorted) {
      return sorted;
    }
    return new SortedLabels(Collections.unmodifiableMap(new LinkedHashMap<>(new TreeMap<>(labels))));
  }

  @Override
  public Set<Entry<String, String>> entrySet() {
    return entries.entrySet();
  }

  @Override
  public String get(Object key) {
    return entries.get(key);
  }

  @Override
  public boolean containsKey(Object key) {
    return entries.containsKey(key);
  }

  @Override
  public int size() {
    return entries.size();
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = entries.hashCode();
      hash = h;
    }
    return h;
  }
}
