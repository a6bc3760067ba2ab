package dev.flotilla.simulation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Scenarios nobody wrote, one for each seed: one of the shipped workloads files (its NodePools, limits, weights,
 * taints and pod rules) and a cluster (its scheduler's scoring, its controllers' scale-down rule), its workloads scaled
 * up and down at random from none to five times their replicas, and every other kind of event the scenario format has
 * at random (spot reclaims, capacity shortages of a family, a family in a zone or a type, a new node image, nodes
 * failing, a NodePool edited), in the first 20 of 35 minutes; on a third of the seeds, every kind of fault until
 * minute 15. {@code flotilla simulate --generated SEED} runs one, and the tests run 24.
 */
public final class GeneratedScenario {

  private GeneratedScenario() {}

  record Workload(String name, int replicas) {}

  record Workloads(List<Workload> workloads, List<String> pools) {}

  /** Each shipped workloads file, its Deployments, StatefulSets and Jobs with their replicas, and its pools. */
  static final Map<String, Workloads> FILES = new TreeMap<>(Map.of(
      "constraint-mix", new Workloads(List.of(new Workload("data/quorum", 3), new Workload("web/cache", 10),
          new Workload("web/logger", 10), new Workload("web/ingress", 6), new Workload("web/api", 40),
          new Workload("pay/billing", 8), new Workload("data/analytics", 4)), List.of("default", "ondemand")),
      "multi-pool", new Workloads(List.of(new Workload("shop/front", 30), new Workload("shop/session", 12),
          new Workload("shop/db", 3), new Workload("shop/worker", 40)), List.of("graviton", "general", "batch")),
      "pools-and-preferences", new Workloads(List.of(new Workload("shop/web", 60), new Workload("shop/regional", 24),
          new Workload("data/db", 3), new Workload("ml/train", 4), new Workload("batch/worker", 40)),
          List.of("arm", "general", "gpu")),
      "shop-services", new Workloads(List.of(new Workload("default/web", 40), new Workload("default/api", 24),
          new Workload("default/cache", 3)), List.of("general", "gpu")),
      "team-pools", new Workloads(List.of(new Workload("payments/ledger", 30), new Workload("edge-a/gateway", 4),
          new Workload("edge-b/gateway", 4), new Workload("shop/web", 60), new Workload("ml/embed", 3)),
          List.of("payments", "general", "inference"))));

  private static final List<String> FAMILIES = List.of("c6g", "c7g", "m6g", "m7g", "r6g", "c6i", "m6i", "c5", "m5",
      "c6a", "m6a", "g5");
  private static final List<String> ZONES = List.of("us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d");
  private static final double[] SCALES = {0, 0.3, 0.5, 1, 2, 3, 5};
  /** Events fall in the first 20 minutes; faults stop at 15. */
  static final int LAST_EVENT_MINUTE = 20;
  /** The run lasts this long: 15 calm minutes after the last event, as #17's targets ask. */
  static final int MINUTES = 35;

  /**
   * The scenario of {@code seed}, as a file's text: it names its workloads file as {@code ../workloads/NAME.yaml},
   * read from beside {@code test-events/scenarios/}.
   */
  public static String yaml(long seed) {
    Random random = new Random(seed);
    List<String> names = new ArrayList<>(FILES.keySet());
    String file = names.get(random.nextInt(names.size()));
    Workloads workloads = FILES.get(file);
    TreeMap<Integer, List<String>> events = new TreeMap<>();
    for (Workload w : workloads.workloads()) {
      for (int n = random.nextInt(4); n >= 0; n--) {
        int replicas = (int) Math.round(w.replicas() * SCALES[random.nextInt(SCALES.length)]);
        event(events, random, "scale", "{workload: " + w.name() + ", replicas: " + replicas + "}");
      }
    }
    if (random.nextDouble() < 0.6) {
      event(events, random, "spotInterruption", "{fraction: " + (1 + random.nextInt(5)) / 10.0 + "}");
    }
    if (random.nextDouble() < 0.5) {
      String where = switch (random.nextInt(3)) {
        case 0 -> "instanceFamily: " + FAMILIES.get(random.nextInt(FAMILIES.size()));
        case 1 -> "instanceFamily: " + FAMILIES.get(random.nextInt(FAMILIES.size())) + ", zone: "
            + ZONES.get(random.nextInt(ZONES.size()));
        default -> "instanceType: " + FAMILIES.get(random.nextInt(FAMILIES.size())) + ".2xlarge";
      };
      event(events, random, "insufficientCapacity", "{" + where + ", duration: " + (3 + random.nextInt(10)) + "m}");
    }
    if (random.nextDouble() < 0.3) {
      event(events, random, "imageRelease", "{arch: " + List.of("amd64", "arm64", "all").get(random.nextInt(3)) + "}");
    }
    if (random.nextDouble() < 0.3) {
      event(events, random, "nodeFailure", "{count: " + (1 + random.nextInt(3)) + ", condition: Ready, status: "
          + "\"Unknown\", for: " + (2 + random.nextInt(8)) + "m}");
    }
    if (random.nextDouble() < 0.3) {
      String pool = workloads.pools().get(random.nextInt(workloads.pools().size()));
      event(events, random, "nodePoolChange", "{nodePool: " + pool + ", set: {spec.template.metadata.labels.rollout: "
          + "\"r" + seed + "\"}}");
    }
    StringBuilder yaml = new StringBuilder("name: generated-" + seed + "\nduration: " + MINUTES + "m\n")
        .append("ec2: {bootSeconds: ").append(30 + 15 * random.nextInt(3)).append(", spotPriceRatio: ")
        .append(List.of("0.3", "0.35", "0.5").get(random.nextInt(3))).append("}\n")
        .append("cluster: {scoring: ").append(random.nextInt(4) == 0 ? "MostAllocated" : "LeastAllocated")
        .append(", scaleDown: ").append(random.nextBoolean() ? "ReplicaSetRanks" : "NewestFirst").append("}\n")
        .append("manifests: [../workloads/").append(file).append(".yaml]\nevents:\n");
    events.forEach((second, lines) -> lines.forEach(line -> yaml.append("  - {at: ").append(second).append("s, ")
        .append(line).append("}\n")));
    if (random.nextInt(3) == 0) {
      yaml.append("""
          faults:
            seed: %d
            duplicateDelivery: 0.2
            reorder: 0.2
            concurrency: 4
            crashAfterPortCall: 0.03
            fleet: {insufficientCapacity: 0.1, partial: 0.1, lostResponse: 0.02}
            throttle: 0.02
            ttlLagSeconds: 600
            forwarderRestartAt: [6m]
            until: 15m
          """.formatted(seed));
    }
    return yaml.toString();
  }

  /** The scenario of {@code seed}, its workloads read from {@code scenarios/../workloads/}. */
  public static Scenario read(long seed, java.nio.file.Path scenarios) {
    return Scenario.parse("generated-" + seed + ".yaml", yaml(seed), scenarios);
  }

  private static void event(TreeMap<Integer, List<String>> events, Random random, String kind, String body) {
    events.computeIfAbsent(random.nextInt(LAST_EVENT_MINUTE * 60 + 1), s -> new ArrayList<>())
        .add(kind + ": " + body);
  }
}
