package dev.flotilla.cli;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.model.PendingPod;
import dev.flotilla.scheduling.Plan;
import dev.flotilla.scheduling.Scheduler;
import dev.flotilla.scheduling.SchedulingInput;
import dev.flotilla.scheduling.SyntheticWorkloads;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flotilla bench}: the scheduler's speed and cost figures. Wall-clock medians over repeated runs after a
 * warm-up, on this machine; the cost sweep compares each plan with its fractional lower bound.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Measures the scheduler: speed on 10,000 pods and cost against the fractional lower bound.")
public final class BenchCommand implements Callable<Integer> {

  /**
   * Above this many kinds the whole-pod bound is not solved: the program's prices swing from round to round over 200
   * kinds (the most a pattern is worth over its node 1.2 to 2 times), and the bound they give is far below the
   * fractional one, after a minute a plan.
   */
  static final int WHOLE_POD_KINDS = 60;

  @Option(names = "--runs", defaultValue = "7", description = "Measured runs per workload (default: ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--warmup", defaultValue = "5", description = "Warm-up runs per workload (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--skip-cost-sweep", description = "Measure speed only.")
  boolean skipCostSweep;

  @Option(names = "--kinds-seeds", defaultValue = "3",
      description = "Seeds per cell of the sweep over pod kinds (default: ${DEFAULT-VALUE}; 0 skips it).")
  int kindsSeeds;

  @Option(names = "--only-kinds", description = "Run only the speed and cost sweeps over pod kinds (and the store's).")
  boolean onlyKinds;

  @Option(names = "--whole-pod-bound",
      description = "Also bound the store's sweep by plans of whole pods (each pod on one node, where the fractional "
          + "bound splits pods across nodes): what packing can still gain there. Seconds a plan.")
  boolean wholePodBound;

  @Option(names = "--fingerprints",
      description = "Print only each bench plan's fingerprint (what it decides, not its time) and their digest, to "
          + "check that a change meant to keep behaviour keeps every plan.")
  boolean fingerprints;

  @Override
  public Integer call() {
    Scheduler scheduler = new Scheduler();
    OfferingCatalog usEast1 = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.none());
    OfferingCatalog fake = OfferingCatalog.of(SyntheticWorkloads.karpenterCatalog(400), SpotPrices.none());
    if (fingerprints) {
      fingerprints(scheduler, usEast1, fake);
      return 0;
    }
    System.out.printf(Locale.ROOT, "%-44s %7s %6s %6s %9s %9s %10s %7s%n",
        "WORKLOAD", "PODS", "KINDS", "NODES", "MEDIAN MS", "MIN MS", "PODS/S", "COST/LB");
    if (!onlyKinds) {
      speed(scheduler, "mixed deployments, us-east-1 catalog (1,345)", SyntheticWorkloads.mixed(10_000, 1), usEast1);
      speed(scheduler, "Karpenter benchmark mix, 400 synthetic types", SyntheticWorkloads.karpenterMix(10_000, 42),
          fake);
    }
    if (kindsSeeds > 0) {
      for (int pods : new int[] {10_000, 20_000}) {
        for (int kinds : new int[] {50, 200}) {
          speed(scheduler, kinds + " deployment kinds, us-east-1 catalog", SyntheticWorkloads.kinds(pods, kinds, 1),
              usEast1);
        }
        for (int kinds : new int[] {50, 200}) {
          speed(scheduler, kinds + " kinds with topology, us-east-1 catalog",
              SyntheticWorkloads.kinds(pods, kinds, 1, true), usEast1);
        }
      }
      speed(scheduler, "store shards (a node each) and 200 kinds", SyntheticWorkloads.shardedStore(1_430, 200, 1),
          usEast1);
    }
    if (!skipCostSweep && kindsSeeds > 0) {
      kindsSweep(scheduler, usEast1, false);
      kindsSweep(scheduler, usEast1, true);
      shardSweep(scheduler, usEast1);
    }
    if (!skipCostSweep && !onlyKinds) {
      System.out.println();
      System.out.println("cost sweep: mixed workloads over the us-east-1 catalog, plan price / fractional bound");
      System.out.printf(Locale.ROOT, "%7s %s%n", "PODS", "SEEDS 1..32");
      double worst = 0;
      double sum = 0;
      int n = 0;
      int within = 0;
      for (int pods : new int[] {1_000, 2_000, 5_000, 10_000}) {
        StringBuilder line = new StringBuilder();
        for (long seed = 1; seed <= 32; seed++) {
          Plan plan = scheduler.schedule(new SchedulingInput(SyntheticWorkloads.mixed(pods, seed), List.of(), usEast1));
          line.append(String.format(Locale.ROOT, " %.3f", plan.costRatio()));
          worst = Math.max(worst, plan.costRatio());
          sum += plan.costRatio();
          n++;
          within += plan.costRatio() <= 1.05 ? 1 : 0;
        }
        System.out.printf(Locale.ROOT, "%7d%s%n", pods, line);
      }
      System.out.printf(Locale.ROOT, "mean %.3f, worst %.3f, within 5%% of the bound: %d of %d plans%n", sum / n,
          worst, within, n);
    }
    return 0;
  }

  /**
   * Cost over the bound where pods that take a node each set the node count: a store's shards, one per node, beside
   * small services with six pods a shard ({@link SyntheticWorkloads#shardedStore}), worst and mean per cell.
   */
  private void shardSweep(Scheduler scheduler, OfferingCatalog catalog) {
    System.out.println();
    System.out.printf(Locale.ROOT, "cost sweep: a store's shards, one per node, beside small services (six pods a"
        + " shard): us-east-1 catalog, plan price / fractional bound, %d seeds per cell (worst/mean; median ms)%n",
        kindsSeeds);
    int[] kindsList = {10, 60, 200};
    StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%7s %7s", "SHARDS", "PODS"));
    for (int kinds : kindsList) {
      header.append(String.format(Locale.ROOT, " %22s", kinds + " KINDS"));
    }
    System.out.println(header);
    Tally tally = new Tally();
    int unschedulable = 0;
    WholePodTally[] whole = new WholePodTally[kindsList.length];
    java.util.Arrays.setAll(whole, column -> new WholePodTally());
    for (int shards : new int[] {100, 300, 1_000, 2_500}) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%7d %7d", shards, 7 * shards));
      for (int column = 0; column < kindsList.length; column++) {
        int kinds = kindsList[column];
        for (int seed = 1; seed <= kindsSeeds; seed++) {
          SchedulingInput input = new SchedulingInput(SyntheticWorkloads.shardedStore(shards, kinds, seed), List.of(),
              catalog);
          Plan plan = scheduler.schedule(input);
          unschedulable += plan.unschedulable().size();
          tally.add(plan);
          if (wholePodBound && kinds <= WHOLE_POD_KINDS) {
            // both bound every plan: the higher is the tighter
            whole[column].add(plan, Math.max(plan.lowerBoundPerHour(),
                scheduler.wholePodBound(input, plan.nodeClaims())));
          }
        }
        line.append(tally.closeCell());
      }
      System.out.println(line);
    }
    System.out.printf(Locale.ROOT, "mean %.3f, worst %.3f, within 3%% of the bound: %d of %d plans; pods left"
        + " unschedulable: %d%n", tally.mean(), tally.worst, tally.within, tally.n, unschedulable);
    if (wholePodBound) {
      StringBuilder line = new StringBuilder("the whole-pod bound over the fractional bound (mean, least), and the plan"
          + " price over it (mean, worst; plans within 3% of it):");
      for (int column = 0; column < kindsList.length; column++) {
        line.append(" ").append(kindsList[column]).append(" kinds ").append(whole[column].summary()).append(';');
      }
      System.out.println(line.substring(0, line.length() - 1));
    }
  }

  /** Plans of one column over their whole-pod bound, and that bound over the fractional one. */
  private static final class WholePodTally {
    private int n;
    private int within;
    private double boundSum;
    private double boundLeast = Double.POSITIVE_INFINITY;
    private double planSum;
    private double planWorst;

    void add(Plan plan, double bound) {
      n++;
      boundSum += bound / plan.lowerBoundPerHour();
      boundLeast = Math.min(boundLeast, bound / plan.lowerBoundPerHour());
      planSum += plan.totalPricePerHour() / bound;
      planWorst = Math.max(planWorst, plan.totalPricePerHour() / bound);
      within += plan.totalPricePerHour() <= 1.03 * bound ? 1 : 0;
    }

    String summary() {
      return n == 0 ? "not bounded (the program's prices do not settle)" : String.format(Locale.ROOT,
          "%.3f, %.3f; %.3f, %.3f (%d of %d)", boundSum / n, boundLeast, planSum / n, planWorst, within, n);
    }
  }

  /**
   * Cost over the bound on mixes of 10 to 200 deployment kinds and 1,000 to 20,000 pods, worst and mean per cell;
   * {@code topology} gives a minority of the deployments zone and hostname spread, zone affinity, hostname
   * anti-affinity and architecture selectors.
   */
  private void kindsSweep(Scheduler scheduler, OfferingCatalog catalog, boolean topology) {
    System.out.println();
    System.out.printf(Locale.ROOT, "cost sweep over pod kinds%s: us-east-1 catalog, plan price / fractional bound, %d"
        + " seeds per cell (worst/mean; median ms)%n", topology ? " with topology" : "", kindsSeeds);
    int[] kindsList = {10, 20, 50, 100, 200};
    int[] podsList = {1_000, 2_000, 5_000, 10_000, 20_000};
    StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%7s", "PODS"));
    for (int kinds : kindsList) {
      header.append(String.format(Locale.ROOT, " %22s", kinds + " KINDS"));
    }
    System.out.println(header);
    Tally tally = new Tally();
    String worstAt = "";
    int unschedulable = 0;
    double zoneWorst = 0;
    double zoneSum = 0;
    double overZoneWorst = 0;
    double overZoneSum = 0;
    for (int pods : podsList) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%7d", pods));
      for (int kinds : kindsList) {
        for (int seed = 1; seed <= kindsSeeds; seed++) {
          Plan plan = scheduler.schedule(new SchedulingInput(SyntheticWorkloads.kinds(pods, kinds, seed, topology),
              List.of(), catalog));
          double zone = plan.zoneBoundPerHour() / plan.lowerBoundPerHour();
          zoneWorst = Math.max(zoneWorst, zone);
          zoneSum += zone;
          overZoneWorst = Math.max(overZoneWorst, plan.totalPricePerHour() / plan.zoneBoundPerHour());
          overZoneSum += plan.totalPricePerHour() / plan.zoneBoundPerHour();
          unschedulable += plan.unschedulable().size();
          if (plan.costRatio() > tally.worst) {
            worstAt = pods + " pods, " + kinds + " kinds, seed " + seed;
          }
          tally.add(plan);
        }
        line.append(tally.closeCell());
      }
      System.out.println(line);
    }
    System.out.printf(Locale.ROOT, "mean %.3f, worst %.3f (%s), within 3%% of the bound: %d of %d plans; pods left"
        + " unschedulable: %d%n", tally.mean(), tally.worst, worstAt, tally.within, tally.n, unschedulable);
    if (topology) {
      System.out.printf(Locale.ROOT, "the bound with zone-pinned shares on their zones' shapes over the bound: mean %.3f,"
          + " worst %.3f; plan price over it: mean %.3f, worst %.3f%n", zoneSum / tally.n, zoneWorst,
          overZoneSum / tally.n,
          overZoneWorst);
    }
  }

  /**
   * One line per plan of the bench's workloads (the speed workloads, mixed workloads of 1,000 to 10,000 pods with
   * seeds 1 to 4, and the kinds and store sweeps with seed 1), then a digest of them all.
   */
  private void fingerprints(Scheduler scheduler, OfferingCatalog usEast1, OfferingCatalog fake) {
    java.util.Map<String, SchedulingInput> inputs = new java.util.LinkedHashMap<>();
    inputs.put("mixed 10000 seed 1", new SchedulingInput(SyntheticWorkloads.mixed(10_000, 1), List.of(), usEast1));
    inputs.put("karpenter 10000 seed 42", new SchedulingInput(SyntheticWorkloads.karpenterMix(10_000, 42), List.of(),
        fake));
    for (int pods : new int[] {1_000, 2_000, 5_000, 10_000}) {
      for (long seed = 1; seed <= 4; seed++) {
        inputs.put("mixed " + pods + " seed " + seed, new SchedulingInput(SyntheticWorkloads.mixed(pods, seed),
            List.of(), usEast1));
      }
    }
    for (int pods : new int[] {1_000, 2_000, 5_000, 10_000, 20_000}) {
      for (int kinds : new int[] {10, 20, 50, 100, 200}) {
        inputs.put("kinds " + pods + "/" + kinds + " seed 1", new SchedulingInput(SyntheticWorkloads.kinds(pods,
            kinds, 1), List.of(), usEast1));
        inputs.put("topology " + pods + "/" + kinds + " seed 1", new SchedulingInput(SyntheticWorkloads.kinds(pods,
            kinds, 1, true), List.of(), usEast1));
      }
    }
    inputs.put("store 1430/200 seed 1", new SchedulingInput(SyntheticWorkloads.shardedStore(1_430, 200, 1), List.of(),
        usEast1));
    for (int shards : new int[] {100, 300, 1_000, 2_500}) {
      for (int kinds : new int[] {10, 60, 200}) {
        inputs.put("store " + shards + "/" + kinds + " seed 1", new SchedulingInput(SyntheticWorkloads.shardedStore(
            shards, kinds, 1), List.of(), usEast1));
      }
    }
    StringBuilder all = new StringBuilder();
    inputs.forEach((name, input) -> {
      String fingerprint = scheduler.schedule(input).fingerprint();
      all.append(fingerprint);
      System.out.printf(Locale.ROOT, "%-28s %s%n", name, fingerprint);
    });
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
          .digest(all.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      System.out.printf(Locale.ROOT, "%-28s %s%n", "all " + inputs.size() + " plans",
          java.util.HexFormat.of().formatHex(digest, 0, 8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private void speed(Scheduler scheduler, String name, List<PendingPod> pods, OfferingCatalog catalog) {
    SchedulingInput input = new SchedulingInput(pods, List.of(), catalog);
    Plan plan = null;
    for (int i = 0; i < warmup; i++) {
      plan = scheduler.schedule(input);
    }
    long[] millis = new long[runs];
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      plan = scheduler.schedule(input);
      millis[i] = (System.nanoTime() - start) / 1_000_000;
    }
    Arrays.sort(millis);
    long median = millis[runs / 2];
    long kinds = pods.stream().map(p -> p.requests()).distinct().count();
    System.out.printf(Locale.ROOT, "%-44s %7d %6d %6d %9d %9d %10.0f %7.3f%n", name, pods.size(), kinds,
        plan.nodeClaims().size(), median, millis[0], pods.size() * 1000.0 / Math.max(1, median), plan.costRatio());
  }

  /** Plan price over the bound as a cost sweep prints it: worst and mean per cell with its median time, and in all. */
  private static final class Tally {
    double worst;
    int n;
    int within;
    private double sum;
    private double cellWorst;
    private double cellSum;
    private final List<Long> cellMillis = new java.util.ArrayList<>();

    void add(Plan plan) {
      double ratio = plan.costRatio();
      cellWorst = Math.max(cellWorst, ratio);
      cellSum += ratio;
      cellMillis.add(plan.solveMillis());
      worst = Math.max(worst, ratio);
      sum += ratio;
      n++;
      within += ratio <= 1.03 ? 1 : 0;
    }

    double mean() {
      return sum / n;
    }

    /** The cell's figures, and a new cell begun. */
    String closeCell() {
      java.util.Collections.sort(cellMillis);
      String cell = String.format(Locale.ROOT, " %6.3f/%6.3f; %5d ms", cellWorst, cellSum / cellMillis.size(),
          cellMillis.get(cellMillis.size() / 2));
      cellWorst = 0;
      cellSum = 0;
      cellMillis.clear();
      return cell;
    }
  }
}
