package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testing.TestEvents;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The provisioner counts a zone-spread workload's running pods from the forwarder's node mirror, which the forwarder
 * writes within seconds of a change. Mirrored only once a minute, as the simulator did before, a node a drain had just
 * emptied still showed its pods: in pools-and-preferences the web pods of an expired arm node were counted twice, as
 * running in its zone and as pending, and their replacements planned into the other zones, where the zone spread
 * refused five of them; they waited for a second launch (multi-pool: one, 166 s).
 */
class NodeMirrorLagScenarioTest {

  @ParameterizedTest
  @CsvSource({"pools-and-preferences, 1", "multi-pool, 1"})
  void noPodWaitsForASecondLaunchBecauseTheMirrorLagged(String name, double replicas) {
    SimulationResult r = new Simulation(Scenario.read(TestEvents.root().resolve("scenarios/" + name + ".yaml"))
        .withReplicasScaled(replicas), (at, line) -> {}).run();

    assertThat(r.podsSecondRound()).isZero();
    assertThat(r.podsPendingAtEnd()).isZero();
  }
}
