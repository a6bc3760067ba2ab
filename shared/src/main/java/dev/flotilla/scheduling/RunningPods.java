package dev.flotilla.scheduling;

import dev.flotilla.model.PendingPod;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The pods running in a cluster as zone spreads count them: how many pods of each namespace, labels and host ports
 * (all a spread's selector reads) run in each zone.
 *
 * <p>A cluster of thousands of pods is a few dozen such sets, so a spread matches its selector against the sets, not
 * against every pod; and a consolidation try takes the pods of the nodes it removes out of its pass's counts rather
 * than gathering the cluster's pods again.
 */
public final class RunningPods {

  public static final RunningPods NONE = new RunningPods(Map.of());

  /** Pods alike for every selector, in one zone. */
  private record Key(String namespace, Map<String, String> labels, Set<String> hostPorts, String zone) {
    static Key of(PlacedPod p) {
      return new Key(p.pod().namespace(), p.pod().labels(), p.pod().hostPorts(), p.zone());
    }
  }

  /** {@code count} pods alike to {@code pod} running in {@code zone}. */
  record Count(PendingPod pod, String zone, int count) {}

  private final Map<Key, Count> counts;

  private RunningPods(Map<Key, Count> counts) {
    this.counts = counts;
  }

  public static RunningPods of(Collection<PlacedPod> pods) {
    if (pods.isEmpty()) {
      return NONE;
    }
    Map<Key, Count> counts = new LinkedHashMap<>();
    for (PlacedPod p : pods) {
      counts.merge(Key.of(p), new Count(p.pod(), p.zone(), 1),
          (had, one) -> new Count(had.pod(), had.zone(), had.count() + 1));
    }
    return new RunningPods(counts);
  }

  /** These pods without {@code leaving} (each one of them, running where it is listed). */
  public RunningPods without(Collection<PlacedPod> leaving) {
    if (leaving.isEmpty()) {
      return this;
    }
    Map<Key, Count> left = new LinkedHashMap<>(counts);
    for (PlacedPod p : leaving) {
      Key key = Key.of(p);
      Count had = left.get(key);
      if (had == null) {
        throw new IllegalArgumentException("pod " + p.pod().name() + " is not running in " + p.zone());
      }
      if (had.count() == 1) {
        left.remove(key);
      } else {
        left.put(key, new Count(had.pod(), had.zone(), had.count() - 1));
      }
    }
    return new RunningPods(left);
  }

  public boolean isEmpty() {
    return counts.isEmpty();
  }

  /** How many of the pods {@code matching} selects run in each zone that has any, by zone. */
  public Map<String, Integer> byZone(Predicate<PendingPod> matching) {
    Map<String, Integer> byZone = new TreeMap<>();
    for (Count c : counts.values()) {
      if (matching.test(c.pod())) {
        byZone.merge(c.zone(), c.count(), Integer::sum);
      }
    }
    return byZone;
  }

  List<Count> counts() {
    return List.copyOf(counts.values());
  }
}
