package dev.flotilla.binding;

import dev.flotilla.model.PendingPod;

/**
 * A pod in the scheduling queue. The queue is ordered as kube-scheduler's PrioritySort orders it: higher
 * {@code priority} first, then the earlier {@code queuedAt} (epoch milliseconds; the pod's creation for a pod that has
 * never been tried).
 */
public record QueuedPod(PendingPod spec, int priority, long queuedAt) {

  public QueuedPod {
    if (spec == null) {
      throw new IllegalArgumentException("queued pod: spec is required");
    }
  }

  public String name() {
    return spec.name();
  }
}
