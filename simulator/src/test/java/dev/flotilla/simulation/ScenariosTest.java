package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.model.CapacityType;
import dev.flotilla.testing.TestEvents;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every shipped scenario, run whole with the real services: the outcomes the project promises. */
class ScenariosTest {

  private static final Map<String, Simulation> RUNS = new HashMap<>();
  private static final Map<String, SimulationResult> RESULTS = new HashMap<>();

  @BeforeAll
  static void runAll() {
    for (String name : new String[] {"burst-from-zero", "diurnal", "spot-interruption-storm",
        "insufficient-capacity", "gpu-training", "scale-down", "multi-pool", "constraint-mix",
        "pools-and-preferences", "team-pools"}) {
      Simulation simulation = new Simulation(Scenario.read(TestEvents.root().resolve("scenarios/" + name + ".yaml")),
          (at, line) -> { });
      RESULTS.put(name, simulation.run());
      RUNS.put(name, simulation);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"burst-from-zero", "diurnal", "spot-interruption-storm", "insufficient-capacity",
      "gpu-training", "scale-down", "multi-pool", "constraint-mix", "pools-and-preferences", "team-pools"})
  void everyScenarioEndsWithAllPodsRunningAndNothingLaunchedTwice(String name) {
    SimulationResult r = RESULTS.get(name);

    assertThat(r.podsPendingAtEnd()).as("pods pending at the end of " + name).isZero();
    assertThat(r.podsRunningAtEnd()).isPositive();
    assertThat(r.doubleLaunches()).as("double launches in " + name).isZero();
    assertThat(r.instancesLaunched()).isPositive();
    assertThat(r.costUsd()).isPositive();
    assertThat(r.pendingSeconds().p50()).isLessThanOrEqualTo(r.pendingSeconds().p99());
    assertThat(r.finalLowerBoundPerHour()).isPositive().isLessThanOrEqualTo(r.finalPricePerHour() + 1e-9);
    // the bound is below every plan of the final pods, the fresh one too
    assertThat(r.finalPlanPerHour()).isGreaterThanOrEqualTo(r.finalLowerBoundPerHour() - 1e-9);
  }

  @Test
  void afterTheScaleDownConsolidationBringsTheFleetTowardsTheBound() {
    SimulationResult r = RESULTS.get("scale-down");

    assertThat(r.consolidationActions()).isPositive();
    assertThat(r.instancesTerminated()).isPositive();
    // under kube-scheduler's default profile (LeastAllocated, default spread) pods spread over every node, so nodes
    // seldom empty and the fleet shrinks by replaces alone; 45 minutes leave it at about 1.33 times the bound, the
    // last large node's pods needing one node about as large. The old fullest-node binder ignored zone spread and
    // ended at 1.12, the price of a one-zone fleet; with the web spread kept over the five zones it has nodes in, a
    // search over fleets of up to four nodes a zone finds none under about 1.23 times the bound
    assertThat(r.finalPricePerHour()).isLessThanOrEqualTo(1.35 * r.finalLowerBoundPerHour());
    // web 40 and api 12 of the workloads, and the cache's 3
    assertThat(r.podsRunningAtEnd()).isEqualTo(55);
  }

  /**
   * Scaled down as Kubernetes' ReplicaSet controller chooses, the large nodes each keep a cache pod, a few api and
   * web pods: a plan of two small nodes for them loses the cache pod to LeastAllocated, which sends the first web
   * pods to the emptiest new node, and such nodes stayed for good (3.2 times the bound). One node holding them all
   * replaces each.
   */
  @Test
  void afterAScaleDownTheReplicaSetChoseEachLargeNodeLeftIsReplacedByOneThatHoldsItsPods() {
    SimulationResult r = new Simulation(Scenario.read(TestEvents.root().resolve("scenarios/scale-down.yaml"))
        .withScaleDown(ScaleDownOrder.Rule.ReplicaSetRanks), (at, line) -> { }).run();

    assertThat(r.podsPendingAtEnd()).isZero();
    assertThat(r.consolidationRelaunches()).isZero();
    assertThat(r.finalPricePerHour()).isLessThanOrEqualTo(1.5 * r.finalLowerBoundPerHour());
  }

  @Test
  void aSpotStormIsSurvivedWithEveryPodRunningAgain() {
    SimulationResult r = RESULTS.get("spot-interruption-storm");

    assertThat(r.interruptions()).isPositive();
    assertThat(r.podsRunningAtEnd()).isEqualTo(300 + 24 + 3);
    assertThat(r.pods()).as("evicted pods were recreated").isGreaterThan(300 + 24 + 3);
  }

  @Test
  void noInstanceOfAFamilyWithoutCapacityIsLaunchedWhileItLasts() {
    assertThat(RUNS.get("insufficient-capacity").launches())
        .filteredOn(l -> l.second() < Duration.ofMinutes(20).toSeconds())
        .isNotEmpty()
        .noneMatch(l -> l.instanceType().startsWith("c6g."));
  }

  @Test
  void gpuPodsRunOnGpuNodesOfTheTaintedPoolAndNothingElseDoes() {
    Simulation gpu = RUNS.get("gpu-training");

    assertThat(gpu.nodesRunning("ml/trainer").keySet()).isNotEmpty().allMatch(t -> t.startsWith("g"));
    assertThat(gpu.nodesRunning("ml/trainer").values().stream().mapToLong(Long::longValue).sum()).isEqualTo(8);
    assertThat(gpu.nodesRunning("default/web").keySet()).noneMatch(t -> t.matches("g\\d.*"));
    assertThat(gpu.launches()).filteredOn(l -> l.instanceType().matches("g\\d.*"))
        .allMatch(l -> l.capacityType() == CapacityType.ON_DEMAND);
  }

  @Test
  void podsThatPreferAFullPoolRunElsewhereRatherThanWait() {
    // web pods prefer the arm pool, at its limit: held as a requirement, 90 of them waited 25 minutes (p99 2,536 s)
    SimulationResult r = RESULTS.get("pools-and-preferences");
    assertThat(r.pendingSeconds().p99()).isLessThan(300);
    // the web scale-up at 20 minutes gets its nodes in the minute, not a limits report
    assertThat(RUNS.get("pools-and-preferences").decisions()).anyMatch(d -> d.second() >= 20 * 60
        && d.second() < 21 * 60 && d.text().startsWith("provisioner:") && !d.text().contains(" launched 0 "));
  }

  @Test
  void podsWrittenForKarpentersPoolsRunOnTheTypesAndPoolsTheySelect() {
    // the getting-started pool's requirements (instance-hypervisor In [nitro]) left every pod unschedulable
    Simulation teams = RUNS.get("team-pools");
    var catalog = dev.flotilla.catalog.CatalogFile.bundled();
    assertThat(RESULTS.get("team-pools").invariantViolations()).isEmpty();
    assertThat(teams.nodesRunning("payments/ledger").keySet()).isNotEmpty().allSatisfy(type -> {
      assertThat(catalog.require(type).hypervisor()).isEqualTo("nitro");
      assertThat(catalog.require(type).vcpu()).isIn(4, 8, 16, 32);
    });
    // a pod selecting a GPU model by its Karpenter label runs on that model
    assertThat(teams.nodesRunning("ml/embed").keySet()).isNotEmpty()
        .allSatisfy(type -> assertThat(catalog.require(type).gpuName()).isEqualTo("l4"));
    assertThat(teams.nodesRunning("ml/embed").values().stream().mapToLong(Long::longValue).sum()).isEqualTo(6);
  }

  @Test
  void theSameScenarioGivesTheSameFigures() {
    SimulationResult again = new Simulation(Scenario.read(TestEvents.root().resolve("scenarios/burst-from-zero.yaml")),
        (at, line) -> { }).run();
    SimulationResult first = RESULTS.get("burst-from-zero");

    assertThat(again).usingRecursiveComparison().ignoringFields("wallMillis").isEqualTo(first);
  }
}
