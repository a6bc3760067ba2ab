package dev.flotilla.scheduling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Per-node topology as resources every node has a fixed number of: a slot per hostname rule. Of the pods a group of
 * hostname topology counts, those that carry a rule on it (hostname anti-affinity: 1; hostname spread: its maxSkew)
 * number at most the largest such cap on one node. Each such group becomes one more resource, of which a node offers
 * that cap and each of those pods takes one.
 *
 * <p>For any group this is a valid limit on what a new node holds, whatever order its pods are placed in (the last of
 * them to be placed must see the others and stay within its own cap), so the bound stays a true lower bound with
 * slots added. Where every pod the group counts carries the same rule on it, the slots say exactly what a node may
 * hold of that group: such a group is <em>exact</em>, and the pattern program may take its pods, whose whole-node
 * patterns then keep the rule by construction.
 */
final class NodeSlots {

  /** The groups that became slots, in slot order. */
  private final List<Integer> slotGroups = new ArrayList<>();
  private final long[] slotRoom;
  private final boolean[] exact;
  private final int groups;

  /**
   * @param classes the classes to be planned, after {@link Topology#nodeConstraints} set their per-node constraints
   * @param groups  how many topology groups there are
   */
  NodeSlots(List<PodClass> classes, int groups) {
    this.groups = groups;
    int[] cap = new int[groups];
    boolean[] ruled = new boolean[groups];
    boolean[] mixed = new boolean[groups];
    int[] firstCap = new int[groups];
    Arrays.fill(firstCap, -1);
    for (PodClass c : classes) {
      for (int g : c.matches) {
        int rule = rule(c, g);
        if (rule < 0) {
          mixed[g] = true;
          continue;
        }
        ruled[g] = true;
        // a pod kept away from the others holds its node alone, but a node without one may hold up to the largest cap
        cap[g] = Math.max(cap[g], rule);
        if (firstCap[g] < 0) {
          firstCap[g] = rule;
        } else if (firstCap[g] != rule) {
          mixed[g] = true;
        }
      }
      // a rule on a group the class is not counted in limits others on its node, which slots do not describe
      for (int g : c.repels) {
        if (!Topology.contains(c.matches, g)) {
          mixed[g] = true;
        }
      }
      for (int g : c.capGroups) {
        if (!Topology.contains(c.matches, g)) {
          mixed[g] = true;
        }
      }
    }
    this.exact = new boolean[groups];
    List<Long> room = new ArrayList<>();
    for (int g = 0; g < groups; g++) {
      if (ruled[g]) {
        slotGroups.add(g);
        room.add((long) cap[g]);
        exact[g] = !mixed[g];
      }
    }
    this.slotRoom = room.stream().mapToLong(Long::longValue).toArray();
  }

  /** How many slots there are: resources beyond the run's own. */
  int size() {
    return slotRoom.length;
  }

  /** What every node offers of each slot. */
  long[] room() {
    return slotRoom.clone();
  }

  /** A class's requests with the slots it takes appended. */
  long[] requests(PodClass c) {
    long[] out = Arrays.copyOf(c.requests, c.requests.length + slotRoom.length);
    for (int s = 0; s < slotGroups.size(); s++) {
      if (Topology.contains(c.matches, slotGroups.get(s)) && rule(c, slotGroups.get(s)) >= 0) {
        out[c.requests.length + s] = 1;
      }
    }
    return out;
  }

  /**
   * Whether every per-node rule touching the class is exactly its slots: then a node holding it is valid exactly
   * when its slots fit.
   */
  boolean exact(PodClass c) {
    for (int g : c.repels) {
      if (!Topology.contains(c.matches, g)) {
        return false;
      }
    }
    for (int g : c.capGroups) {
      if (!Topology.contains(c.matches, g)) {
        return false;
      }
    }
    for (int g : c.matches) {
      if (g >= groups || !exact[g] || rule(c, g) < 0) {
        return false;
      }
    }
    return true;
  }

  /** The cap a class's own rule puts on a group it is counted in: 1 for anti-affinity, maxSkew for spread; or -1. */
  private static int rule(PodClass c, int g) {
    if (Topology.contains(c.repels, g)) {
      return 1;
    }
    int cap = -1;
    for (int i = 0; i < c.capGroups.length; i++) {
      if (c.capGroups[i] == g) {
        cap = cap < 0 ? c.caps[i] : Math.min(cap, c.caps[i]);
      }
    }
    return cap;
  }
}
