package dev.flotilla.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.InstanceType;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.manifest.Manifest;
import dev.flotilla.manifest.NodePoolReader;
import dev.flotilla.manifest.Workloads;
import dev.flotilla.model.Resources;
import dev.flotilla.scheduling.NodeClaim;
import dev.flotilla.scheduling.Plan;
import dev.flotilla.scheduling.Scheduler;
import dev.flotilla.scheduling.SchedulingInput;
import dev.flotilla.scheduling.Unschedulable;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flotilla plan}: what the provisioner would launch for the pods in some manifests, launching nothing. */
@Command(name = "plan", mixinStandardHelpOptions = true,
    description = "Prints the nodes Flotilla would launch for the workloads and NodePools in Kubernetes YAML files, "
        + "or for the pending pods of a live cluster (--kubeconfig). Launches nothing.")
public final class PlanCommand implements Callable<Integer> {

  enum Output { table, json }

  @Option(names = {"-f", "--filename"}, paramLabel = "FILE",
      description = "YAML with Deployments, StatefulSets, ReplicaSets, Jobs, Pods, DaemonSets and NodePools.")
  List<Path> files = new ArrayList<>();

  @Option(names = "--kubeconfig", paramLabel = "FILE",
      description = "Plan for a live cluster's pending pods, DaemonSets and NodePools instead.")
  Path kubeconfig;

  @Option(names = "--context", paramLabel = "NAME", description = "The kubeconfig context (default: its current).")
  String context;

  @Option(names = "--catalog", paramLabel = "FILE",
      description = "An instance-type catalog in the bundled file's schema (default: the bundled us-east-1).")
  Path catalog;

  @Option(names = "--region", paramLabel = "REGION",
      description = "The region to plan for; its instance types, zones and prices come from --catalog (default: "
          + "the catalog's region, us-east-1 for the bundled one).")
  String region;

  @Option(names = "--spot-ratio", defaultValue = "0.35", paramLabel = "RATIO",
      description = "Spot prices, as a share of on-demand, for NodePools that allow spot (default: ${DEFAULT-VALUE}).")
  double spotRatio;

  @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json (default: ${DEFAULT-VALUE}).")
  Output output;

  @Override
  public Integer call() {
    List<Manifest> manifests = new ArrayList<>();
    if (files.isEmpty() == (kubeconfig == null)) {
      throw new CommandFailure.UsageException("give either -f FILE (one or more) or --kubeconfig FILE");
    }
    CatalogFile file = catalog == null ? CatalogFile.bundled() : CatalogFile.read(catalog);
    if (region != null && catalog != null && !region.equals(file.region())) {
      throw new CommandFailure.UsageException("--catalog " + catalog + " is the catalog of " + file.region()
          + ", not of --region " + region);
    }
    if (region != null && !region.equals(file.region())) {
      // as the functions do where no catalog of their region can be had: the bundled one serves, and says so
      System.err.println("flotilla plan: no catalog of " + region + " was given (--catalog FILE): planning with the "
          + "bundled catalog of " + file.region() + ", its zones and its prices");
    }
    Prices prices = new Prices(file.region(), catalog == null ? "bundled" : catalog.toString(), spotRatio);
    OfferingCatalog offerings = OfferingCatalog.of(file, SpotPrices.ratio(spotRatio));
    SchedulingInput input;
    if (kubeconfig != null) {
      dev.flotilla.forwarder.LiveCluster cluster;
      try (var client = new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(
          io.fabric8.kubernetes.client.Config.fromKubeconfig(context, kubeconfig.toFile())).build()) {
        cluster = dev.flotilla.forwarder.LiveCluster.read(client);
      }
      input = new SchedulingInput(cluster.pendingPods(), cluster.nodePools(), offerings, cluster.daemonSets(),
          Map.of());
    } else {
      for (Path f : files) {
        manifests.addAll(Manifest.read(f));
      }
      Workloads workloads = Workloads.read(manifests);
      input = new SchedulingInput(workloads.pods(), NodePoolReader.read(manifests), offerings,
          workloads.daemonSets(), Map.of());
    }
    Plan plan = new Scheduler().schedule(input);
    if (output == Output.json) {
      System.out.println(json(plan, prices));
    } else {
      table(plan, offerings, System.out);
      System.out.println(prices.line());
    }
    return 0;
  }

  /** Which region's prices a plan uses: the catalog's, from the bundled file or the one given. */
  record Prices(String region, String catalog, double spotRatio) {
    String line() {
      return String.format(Locale.ROOT, "prices: %s on-demand from %s, spot at %.2f of them", region,
          catalog.equals("bundled") ? "the bundled catalog" : catalog, spotRatio);
    }
  }

  static String json(Plan plan, Prices prices) {
    Map<String, Object> root = new LinkedHashMap<>();
    List<Map<String, Object>> nodes = new ArrayList<>();
    for (NodeClaim c : plan.nodeClaims()) {
      Map<String, Object> n = new LinkedHashMap<>();
      n.put("instanceType", c.instanceType());
      n.put("zone", c.zone());
      n.put("capacityType", c.capacityType().label());
      n.put("pricePerHour", c.pricePerHour());
      n.put("nodePool", c.nodePool());
      n.put("pods", c.pods());
      nodes.add(n);
    }
    List<Map<String, Object>> unschedulable = new ArrayList<>();
    for (Unschedulable u : plan.unschedulable()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("pod", u.pod());
      m.put("reason", u.reason());
      unschedulable.add(m);
    }
    List<Map<String, Object>> fallbacks = new ArrayList<>();
    for (dev.flotilla.scheduling.PoolFallback f : plan.poolFallbacks()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("skippedPool", f.skippedPool());
      m.put("nodePool", f.nodePool());
      m.put("reason", f.reason());
      m.put("pods", f.pods());
      fallbacks.add(m);
    }
    root.put("nodes", nodes);
    root.put("unschedulable", unschedulable);
    root.put("poolFallbacks", fallbacks);
    root.put("totalPricePerHour", plan.totalPricePerHour());
    root.put("lowerBoundPerHour", plan.lowerBoundPerHour());
    root.put("zoneBoundPerHour", plan.zoneBoundPerHour());
    root.put("solveMillis", plan.solveMillis());
    Map<String, Object> source = new LinkedHashMap<>();
    source.put("region", prices.region());
    source.put("catalog", prices.catalog());
    source.put("spotRatio", prices.spotRatio());
    root.put("prices", source);
    try {
      return new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Nodes grouped by instance type, NodePool and capacity type, with utilisation, the total and the bound. */
  static void table(Plan plan, OfferingCatalog catalog, PrintStream out) {
    record Row(String type, String pool, String capacityType) {}
    Map<Row, List<NodeClaim>> rows = new TreeMap<>(java.util.Comparator.comparing(Row::type)
        .thenComparing(Row::pool).thenComparing(Row::capacityType));
    for (NodeClaim c : plan.nodeClaims()) {
      rows.computeIfAbsent(new Row(c.instanceType(), c.nodePool(), c.capacityType().label()), k -> new ArrayList<>())
          .add(c);
    }
    out.printf(Locale.ROOT, "%-22s %-12s %-10s %6s %11s %11s %6s %6s%n",
        "INSTANCE TYPE", "NODEPOOL", "CAPACITY", "NODES", "$/H EACH", "$/H TOTAL", "CPU%", "MEM%");
    for (Map.Entry<Row, List<NodeClaim>> e : rows.entrySet()) {
      List<NodeClaim> claims = e.getValue();
      InstanceType type = catalog.type(e.getKey().type());
      Resources used = Resources.NONE;
      Resources room = Resources.NONE;
      double total = 0;
      for (NodeClaim c : claims) {
        used = used.plus(c.requests());
        room = room.plus(c.allocatable());
        total += c.pricePerHour();
      }
      out.printf(Locale.ROOT, "%-22s %-12s %-10s %6d %11.4f %11.4f %5.1f%% %5.1f%%%n", type.name(),
          e.getKey().pool(), e.getKey().capacityType(), claims.size(), total / claims.size(), total,
          percent(used.cpuMillis(), room.cpuMillis()), percent(used.memoryBytes(), room.memoryBytes()));
    }
    out.printf(Locale.ROOT, "%nnodes %d, pods placed %d, unschedulable %d%n", plan.nodeClaims().size(),
        plan.placedPods(), plan.unschedulable().size());
    out.printf(Locale.ROOT, "total $%.4f/h; fractional lower bound $%.4f/h (%.1f%% above); decided in %d ms%n",
        plan.totalPricePerHour(), plan.lowerBoundPerHour(), (plan.costRatio() - 1) * 100, plan.solveMillis());
    if (plan.zoneBoundPerHour() > plan.lowerBoundPerHour()) {
      out.printf(Locale.ROOT, "keeping the zones topology pinned its shares to, a plan costs at least $%.4f/h (%.1f%%"
          + " above the bound; this plan is %.1f%% above that)%n", plan.zoneBoundPerHour(),
          (plan.zoneBoundPerHour() / plan.lowerBoundPerHour() - 1) * 100,
          (plan.totalPricePerHour() / plan.zoneBoundPerHour() - 1) * 100);
    }
    if (!plan.poolFallbacks().isEmpty()) {
      out.println();
      out.println("NODEPOOL FALLBACKS");
      for (dev.flotilla.scheduling.PoolFallback f : plan.poolFallbacks()) {
        out.println("  " + f.pods().size() + " pod(s) from NodePool " + f.skippedPool() + " to " + f.nodePool() + ": "
            + f.reason());
      }
    }
    if (!plan.unschedulable().isEmpty()) {
      out.println();
      out.println("UNSCHEDULABLE");
      for (Unschedulable u : plan.unschedulable()) {
        out.println("  " + u.pod() + ": " + u.reason());
      }
    }
  }

  private static double percent(long used, long room) {
    return room == 0 ? 0 : 100.0 * used / room;
  }
}
