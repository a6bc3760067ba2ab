package dev.flotilla.simulation.karpenter;

import dev.flotilla.model.PendingPod;
import java.util.Comparator;

/**
 * The order Karpenter's scheduler takes pods in: CPU requests descending, then memory descending
 * (kubernetes-sigs/karpenter {@code provisioning/scheduling/queue.go}, {@code byCPUAndMemoryDescending}), so that the
 * largest pods open NodeClaims and the small ones fill them. Karpenter breaks the remaining ties by creation time and
 * uid; the name stands in for both here, so that a run replays.
 */
final class PodOrder {

  static final Comparator<PendingPod> CPU_THEN_MEMORY_DESCENDING = Comparator
      .comparingLong((PendingPod p) -> p.requests().cpuMillis()).reversed()
      .thenComparing(Comparator.comparingLong((PendingPod p) -> p.requests().memoryBytes()).reversed())
      .thenComparing(PendingPod::name);

  private PodOrder() {}
}
