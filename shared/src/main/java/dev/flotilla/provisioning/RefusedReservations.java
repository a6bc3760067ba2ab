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
   * @param mirror the forwarder's node mirror
   * @return the pods of {@code ready} that could not be bound on their claim's node now
   */
  static Set<String> refused(Map<Claim, List<PendingPod>> ready, Supplier<List<NodeState>> mirror) {
    Set<String> refused = new HashSet<>();
    if (ready.isEmpty()) {
      return refused;
    }
    Binder binder = new Binder(ScoringProfile.LeastAllocated, 0);
    Set<String> running = new HashSet<>();
    for (NodeState node : mirror.get()) {
      node.joinTo(binder);
      node.pods().forEach(p -> running.add(p.pod().name()));
    }
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
