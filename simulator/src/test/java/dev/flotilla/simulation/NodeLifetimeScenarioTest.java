package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testing.TestEvents;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shipped node-lifetime scenario: a NodePool change, an image release, node failures, an expiring pool with a
 * termination grace and a scheduled zero budget for Underutilized, run whole with the real services.
 */
class NodeLifetimeScenarioTest {

  private static Simulation simulation;
  private static SimulationResult result;

  @BeforeAll
  static void run() {
    simulation = new Simulation(Scenario.read(TestEvents.root().resolve("scenarios/node-lifetime.yaml")),
        (at, line) -> { });
    result = simulation.run();
  }

  @Test
  void everyPodRunsAtTheEndWithNothingLaunchedTwice() {
    assertThat(result.podsPendingAtEnd()).isZero();
    // web 40 after its scale-down, batch 16
    assertThat(result.podsRunningAtEnd()).isEqualTo(56);
    assertThat(result.doubleLaunches()).isZero();
  }

  @Test
  void driftedExpiredAndFailedNodesWereAllReplacedWithinTheBudgets() {
    assertThat(result.disruptions().drifted()).as("every node drifted by the pool change and the image")
        .isGreaterThanOrEqualTo(6);
    assertThat(result.disruptions().expired()).isPositive();
    assertThat(result.disruptions().repaired()).isEqualTo(2);
    assertThat(result.budgetViolations()).isZero();
    assertThat(simulation.staleNodes()).as("no node left drifted, expired or broken").isEmpty();
  }

  @Test
  void theScheduledZeroBudgetHoldsUnderutilizedConsolidationInItsWindow() {
    // the window is 09:00-11:00 UTC, one to three hours into the run; empty nodes are not Underutilized
    assertThat(simulation.decisions()).filteredOn(d -> d.second() >= 3600 && d.second() < 3 * 3600)
        .noneMatch(d -> d.text().startsWith("consolidation Replace") || d.text().startsWith("consolidation Delete ")
            || d.text().startsWith("consolidation MultiNode"));
  }

  @Test
  void theRunReplaysExactly() {
    SimulationResult again = new Simulation(Scenario.read(TestEvents.root().resolve(
        "scenarios/node-lifetime.yaml")), (at, line) -> { }).run();
    assertThat(again.disruptions()).isEqualTo(result.disruptions());
    assertThat(again.instancesLaunched()).isEqualTo(result.instancesLaunched());
    assertThat(again.costUsd()).isEqualTo(result.costUsd());
  }
}
