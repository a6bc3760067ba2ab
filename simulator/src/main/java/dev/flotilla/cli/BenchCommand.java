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

  @Option(names = "--runs", defaultValue = "7", description = "Measured runs per workload (default: ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--warmup", defaultValue = "5", description = "Warm-up runs per workload (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--skip-cost-sweep", description = "Measure speed only.")
  boolean skipCostSweep;

  @Override
  public Integer call() {
    Scheduler scheduler = new Scheduler();
    OfferingCatalog usEast1 = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.none());
    OfferingCatalog fake = OfferingCatalog.of(SyntheticWorkloads.karpenterCatalog(400), SpotPrices.none());
    System.out.printf(Locale.ROOT, "%-44s %7s %6s %9s %9s %10s %7s%n",
        "WORKLOAD", "PODS", "NODES", "MEDIAN MS", "MIN MS", "PODS/S", "COST/LB");
    speed(scheduler, "mixed deployments, us-east-1 catalog (1,345)", SyntheticWorkloads.mixed(10_000, 1), usEast1);
    speed(scheduler, "Karpenter benchmark mix, 400 synthetic types", SyntheticWorkloads.karpenterMix(10_000, 42),
        fake);
    if (!skipCostSweep) {
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
    System.out.printf(Locale.ROOT, "%-44s %7d %6d %9d %9d %10.0f %7.3f%n", name, pods.size(), plan.nodeClaims().size(),
        median, millis[0], pods.size() * 1000.0 / Math.max(1, median), plan.costRatio());
  }
}
