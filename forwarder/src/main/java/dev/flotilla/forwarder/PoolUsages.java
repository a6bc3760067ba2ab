package dev.flotilla.forwarder;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.model.Quantity;
import io.fabric8.kubernetes.api.model.Node;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * What each NodePool uses, from Flotilla's own records and the cluster: its live claims by state, the price of those
 * whose instance runs, and, for those whose node has joined and is not draining, the node's capacity (as Karpenter
 * counts a pool's resources against its limits, and as the provisioner does).
 */
final class PoolUsages {

  private PoolUsages() {}

  static Map<String, PoolUsage> of(Iterable<Claim> claims, Function<String, Node> nodeByName) {
    Map<String, PoolUsage> usage = new HashMap<>();
    Map<String, Map<String, Integer>> byState = new HashMap<>();
    for (Claim claim : claims) {
      if (claim.state() == ClaimState.Terminated || claim.nodePool() == null) {
        continue;
      }
      byState.computeIfAbsent(claim.nodePool(), p -> new TreeMap<>()).merge(claim.state().name(), 1, Integer::sum);
      PoolUsage pool = usage.getOrDefault(claim.nodePool(), PoolUsage.NONE);
      // a claim still launching has an estimate, not an instance: it costs nothing yet. One draining still costs,
      // and counts nothing against the limits, as a node marked for deletion counts nothing in Karpenter's
      if (claim.state() != ClaimState.Launching) {
        Node node = claim.nodeName() == null || claim.state() == ClaimState.Draining ? null
            : nodeByName.apply(claim.nodeName());
        pool = node == null
            ? new PoolUsage(pool.nodes(), pool.cpuMillis(), pool.memoryBytes(),
                pool.pricePerHour() + claim.pricePerHour(), pool.claims())
            : pool.plus(capacity(node, "cpu", true), capacity(node, "memory", false), claim.pricePerHour());
      }
      usage.put(claim.nodePool(), pool);
    }
    byState.forEach((pool, states) -> usage.put(pool, usage.get(pool).withClaims(states)));
    return usage;
  }

  private static long capacity(Node node, String resource, boolean millis) {
    if (node.getStatus() == null || node.getStatus().getCapacity() == null
        || node.getStatus().getCapacity().get(resource) == null) {
      return 0;
    }
    String text = node.getStatus().getCapacity().get(resource).toString();
    return millis ? Quantity.millis(text) : Quantity.units(text);
  }
}
