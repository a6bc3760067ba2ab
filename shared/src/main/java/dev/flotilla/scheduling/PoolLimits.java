package dev.flotilla.scheduling;

import dev.flotilla.model.Resources;
import dev.flotilla.nodepool.NodePool;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What each NodePool with limits has used of them during one scheduling decision (what it already ran, plus the nodes
 * planned so far: at their planned shapes while packing, at the largest of their types once their claims offer
 * them), whether one more node of a shape stays within them, and why not. Changes when NodePool limits change.
 */
final class PoolLimits {
  private final Map<String, Resources> usage = new HashMap<>();

  PoolLimits(Map<String, Resources> inUse) {
    inUse.forEach(usage::put);
  }

  /** Whether one more node of the shape keeps its NodePool within its limits. */
  boolean allows(NodeShape shape) {
    return !shape.pool.hasLimits()
        || shape.pool.exceededLimit(usage.getOrDefault(shape.pool.name(), Resources.NONE), shape.capacity) == null;
  }

  /** Counts one node of the shape in its NodePool's usage ({@code sign} 1), or takes one out (-1). */
  void add(NodeShape shape, int sign) {
    add(shape.pool, shape.capacity, sign);
  }

  /** Counts {@code amount} in the NodePool's usage ({@code sign} 1), or takes it out (-1). */
  void add(NodePool pool, Resources amount, int sign) {
    if (!pool.hasLimits()) {
      return; // nothing to count against; packings try thousands of nodes, each adding a map of resources
    }
    Resources used = usage.getOrDefault(pool.name(), Resources.NONE);
    usage.put(pool.name(), sign > 0 ? used.plus(amount) : used.minus(amount));
  }

  /** Why one more node of the shape would take its NodePool past its limits, or null. */
  String exceededReason(NodeShape shape) {
    return shape.pool.exceededLimitReason(usage.getOrDefault(shape.pool.name(), Resources.NONE), shape.capacity);
  }

  /** A copy of the usage now, to {@link #restore} when a packing is tried and dropped. */
  Map<String, Resources> usage() {
    return new LinkedHashMap<>(usage);
  }

  void restore(Map<String, Resources> saved) {
    usage.clear();
    usage.putAll(saved);
  }

  /** Why the class's pool has no room for another node of any of its shapes. */
  String reason(PodClass c, List<NodeShape> shapes) {
    NodePool pool = shapes.get(c.shapes.nextSetBit(0)).pool;
    Resources used = usage.getOrDefault(pool.name(), Resources.NONE);
    for (int s = c.shapes.nextSetBit(0); s >= 0; s = c.shapes.nextSetBit(s + 1)) {
      String exceeded = pool.exceededLimitReason(used, shapes.get(s).capacity);
      if (exceeded != null) {
        return exceeded;
      }
    }
    return "NodePool " + pool.name() + " limits leave no room";
  }
}
