package dev.flotilla.claims;

import dev.flotilla.model.PendingPod;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pods alike but for their names, as a claim keeps them: one of them and how many. While the claim's node is in
 * flight, the scheduler counts these facts (labels for anti-affinity and spread, host ports, requests) on it, as it
 * would on a node it planned itself; pods of one workload make one kind, so a claim stays small.
 */
public record PodKind(PendingPod pod, int count) {

  public PodKind {
    if (pod == null || count < 1) {
      throw new IllegalArgumentException("a pod kind has a pod and a count of 1 or more");
    }
  }

  /** The pods grouped by kind, in the order each kind first appears. */
  public static List<PodKind> of(List<PendingPod> pods) {
    Map<PendingPod, PodKind> kinds = new LinkedHashMap<>();
    for (PendingPod p : pods) {
      kinds.merge(p.kind(), new PodKind(p, 1), (a, b) -> new PodKind(a.pod(), a.count() + 1));
    }
    return List.copyOf(kinds.values());
  }

  /** Both lists' pods as kinds. */
  public static List<PodKind> merge(List<PodKind> a, List<PodKind> b) {
    List<PendingPod> all = new ArrayList<>();
    a.forEach(k -> all.addAll(k.pods("")));
    b.forEach(k -> all.addAll(k.pods("")));
    return of(all);
  }

  /** This kind's pods, named {@code prefix-0, prefix-1, ...} (or as the kind's own pod when no prefix is given). */
  public List<PendingPod> pods(String prefix) {
    List<PendingPod> pods = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      pods.add(prefix.isEmpty() ? pod : pod.withName(prefix + "-" + i));
    }
    return pods;
  }
}
