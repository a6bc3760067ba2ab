package dev.flotilla.binding;

import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Requirement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The domains a pod's hard spread takes its global minimum over: the values of the topology key on the nodes its
 * node selector and required node affinity admit (kube-scheduler's nodeAffinityPolicy Honor; taints are ignored, as
 * nodeTaintsPolicy Ignore does). Cached per node constraint until a node joins or leaves.
 */
final class EligibleDomains {

  private record Key(Map<String, String> nodeSelector, List<List<Requirement>> requiredTerms, String topologyKey) {}

  private final ClusterState state;
  private final Map<Key, List<String>> cache = new HashMap<>();
  private long generation = -1;

  EligibleDomains(ClusterState state) {
    this.state = state;
  }

  List<String> values(PendingPod spec, String topologyKey) {
    if (generation != state.nodeGeneration) {
      cache.clear();
      generation = state.nodeGeneration;
    }
    return cache.computeIfAbsent(new Key(spec.nodeSelector(), spec.requiredTerms(), topologyKey), k -> {
      Set<String> values = new LinkedHashSet<>();
      for (NodeLoad node : state.order) {
        String value = node.labels.get(topologyKey);
        if (value != null && PodCycle.nodeAffinityMatches(spec, node.labels)) {
          values.add(value);
        }
      }
      return new ArrayList<>(values);
    });
  }
}
