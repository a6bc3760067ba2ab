package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testing.TestEvents;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Scenarios nobody wrote: each seed takes one of the shipped workloads files (its NodePools, limits, weights, taints
 * and pod rules) and a cluster (its scheduler's scoring, its controllers' scale-down rule), scales the workloads up
 * and down at random, from none to five times their replicas, and mixes in every kind of event the scenario format
 * has (spot reclaims, capacity shortages of a family, a type or a zone, a new node image, nodes failing, a NodePool
 * edited) and, on a third of the seeds, every kind of fault. The run's own invariants are checked as it goes and none
 * may break; nothing is launched twice, no disruption budget is exceeded; and once the run has been calm for ten
 * minutes, every pod still pending is one the provisioner says it cannot place (a pool's limit, a pod affinity whose
 * pods left, more zone anti-affine replicas than zones), with its reason. A failing seed replays exactly:
 * {@link #scenario} gives its file.
 */
class MixedScenariosTest {

  private record Workload(String name, int replicas) {}

  private record Workloads(List<Workload> workloads, List<String> pools) {}

  /** Each shipped workloads file, its Deployments, StatefulSets and Jobs with their replicas, and its pools. */
  private static final Map<String, Workloads> FILES = new TreeMap<>(Map.of(
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
  /** Events fall in the first 18 minutes; the run lasts 30, its faults stop at 15. */
  private static final int LAST_EVENT_MINUTE = 18;

  private static final Pattern UNSCHEDULABLE = Pattern.compile("provisioner: (\\d+) pending pods.*unschedulable (\\d+)");
  private static final Set<String> FILES_RUN = new TreeSet<>();
  private static final Set<String> EVENTS_RUN = new TreeSet<>();

  static IntStream seeds() {
    return IntStream.rangeClosed(1, 24);
  }

  /** The scenario of {@code seed}, as a file's text. */
  static String scenario(int seed) {
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
    StringBuilder yaml = new StringBuilder("name: mixed-" + seed + "\nduration: 30m\n")
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

  private static void event(TreeMap<Integer, List<String>> events, Random random, String kind, String body) {
    events.computeIfAbsent(random.nextInt(LAST_EVENT_MINUTE * 60 + 1), s -> new ArrayList<>())
        .add(kind + ": " + body);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void anyMixOfWorkloadsEventsAndFaultsKeepsEveryPromise(int seed) {
    String yaml = scenario(seed);
    List<String> provisioner = new ArrayList<>();
    Scenario scenario = Scenario.parse("mixed-" + seed + ".yaml", yaml, TestEvents.root().resolve("scenarios"));

    SimulationResult r = new Simulation(scenario, (at, line) -> {
      if (line.startsWith("provisioner: ")) {
        provisioner.add(line);
      }
    }).run();

    String replay = "\n" + yaml;
    assertThat(r.invariantViolations()).as(replay).isEmpty();
    assertThat(r.doubleLaunches()).as(replay).isZero();
    assertThat(r.budgetViolations()).as(replay).isZero();
    assertThat(r.podsRunningAtEnd() + r.podsPendingAtEnd()).as(replay).isPositive();
    if (r.podsPendingAtEnd() > 0) {
      // the provisioner runs again while pods wait: its last word names them unschedulable, each with a reason
      assertThat(provisioner).as(replay).isNotEmpty();
      Matcher last = UNSCHEDULABLE.matcher(provisioner.getLast());
      assertThat(last.find()).as(provisioner.getLast() + replay).isTrue();
      assertThat(Integer.parseInt(last.group(2))).as(provisioner.getLast() + replay)
          .isGreaterThanOrEqualTo(r.podsPendingAtEnd());
    }
    synchronized (FILES_RUN) {
      Matcher file = Pattern.compile("workloads/([a-z-]+)\\.yaml").matcher(yaml);
      FILES_RUN.add(file.find() ? file.group(1) : yaml);
      scenario.events().forEach(e -> EVENTS_RUN.add(e.getClass().getSimpleName()));
    }
  }

  @AfterAll
  static void everyFileAndEveryKindOfEventWasRun() {
    assertThat(FILES_RUN).hasSize(FILES.size());
    assertThat(EVENTS_RUN).contains("Scale", "SpotInterruption", "InsufficientCapacity", "ImageRelease",
        "NodeFailure", "NodePoolChange");
  }
}
