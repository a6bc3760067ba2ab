package dev.flotilla.scheduling;

import java.util.List;

/**
 * Pods their NodePool could not take, and the pool they were planned on instead: the next by weight whose
 * requirements, taints and instance types admit them, as Karpenter tries each NodePool in weight order.
 *
 * @param skippedPool the pool whose limits left no room
 * @param nodePool    the pool the pods fell back to (their claims name it)
 * @param reason      why the skipped pool could not take them
 */
public record PoolFallback(String skippedPool, String nodePool, String reason, List<String> pods) {

  public PoolFallback {
    pods = List.copyOf(pods);
  }
}
