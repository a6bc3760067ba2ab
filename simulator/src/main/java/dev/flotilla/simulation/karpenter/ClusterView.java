package dev.flotilla.simulation.karpenter;

import dev.flotilla.catalog.InstanceType;
import dev.flotilla.catalog.NodeCapacity;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Karpenter's cluster state as the simulation reads it from the claim store: every live claim with an instance is a
 * node; one whose node has joined is what the node mirror shows, one still in flight is its allocatable with the
 * DaemonSets that will run there and the pods reserved for it. Nodes being deleted take no pods.
 */
final class ClusterView {

  private ClusterView() {}

  /** The mirror's documents read once, by node name: a pass simulates many times over them. */
  static Map<String, NodeState> parse(Map<String, String> nodeStates) {
    Map<String, NodeState> byNode = new LinkedHashMap<>();
    nodeStates.values().forEach(doc -> {
      NodeState s = NodeState.parse(doc);
      byNode.put(s.node(), s);
    });
    return byNode;
  }

  static List<ExistingNode> nodes(List<Claim> claims, Map<String, NodeState> byNode, List<NodePool> pools,
      OfferingCatalog catalog, List<PendingPod> daemonSets, Set<String> leaving) {
    List<ExistingNode> nodes = new ArrayList<>();
    for (Claim c : claims) {
      if (!c.state().live() || c.state() == ClaimState.Draining || c.instanceType() == null
          || leaving.contains(c.id())) {
        continue;
      }
      NodePool pool = pools.stream().filter(p -> p.name().equals(c.nodePool())).findFirst().orElse(null);
      NodeState state = c.nodeName() == null ? null : byNode.get(c.nodeName());
      if (state != null && c.state() == ClaimState.Initialized) {
        nodes.add(new ExistingNode(c.id(), state.node(), c.nodePool(), state.labels(), state.taints(),
            state.allocatable(), false, state.pods().stream().map(NodeState.NodePod::pod).toList()));
        continue;
      }
      InstanceType type = catalog.type(c.instanceType());
      if (type == null || pool == null) {
        continue;
      }
      Map<String, String> labels = new LinkedHashMap<>(NodePoolTemplate.labels(pool, type, catalog.region()));
      labels.put(WellKnownLabels.ZONE, c.zone());
      labels.put(WellKnownLabels.CAPACITY_TYPE, c.capacityType().label());
      labels.put("karpenter.sh/capacity-type", c.capacityType().label());
      List<PendingPod> pods = new ArrayList<>();
      daemonSets.stream().filter(d -> PodRules.daemonRuns(d, pool.taints(), labels)).forEach(pods::add);
      for (int i = 0; i < c.kinds().size(); i++) {
        pods.addAll(c.kinds().get(i).pods("karpenter/" + c.id() + "-" + i));
      }
      nodes.add(new ExistingNode(c.id(), c.nodeName(), c.nodePool(), labels, pool.taints(),
          NodeCapacity.allocatable(type), true, pods));
    }
    return nodes;
  }
}
