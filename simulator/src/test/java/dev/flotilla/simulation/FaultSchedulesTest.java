package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testing.TestEvents;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The production wiring under the faults AWS brings, over many seeded schedules: every invariant is checked as each
 * run goes, and none may break. A failing seed replays exactly: run its scenario with that {@code faults.seed}.
 */
class FaultSchedulesTest {

  /** Faults as the issue of record describes them, a little harsher: every kind in every run. */
  private static final String FAULTS = """
      faults:
        duplicateDelivery: 0.25
        reorder: 0.25
        concurrency: 4
        crashAfterPortCall: 0.04
        fleet: {insufficientCapacity: 0.1, partial: 0.2, lostResponse: 0.05}
        throttle: 0.03
        ttlLagSeconds: 600
        forwarderRestartAt: [2m]
        until: 7m
      """;

  /** Short shapes of the shipped scenarios: a burst, a spot storm, a capacity shortage, a scale-down. */
  private static final Map<String, String> SHAPES = Map.of(
      "storm", """
          name: storm
          duration: 15m
          manifests: [../workloads/shop-services.yaml]
          events:
            - {at: 0s, scale: {workload: default/web, replicas: 80}}
            - {at: 3m, spotInterruption: {fraction: 0.4}}
            - {at: 5m, scale: {workload: default/web, replicas: 30}}
          """,
      "shortage", """
          name: shortage
          duration: 15m
          manifests: [../workloads/shop-services.yaml]
          events:
            - {at: 0s, insufficientCapacity: {instanceFamily: c6g, duration: 4m}}
            - {at: 30s, scale: {workload: default/web, replicas: 100}}
            - {at: 4m, scale: {workload: default/api, replicas: 40}}
          """,
      "settle", """
          name: settle
          duration: 15m
          manifests: [../workloads/shop-services.yaml]
          events:
            - {at: 0s, scale: {workload: default/web, replicas: 120}}
            - {at: 2m, scale: {workload: default/web, replicas: 20}}
            - {at: 4m, scale: {workload: default/api, replicas: 4}}
          """,
      "waves", """
          name: waves
          duration: 15m
          manifests: [../workloads/shop-services.yaml]
          events:
            - {at: 0s, scale: {workload: default/web, replicas: 60}}
            - {at: 2m, scale: {workload: default/web, replicas: 150}}
            - {at: 4m, spotInterruption: {fraction: 0.2}}
            - {at: 5m, scale: {workload: default/web, replicas: 50}}
          """);

  private static final int SEEDS_PER_SHAPE = 50;
  private static final Map<String, Integer> INJECTED = new TreeMap<>();

  static Stream<Arguments> schedules() {
    List<Arguments> all = new ArrayList<>();
    for (String shape : new TreeMap<>(SHAPES).keySet()) {
      IntStream.rangeClosed(1, SEEDS_PER_SHAPE).forEach(seed -> all.add(Arguments.of(shape, seed)));
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0} seed {1}")
  @MethodSource("schedules")
  void noInvariantBreaksAndEveryPodRunsOnceTheFaultsStop(String shape, int seed) {
    Scenario base = Scenario.parse(shape, SHAPES.get(shape) + FAULTS, TestEvents.root().resolve("scenarios"));
    Scenario scenario = base.withFaults(base.faults().withSeed(seed));

    SimulationResult r = new Simulation(scenario, (at, line) -> { }).run();

    assertThat(r.invariantViolations()).as(shape + " seed " + seed).isEmpty();
    // a pod still pending at the end was made by the last minutes' drains: (g) bounds how long any pod waits
    assertThat(r.podsRunningAtEnd()).isPositive();
    assertThat(r.faultsInjected()).as("faults were injected").isNotEmpty();
    synchronized (INJECTED) {
      r.faultsInjected().forEach((kind, n) -> INJECTED.merge(kind, n, Integer::sum));
    }
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"faulty-storm", "faulty-day"})
  void theShippedFaultScenariosEndWithEveryPodRunningAndNoViolation(String name) {
    SimulationResult r = new Simulation(Scenario.read(TestEvents.root().resolve("scenarios/" + name + ".yaml")),
        (at, line) -> { }).run();

    assertThat(r.invariantViolations()).isEmpty();
    assertThat(r.podsPendingAtEnd()).isZero();
    assertThat(r.faultsInjected()).containsKeys("duplicateDelivery", "reordered", "crashAfterPortCall");
  }

  /**
   * faulty-day at 1.2 times its replicas: an invocation died after writing a replace's claims, and garbage collection
   * runs its faults killed held the next ones back (their leases lasted the whole schedule period) until those
   * claims had been Launching for over 20 minutes.
   */
  @Test
  void aFaultScenarioAtASizeItWasNotTunedOnLetsNoClaimHangInFlight() {
    SimulationResult r = new Simulation(Scenario.read(TestEvents.root().resolve("scenarios/faulty-day.yaml"))
        .withReplicasScaled(1.2), (at, line) -> { }).run();

    assertThat(r.invariantViolations()).isEmpty();
    assertThat(r.podsPendingAtEnd()).isZero();
  }

  @AfterAll
  static void everyKindOfFaultWasInjected() {
    assertThat(INJECTED).containsKeys("duplicateDelivery", "reordered", "overlappingInvocations",
        "crashAfterPortCall", "throttled", "insufficientCapacity", "partialFulfilment", "lostResponse",
        "forwarderRestart");
  }
}
