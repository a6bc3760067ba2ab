package dev.flotilla.scheduling;

import dev.flotilla.model.PendingPod;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Claims launched but not yet nodes, as open nodes the packing fills first: their shape, zone, and the room and
 * per-node topology counts their pods leave. Changes when how in-flight capacity is reported changes.
 */
final class InFlightNodes {

  private InFlightNodes() {}

  /** An open node per in-flight claim whose shape is still offered, holding the pods it already has. */
  static Map<String, OpenNode> open(List<InFlightNode> inFlightNodes, Map<NodeShapes.Offered, NodeShape> shapes,
      Map<String, Integer> zoneIndex, Dims dims, Topology topology) {
    Map<String, OpenNode> nodes = new LinkedHashMap<>();
    for (InFlightNode inFlight : inFlightNodes) {
      int zone = zoneIndex.getOrDefault(inFlight.zone(), -1);
      NodeShape shape = shapes.get(new NodeShapes.Offered(inFlight.nodePool(), inFlight.instanceType(),
          inFlight.capacityType()));
      if (shape == null || zone < 0) {
        continue;
      }
      OpenNode node = new OpenNode(shape, 1L << zone, topology.groups.size());
      boolean fits = true;
      for (PendingPod pod : inFlight.pods()) {
        long[] req = dims.dense(pod.requests());
        for (int r = 0; r < req.length; r++) {
          node.room[r] -= req[r];
          fits &= node.room[r] >= 0;
        }
        topology.countPlaced(pod, node.counts, node.repelled);
      }
      if (fits) {
        nodes.put(inFlight.claimId(), node);
      }
    }
    return nodes;
  }
}
