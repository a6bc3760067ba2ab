package dev.flotilla.provisioning;

import dev.flotilla.binding.Binder;
import dev.flotilla.binding.QueuedPod;
import dev.flotilla.binding.ScoringProfile;
import dev.flotilla.claims.Claim;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.model.PendingPod;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The pods reserved on a ready node that the cluster's scheduler refuses there now, judged by its rules
 * ({@link Binder}) against the forwarder's node mirror. A plan made minutes before its node joined can be overtaken:
 * a launch resumed after its invocation died, or pods bound elsewhere meanwhile, leave the node's zone too full for a
 * zone spread, or its room taken. Such a pod would otherwise wait out {@link Provisioner#RESERVATION_GRACE} and the
 * forwarder's next batch before being planned again, and that wait is what keeps it pending longest.
 */
final class RefusedReservations {

  private RefusedReservations() {}

  /**
   * @param ready  claims whose node is ready, each with its pods still pending in this batch
   * @param coming claims whose node is launched and not ready yet, each with its pods still pending in this batch:
   *               they count where they will land, as the zones of a zone spread's other pods
   * @param labels the labels a coming claim's node will join with (null when not known yet)
   * @param mirror the forwarder's node mirror
   * @param scoring how the cluster's scheduler ranks the nodes a pod fits
   * @return the pods of {@code ready} that could not be bound on their claim's node now, nor once the nodes coming
   *     have their pods
   */
  static Set<String> refused(Map<Claim, List<PendingPod>> ready, Map<Claim, List<PendingPod>> coming,
      Function<Claim, Map<String, String>> labels, Supplier<List<NodeState>> mirror, ScoringProfile scoring) {
    if (ready.isEmpty()) {
      return new HashSet<>();
    }
    List<NodeState> nodes = mirror.get();
    Set<String> refused = refused(ready, nodes, Map.of(), labels, scoring);
    // a zone spread's pod on a node ready before the nodes its spread's other pods are planned on, in other zones,
    // is too many in its zone only until those join (generated seed 86: 24 pods of a three-zone spread, reserved on
    // nodes ready 15 s before the other zones', were released and launched for again, while the nodes planned for
    // the rest came up with their room). Only a pod refused both now and with them counted is refused: a node
    // coming is one more domain of every spread its labels admit, with none of their pods, and alone it would lower
    // their minimum and refuse pods that land now
    if (!refused.isEmpty() && !coming.isEmpty()) {
      refused.retainAll(refused(ready, nodes, coming, labels, scoring));
    }
    return refused;
  }

  private static Set<String> refused(Map<Claim, List<PendingPod>> ready, List<NodeState> nodes,
      Map<Claim, List<PendingPod>> coming, Function<Claim, Map<String, String>> labels, ScoringProfile scoring) {
    Binder binder = new Binder(scoring, 0);
    Set<String> running = new HashSet<>();
    for (NodeState node : nodes) {
      node.joinTo(binder);
      node.pods().forEach(p -> running.add(p.pod().name()));
    }
    coming.forEach((claim, pods) -> {
      String name = claim.nodeName();
      if (name == null || !binder.hasNode(name)) {
        // not in the mirror yet: as the node it will be
        Map<String, String> nodeLabels = labels.apply(claim);
        name = nodeLabels == null ? null : nodeLabels.get(dev.flotilla.model.WellKnownLabels.HOSTNAME);
        if (name == null || binder.hasNode(name)) {
          return;
        }
        binder.addNode(name, nodeLabels, List.of(), dev.flotilla.model.Resources.NONE);
      }
      String node = name;
      pods.stream().filter(pod -> !running.contains(pod.name())).forEach(pod -> binder.bound(node, pod));
    });
    Set<String> refused = new HashSet<>();
    // the pods still to land on each ready node; a batch can be older than the mirror: a pod it shows running has
    // landed
    List<Map.Entry<String, PendingPod>> waiting = new java.util.ArrayList<>();
    ready.forEach((claim, pods) -> {
      if (claim.nodeName() != null && binder.hasNode(claim.nodeName())) {
        pods.stream().filter(pod -> !running.contains(pod.name()))
            .forEach(pod -> waiting.add(Map.entry(claim.nodeName(), pod)));
      }
    });
    // each lands where it fits with those landed before it, again while any does: nodes ready at once take their pods
    // over the next seconds, and a zone spread's pod that would be too many in its zone alone is not once the other
    // zones' nodes have theirs (judged one at a time against the mirror, a burst's pods on nodes ready together were
    // released and planned again). A pod left over cannot land even then: its room taken, or its zone too full
    for (boolean landed = true; landed && !waiting.isEmpty(); ) {
      landed = false;
      for (java.util.Iterator<Map.Entry<String, PendingPod>> it = waiting.iterator(); it.hasNext(); ) {
        Map.Entry<String, PendingPod> w = it.next();
        if (binder.feasible(new QueuedPod(w.getValue(), 0, 0), w.getKey())) {
          binder.bound(w.getKey(), w.getValue());
          it.remove();
          landed = true;
        }
      }
    }
    waiting.forEach(w -> refused.add(w.getValue().name()));
    return refused;
  }
}
