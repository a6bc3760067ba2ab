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
    ready.forEach((claim, pods) -> {
      if (claim.nodeName() == null || !binder.hasNode(claim.nodeName())) {
        return;
      }
      for (PendingPod pod : pods) {
        // a batch can be older than the mirror: a pod it shows running has landed
        if (!running.contains(pod.name()) && !binder.feasible(new QueuedPod(pod, 0, 0), claim.nodeName())) {
          refused.add(pod.name());
        }
      }
    });
    return refused;
  }
}
