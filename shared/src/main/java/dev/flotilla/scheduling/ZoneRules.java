package dev.flotilla.scheduling;

import dev.flotilla.model.TopologySpread;
import java.util.ArrayList;
import java.util.List;

/**
 * The zone rules that settle one pod class ({@link ZoneTopology}): the zone spreads and zone anti-affinity groups it
 * carries or whose selectors match it, the zone affinity it follows, and its capacity-type spreads.
 */
final class ZoneRules {
  final List<ZoneSpread> carried = new ArrayList<>();
  final List<ZoneSpread> member = new ArrayList<>();
  final List<Topology.Group> antiCarried = new ArrayList<>();
  final List<Topology.Group> antiMember = new ArrayList<>();
  final List<Topology.Group> follows = new ArrayList<>();
  final List<TopologySpread> capacitySpreads = new ArrayList<>();
  /** Every group it follows selects its own pods alone: it depends on no one and goes first. */
  boolean followsItself = true;

  /** Whether any rule holds: its pods are then pinned pod by pod. */
  boolean split() {
    return !carried.isEmpty() || !member.isEmpty() || !antiCarried.isEmpty() || !antiMember.isEmpty()
        || !follows.isEmpty() || !capacitySpreads.isEmpty();
  }
}
