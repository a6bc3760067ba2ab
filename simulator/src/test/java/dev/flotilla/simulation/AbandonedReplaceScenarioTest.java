package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testing.TestEvents;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A consolidation replace is abandoned when its replacements are ready and the pods of its nodes would no longer land:
 * a launch for nothing, and a node deleted empty a minute later. Two causes are gone. A second action was planned,
 * while a replace waited, on the spare room that replace's pods were about to take (the build before: two abandons in
 * diurnal, three in spot-interruption-storm at its own size and at 0.7 of it). And a replace by four nodes sized
 * tight landed when it was found and stranded a pod once its nodes were ready, the cluster's scheduler placing the
 * pods another way where nodes scored alike; found again every six minutes, it was abandoned four times in
 * multi-pool at 0.7 of its replicas (which runs at 0.8 now: since a node's room takes pods of any pool, its run at
 * 0.7 replaces nothing). spot-interruption-storm runs at 1.6 of its replicas, a size where consolidation
 * still replaces (a run without a replace shows nothing): since a storm's evicted pods are planned together, it
 * replaced nothing at 0.7 for a while, and since the pattern program prices by zone, nothing from 0.9 to 1.5.
 */
class AbandonedReplaceScenarioTest {

  @ParameterizedTest
  @CsvSource({"diurnal, 1", "spot-interruption-storm, 1", "spot-interruption-storm, 1.6", "multi-pool, 0.8"})
  void noConsolidationReplaceIsAbandoned(String name, double replicas) {
    List<String> abandoned = new ArrayList<>();
    List<String> replaces = new ArrayList<>();
    SimulationResult r = new Simulation(Scenario.read(TestEvents.root().resolve("scenarios/" + name + ".yaml"))
        .withReplicasScaled(replicas), (at, line) -> {
          if (line.contains("replace abandoned")) {
            abandoned.add(at + " " + line);
          }
          if (line.startsWith("consolidation Replace") || line.startsWith("consolidation MultiNode")
              && line.contains("→")) {
            replaces.add(line);
          }
        }).run();

    assertThat(abandoned).isEmpty();
    assertThat(replaces).as("the run has replaces that could be abandoned").isNotEmpty();
    assertThat(r.podsPendingAtEnd()).isZero();
    assertThat(r.consolidationRelaunches()).isZero();
  }
}
