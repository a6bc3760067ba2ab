package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.forwarder.ClusterWatch;
import dev.flotilla.testing.TestEvents;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The provisioner counts a zone-spread workload's running pods from the forwarder's node mirror, which the forwarder
 * writes at its next tick after a change, a node at most once every ten seconds. Mirrored only once a minute, as the
 * simulator did before, a node a drain had just emptied still showed its pods: in pools-and-preferences the web pods
 * of an expired arm node were counted twice, as running in its zone and as pending, and their replacements planned
 * into the other zones, where the zone spread refused five of them; they waited for a second launch (multi-pool:
 * one, 166 s). constraint-mix keeps a disruption budget, whose count each pod's document carries.
 */
class NodeMirrorLagScenarioTest {

  @ParameterizedTest
  @ValueSource(strings = {"pools-and-preferences", "multi-pool", "constraint-mix"})
  void everyDecisionReadsAMirrorNoOlderThanTheForwardersTickAndInterval(String name) {
    Duration most = ClusterWatch.MIRROR_INTERVAL.plus(ClusterWatch.MIRROR_TICK);
    AtomicReference<Simulation> running = new AtomicReference<>();
    List<String> lagging = new ArrayList<>();
    int[] decisions = {0};
    Simulation simulation = new Simulation(Scenario.read(TestEvents.root().resolve("scenarios/" + name + ".yaml")),
        (at, line) -> {
          if (line.startsWith("provisioner") || line.startsWith("consolidation")) {
            decisions[0]++;
            running.get().mirrorLagging(most).forEach(n -> lagging.add(at + " " + line + ": " + n));
          }
        });
    running.set(simulation);
    simulation.run();

    assertThat(decisions[0]).isPositive();
    assertThat(lagging).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"pools-and-preferences", "multi-pool"})
  void noPodWaitsForASecondLaunchWhereTheMirrorLaggedBefore(String name) {
    SimulationResult r = new Simulation(Scenario.read(TestEvents.root().resolve("scenarios/" + name + ".yaml")),
        (at, line) -> {}).run();

    assertThat(r.podsSecondRound()).as("pods that waited for a second launch").isZero();
  }
}
