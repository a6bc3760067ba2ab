package dev.flotilla.scheduling;

import dev.flotilla.model.PendingPod;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The pods running in a cluster as zone and capacity-type spreads count them: how many pods of each namespace,
 * labels and host ports (all a spread's selector reads) run in each zone on each capacity type.
 *
 * <p>A cluster of thousands of pods is a few dozen such sets, so a spread matches its selector against the sets, not
 * against every pod; and a consolidation try takes the pods of the nodes it removes out of its pass's counts rather
 * than gathering the cluster's pods again.
 */
public final class RunningPods {

  public static final RunningPods NONE = new RunningPods(Map.of(), new Count[0], new int[0], 0);

  /**
   * Pods alike for every selector, in one zone. Its hash is worked out once: hashing a pod's labels walks them, and
   * a cluster's pods are hashed once a pass.
   */
  private static final class Key {
    final String namespace;
    final Map<String, String> labels;
    final Set<String> hostPorts;
    final String zone;
    final String capacityType;
    final int hash;

    Key(PlacedPod p) {
      this.namespace = p.pod().namespace();
      this.labels = p.pod().labels();
      this.hostPorts = p.pod().hostPorts();
      this.zone = p.zone();
      this.capacityType = p.capacityType();
      this.hash = java.util.Objects.hash(namespace, labels, hostPorts, zone, capacityType);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && hash == k.hash && namespace.equals(k.namespace)
          && java.util.Objects.equals(zone, k.zone) && java.util.Objects.equals(capacityType, k.capacityType)
          && labels.equals(k.labels) && hostPorts.equals(k.hostPorts);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  /** {@code count} pods alike to {@code pod} running in {@code zone} on nodes of {@code capacityType} (or null). */
  record Count(PendingPod pod, String zone, String capacityType, int count) {}

  /** Each set of pods alike, by its place in {@code alike}: shared by these counts and those taken from them. */
  private final Map<Key, Integer> index;
  /** One pod of each set, with the set's count when first gathered. */
  private final Count[] alike;
  private final int[] counts;
  private final int total;

  private RunningPods(Map<Key, Integer> index, Count[] alike, int[] counts, int total) {
    this.index = index;
    this.alike = alike;
    this.counts = counts;
    this.total = total;
  }

  public static RunningPods of(Collection<PlacedPod> pods) {
    if (pods.isEmpty()) {
      return NONE;
    }
    Map<Key, Integer> index = new java.util.HashMap<>();
    List<Count> alike = new java.util.ArrayList<>();
    int[] counts = new int[pods.size()];
    for (PlacedPod p : pods) {
      int i = index.computeIfAbsent(new Key(p), k -> {
        alike.add(new Count(p.pod(), p.zone(), p.capacityType(), 0));
        return alike.size() - 1;
      });
      counts[i]++;
    }
    return new RunningPods(index, alike.toArray(new Count[0]), java.util.Arrays.copyOf(counts, alike.size()),
        pods.size());
  }

  /** These pods without {@code leaving} (each one of them, running where it is listed). */
  public RunningPods without(Collection<PlacedPod> leaving) {
    if (leaving.isEmpty()) {
      return this;
    }
    int[] left = counts.clone();
    for (PlacedPod p : leaving) {
      Integer i = index.get(new Key(p));
      if (i == null || left[i] == 0) {
        throw new IllegalArgumentException("pod " + p.pod().name() + " is not running in " + p.zone());
      }
      left[i]--;
    }
    return new RunningPods(index, alike, left, total - leaving.size());
  }

  public boolean isEmpty() {
    return total == 0;
  }

  /** How many of the pods {@code matching} selects run in each zone that has any, by zone. */
  public Map<String, Integer> byZone(Predicate<PendingPod> matching) {
    Map<String, Integer> byZone = new TreeMap<>();
    for (Count c : counts()) {
      if (matching.test(c.pod())) {
        byZone.merge(c.zone(), c.count(), Integer::sum);
      }
    }
    return byZone;
  }

  /** How many of the pods {@code matching} selects run on each capacity type that has any (nodes labelled with one). */
  public Map<String, Integer> byCapacityType(Predicate<PendingPod> matching) {
    Map<String, Integer> byType = new TreeMap<>();
    for (Count c : counts()) {
      if (c.capacityType() != null && matching.test(c.pod())) {
        byType.merge(c.capacityType(), c.count(), Integer::sum);
      }
    }
    return byType;
  }

  /** Each set of pods alike that has any running, in the order first gathered. */
  List<Count> counts() {
    List<Count> running = new java.util.ArrayList<>(alike.length);
    for (int i = 0; i < alike.length; i++) {
      if (counts[i] > 0) {
        running.add(new Count(alike[i].pod(), alike[i].zone(), alike[i].capacityType(), counts[i]));
      }
    }
    return running;
  }
}
