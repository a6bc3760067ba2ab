package dev.flotilla.disruption;

import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.PodAffinityTerm;
import dev.flotilla.model.Resources;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.scheduling.InFlightNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fewest new nodes any placement of displaced pods needs, counted from the pods that keep their own kind off
 * their node (hostname anti-affinity that selects themselves, as a StatefulSet's shards one to a node, or the same
 * host port): no two of a kind share a node, and a node that stays takes one only where it runs none of that kind
 * and has room for one (as the node mirror reports it, which is what the scheduling is given). A true floor: every
 * rule left out (other topology, affinity, taints, the other pods' room) only takes nodes away. Multi-node
 * consolidation allows one new node, and a group of a hundred shard nodes needs about a hundred: where its floor is
 * enough to send the search to its least size, it refuses the size without a scheduling of its pods against the
 * whole cluster.
 */
final class NewNodeFloor {

  private NewNodeFloor() {}

  /** Pods that may not share a node: those an anti-affinity term (or a host port) of theirs selects. */
  private record Kind(LabelSelector selector, List<String> namespaces, String port) {
    boolean matches(PendingPod pod) {
      return port != null ? pod.hostPorts().contains(port)
          : (namespaces.isEmpty() || namespaces.contains(pod.namespace())) && selector.matches(pod.labels());
    }
  }

  /**
   * @param displaced the pods that need a new home
   * @param staying the nodes that stay and may take some of them
   * @param free each staying node's free room, in the same order
   */
  static int of(List<PendingPod> displaced, List<InFlightNode> staying, List<Resources> free) {
    Map<Kind, List<PendingPod>> kinds = new LinkedHashMap<>();
    for (PendingPod pod : displaced) {
      for (Kind kind : kindsOf(pod)) {
        kinds.computeIfAbsent(kind, k -> new ArrayList<>()).add(pod);
      }
    }
    int floor = 0;
    for (Map.Entry<Kind, List<PendingPod>> e : kinds.entrySet()) {
      List<PendingPod> pods = e.getValue();
      if (pods.size() <= floor) {
        continue;
      }
      Resources least = least(pods);
      int taking = 0;
      for (int i = 0; i < staying.size(); i++) {
        if (least.fitsIn(free.get(i)) && staying.get(i).pods().stream().noneMatch(e.getKey()::matches)) {
          taking++;
        }
      }
      floor = Math.max(floor, pods.size() - taking);
    }
    return floor;
  }

  /**
   * Whether some of {@code displaced} may share a node with pods of their own kind (no hostname anti-affinity that
   * selects themselves, no host port): the pods beside the shards, which a plan often needs a node for besides theirs.
   */
  static boolean anySharing(List<PendingPod> displaced) {
    return displaced.stream().anyMatch(pod -> kindsOf(pod).isEmpty());
  }

  /** The kinds {@code pod} keeps off its node: its hostname anti-affinity terms that select itself, its host ports. */
  private static List<Kind> kindsOf(PendingPod pod) {
    List<Kind> kinds = new ArrayList<>();
    for (PodAffinityTerm term : pod.antiAffinity()) {
      if (term.topologyKey().equals(WellKnownLabels.HOSTNAME)) {
        Kind kind = new Kind(term.selector(), term.namespacesOf(pod), null);
        if (kind.matches(pod)) {
          kinds.add(kind);
        }
      }
    }
    for (String port : pod.hostPorts()) {
      kinds.add(new Kind(null, List.of(), port));
    }
    return kinds;
  }

  /** Of each resource, the least any of {@code pods} asks for (none where one asks for none). */
  static Resources least(List<PendingPod> pods) {
    if (pods.isEmpty()) {
      return Resources.NONE;
    }
    Map<String, Long> least = new HashMap<>(pods.getFirst().requests().amounts());
    for (PendingPod p : pods) {
      least.replaceAll((name, amount) -> Math.min(amount, p.requests().get(name)));
    }
    return new Resources(least);
  }
}
