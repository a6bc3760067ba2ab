package dev.flotilla.claims;

import dev.flotilla.catalog.InstanceType;
import dev.flotilla.catalog.NodeLabels;
import dev.flotilla.model.WellKnownLabels;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The labels a claim's node carries beyond the kubelet's own: its claim, NodePool and capacity type, its instance
 * type's facts (category, family, CPU, hypervisor and the rest, in Flotilla's and Karpenter's spellings) and its
 * NodePool's template labels. The plan placed pods by exactly these; a node without them is one kube-scheduler
 * refuses those pods on. The forwarder writes them onto the node; the simulator registers its nodes with them.
 */
public final class ClaimNodeLabels {

  private ClaimNodeLabels() {}

  /**
   * @param type the claim's instance type, null when the catalog does not know it (then only what its name says)
   * @param poolLabels the claim's NodePool's template labels
   */
  public static Map<String, String> of(Claim claim, InstanceType type, Map<String, String> poolLabels) {
    Map<String, String> labels = new LinkedHashMap<>();
    if (type != null) {
      labels.putAll(NodeLabels.of(type));
    } else if (claim.instanceType() != null) {
      labels.putAll(NodeLabels.ofName(claim.instanceType()));
    }
    labels.put(WellKnownLabels.NODEPOOL, claim.nodePool());
    if (claim.capacityType() != null) {
      labels.put(WellKnownLabels.CAPACITY_TYPE, claim.capacityType().label());
    }
    Map<String, String> result = NodeLabels.withAliases(labels);
    result.put(WellKnownLabels.CLAIM, claim.id());
    // the pool's own labels last, as Karpenter's template labels: they may not override the well-known ones
    poolLabels.forEach(result::putIfAbsent);
    return result;
  }
}
