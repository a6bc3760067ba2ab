package dev.flotilla.cli;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.nodepool.NodePoolStore;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code flotilla status} prints: the NodePools, the claims by state, the nodes, and what the fleet costs an
 * hour, read either from the cluster (NodePool status and node labels the forwarder writes) or from Flotilla's own
 * records in the table.
 */
record FleetStatus(List<Pool> pools, Map<String, Integer> claimsByState, List<FleetNode> nodes, double boundPerHour) {

  /** One NodePool as {@code kubectl get nodepools} shows it. */
  record Pool(String name, String nodes, String cpu, String memory, String pricePerHour, String ready) {}

  /** One node Flotilla launched, as its claim describes it. */
  record FleetNode(String name, String nodePool, String instanceType, String capacityType, String claim,
      double pricePerHour, String launchedAt) {}

  FleetStatus {
    pools = List.copyOf(pools);
    claimsByState = Map.copyOf(claimsByState);
    nodes = List.copyOf(nodes);
  }

  double pricePerHour() {
    return nodes.stream().mapToDouble(FleetNode::pricePerHour).sum();
  }

  /** From the cluster: the NodePools with the status the forwarder writes, and the nodes its labels name. */
  @SuppressWarnings("unchecked")
  static FleetStatus fromCluster(List<GenericKubernetesResource> nodePools, List<Node> clusterNodes,
      double boundPerHour) {
    List<Pool> pools = new ArrayList<>();
    Map<String, Integer> byState = new TreeMap<>();
    for (GenericKubernetesResource r : nodePools) {
      Map<String, Object> status = r.getAdditionalProperties().get("status") instanceof Map<?, ?> m
          ? (Map<String, Object>) m : Map.of();
      Map<String, Object> resources = status.get("resources") instanceof Map<?, ?> m ? (Map<String, Object>) m
          : Map.of();
      String ready = "Unknown";
      if (status.get("conditions") instanceof List<?> conditions) {
        for (Object c : conditions) {
          if (c instanceof Map<?, ?> condition && "Ready".equals(condition.get("type"))) {
            ready = String.valueOf(condition.get("status"));
          }
        }
      }
      if (status.get("claims") instanceof Map<?, ?> claims) {
        claims.forEach((state, n) -> byState.merge(state.toString(), ((Number) n).intValue(), Integer::sum));
      }
      pools.add(new Pool(r.getMetadata().getName(), text(resources.get("nodes")), text(resources.get("cpu")),
          text(resources.get("memory")), text(status.get("pricePerHour")), ready));
    }
    List<FleetNode> nodes = new ArrayList<>();
    for (Node node : clusterNodes) {
      Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
      Map<String, String> annotations = node.getMetadata().getAnnotations() == null ? Map.of()
          : node.getMetadata().getAnnotations();
      if (!labels.containsKey("flotilla.dev/claim")) {
        continue;
      }
      nodes.add(new FleetNode(node.getMetadata().getName(), labels.getOrDefault("flotilla.dev/nodepool", "-"),
          labels.getOrDefault("node.kubernetes.io/instance-type", "-"),
          labels.getOrDefault("flotilla.dev/capacity-type", "-"), labels.get("flotilla.dev/claim"),
          Double.parseDouble(annotations.getOrDefault("flotilla.dev/price-per-hour", "0")),
          annotations.getOrDefault("flotilla.dev/launched-at", "-")));
    }
    return new FleetStatus(pools, byState, nodes, boundPerHour);
  }

  /** From the table: the stored NodePools, and every live claim with its instance. */
  static FleetStatus fromRecords(NodePoolStore.Stored stored, Collection<Claim> claims, double boundPerHour) {
    Map<String, Integer> byState = new TreeMap<>();
    Map<String, double[]> perPool = new TreeMap<>();
    stored.documents().keySet().forEach(name -> perPool.put(name, new double[2]));
    List<FleetNode> nodes = new ArrayList<>();
    for (Claim c : claims) {
      if (c.state() == ClaimState.Terminated) {
        continue;
      }
      byState.merge(c.state().name(), 1, Integer::sum);
      if (c.instanceId() == null) {
        continue;
      }
      double[] pool = perPool.computeIfAbsent(c.nodePool(), p -> new double[2]);
      pool[0]++;
      pool[1] += c.pricePerHour();
      nodes.add(new FleetNode(c.nodeName() != null ? c.nodeName() : c.instanceId(), c.nodePool(), c.instanceType(),
          c.capacityType() == null ? "-" : c.capacityType().label(), c.id(), c.pricePerHour(),
          c.createdAt().toString()));
    }
    List<Pool> pools = new ArrayList<>();
    perPool.forEach((name, used) -> pools.add(new Pool(name, Long.toString((long) used[0]), "-", "-",
        String.format(Locale.ROOT, "%.4f", used[1]), stored.documents().containsKey(name) ? "True" : "-")));
    return new FleetStatus(pools, byState, nodes, boundPerHour);
  }

  /** The pods the node-state mirror shows on the fleet's nodes, DaemonSets' pods apart. */
  static List<dev.flotilla.model.PendingPod> running(dev.flotilla.claims.ClaimStore store) {
    List<dev.flotilla.model.PendingPod> pods = new ArrayList<>();
    for (String json : store.nodeStates().values()) {
      dev.flotilla.disruption.NodeState.parse(json).pods().stream().filter(p -> !p.daemon())
          .forEach(p -> pods.add(p.pod()));
    }
    return pods;
  }

  /** The DaemonSets the forwarder mirrored, each as the pod it puts on every node. */
  static List<dev.flotilla.model.PendingPod> daemonSets(dev.flotilla.claims.ClaimStore store) {
    return store.daemonSets().map(d -> dev.flotilla.contracts.DaemonSets.parse(d).templates()).orElse(List.of());
  }

  /** The stored NodePools, read as the functions read them. */
  static List<dev.flotilla.nodepool.NodePool> pools(NodePoolStore.Stored stored) {
    List<dev.flotilla.nodepool.NodePool> pools = new ArrayList<>();
    stored.documents().forEach((name, doc) -> dev.flotilla.manifest.Manifest.parse("NodePool " + name, doc)
        .forEach(m -> pools.add(dev.flotilla.manifest.NodePoolReader.read(m))));
    return pools;
  }

  private static String text(Object value) {
    return value == null ? "-" : value.toString();
  }

  void print(PrintStream out) {
    out.println("NODEPOOLS");
    out.printf(Locale.ROOT, "  %-24s %6s %8s %10s %10s %6s%n", "NAME", "NODES", "CPU", "MEMORY", "$/H", "READY");
    for (Pool p : pools) {
      out.printf(Locale.ROOT, "  %-24s %6s %8s %10s %10s %6s%n", p.name(), p.nodes(), p.cpu(), p.memory(),
          p.pricePerHour(), p.ready());
    }
    out.println();
    // in the order a claim lives through its states
    List<String> states = new ArrayList<>();
    for (ClaimState state : ClaimState.values()) {
      if (claimsByState.containsKey(state.name())) {
        states.add(state.name() + " " + claimsByState.get(state.name()));
      }
    }
    out.println("CLAIMS " + (states.isEmpty() ? "none" : String.join(", ", states)));
    out.println();
    out.println("NODES");
    out.printf(Locale.ROOT, "  %-28s %-16s %-14s %-10s %9s  %-20s %s%n", "NAME", "NODEPOOL", "TYPE", "CAPACITY",
        "$/H", "LAUNCHED", "CLAIM");
    for (FleetNode n : nodes) {
      out.printf(Locale.ROOT, "  %-28s %-16s %-14s %-10s %9.4f  %-20s %s%n", n.name(), n.nodePool(),
          n.instanceType(), n.capacityType(), n.pricePerHour(), n.launchedAt(), n.claim());
    }
    out.println();
    out.printf(Locale.ROOT, "FLEET %d node(s), $%.4f/h%n", nodes.size(), pricePerHour());
    // the bound of the pods the fleet runs, as the simulator and the provisioner's decisions report it
    out.printf(Locale.ROOT, "BOUND $%.4f/h for the pods the fleet runs%s%n", boundPerHour,
        boundPerHour <= 0 ? "" : String.format(Locale.ROOT, " (the fleet is %+.1f%%)",
            100 * (pricePerHour() / boundPerHour - 1)));
  }
}
