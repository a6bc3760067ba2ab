package dev.flotilla.scheduling;

import dev.flotilla.catalog.InstanceType;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.Resources;
import dev.flotilla.nodepool.NodePool;
import java.util.Map;

/**
 * A node Flotilla could launch: an instance type from a NodePool, bought on-demand or spot, with what its pods may
 * use once DaemonSets have taken their share, and its price in each zone it is offered in.
 */
final class NodeShape {
  final int index;
  final NodePool pool;
  final int poolRank;
  final InstanceType type;
  final CapacityType capacityType;
  /** Node labels that do not depend on the zone. */
  final Map<String, String> labels;
  /** Allocatable less DaemonSet overhead, in {@link Dims} order. */
  final long[] room;
  /** What the node counts against NodePool limits. */
  final Resources capacity;
  /** Price per zone index ({@code NaN} where not offered). */
  final double[] zonePrice;
  final long zoneMask;
  final double minPrice;
  /**
   * The host ports ({@code protocol/port}) the DaemonSets that run on such a node bind, each with the DaemonSet's
   * name: a pod that binds one of them never runs there.
   */
  final Map<String, String> daemonSetPorts;
  /**
   * Its pool asks {@code minValues} of a label its type carries: a claim of it must offer that many distinct values
   * among the types every pod on it admits.
   */
  final boolean asksMinValues;

  NodeShape(int index, NodePool pool, int poolRank, InstanceType type, CapacityType capacityType,
      Map<String, String> labels, long[] room, Resources capacity, double[] zonePrice) {
    this(index, pool, poolRank, type, capacityType, labels, room, capacity, zonePrice, Map.of());
  }

  NodeShape(int index, NodePool pool, int poolRank, InstanceType type, CapacityType capacityType,
      Map<String, String> labels, long[] room, Resources capacity, double[] zonePrice,
      Map<String, String> daemonSetPorts) {
    this.index = index;
    this.daemonSetPorts = daemonSetPorts;
    this.pool = pool;
    this.poolRank = poolRank;
    this.type = type;
    this.capacityType = capacityType;
    this.labels = labels;
    this.room = room;
    this.capacity = capacity;
    this.zonePrice = zonePrice;
    long mask = 0;
    double min = Double.POSITIVE_INFINITY;
    for (int z = 0; z < zonePrice.length; z++) {
      if (!Double.isNaN(zonePrice[z])) {
        mask |= 1L << z;
        min = Math.min(min, zonePrice[z]);
      }
    }
    this.zoneMask = mask;
    this.minPrice = min;
    boolean asks = false;
    for (dev.flotilla.model.Requirement r : pool.requirements()) {
      asks |= r.minValues() > 0 && labels.containsKey(r.key());
    }
    this.asksMinValues = asks;
  }

  /** The cheapest zone among {@code allowed}, or -1. Ties go to the first zone, so plans are repeatable. */
  int cheapestZone(long allowed) {
    int best = -1;
    for (int z = 0; z < zonePrice.length; z++) {
      if ((allowed & (1L << z)) != 0 && !Double.isNaN(zonePrice[z]) && (best < 0 || zonePrice[z] < zonePrice[best])) {
        best = z;
      }
    }
    return best;
  }

  double price(long allowedZones) {
    int z = cheapestZone(allowedZones);
    return z < 0 ? Double.NaN : zonePrice[z];
  }

  @Override
  public String toString() {
    return pool.name() + "/" + type.name() + "/" + capacityType.label();
  }
}
