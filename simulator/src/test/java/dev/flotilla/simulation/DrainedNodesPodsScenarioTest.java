package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testing.TestEvents;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Where the pods a consolidation drains go next, checked as the cluster places them.
 *
 * <p>A replace drains the only node of its zone, and the zone-spread pod it evicted is refused by the cluster's
 * scheduler for the 15 s the drained node stays (its zone counts none of the spread's pods). The provisioner leaves
 * the pod to land in the room consolidation checked once the node is gone, and launches nothing for it (generated
 * seed 364: two nodes launched for such pods, both deleted empty two minutes later).
 */
class DrainedNodesPodsScenarioTest {

  @Test
  void aPodRefusedOnlyWhileItsZonesDrainedNodeStaysGetsNoLaunch() {
    List<String> provisioner = new ArrayList<>();
    Scenario scenario = GeneratedScenario.read(364, TestEvents.root().resolve("scenarios"));

    SimulationResult r = new Simulation(scenario, (at, line) -> {
      if (line.startsWith("provisioner: ")) {
        provisioner.add(line);
      }
    }).run();

    assertThat(provisioner).anyMatch(line -> line.contains("waiting for drained nodes to go"));
    assertThat(r.consolidationRelaunches()).isZero();
    assertThat(r.podsPendingAtEnd()).isZero();
    assertThat(r.invariantViolations()).isEmpty();
  }

  /**
   * Generated seed 374 runs a bin-packing scheduler (MostAllocated). A delete whose two pods, a hostname-spread web
   * pod and a hostname anti-affine gateway, landed as the default profile places them did not land so in the
   * cluster, which sends each to the fullest node it fits: the web pod was left without room and launched for, seven
   * times, two minutes apart. Told how the cluster's scheduler scores, the check places them as it does.
   */
  @Test
  void podsOfADrainedNodeLandAsABinPackingSchedulerPlacesThem() {
    Scenario scenario = GeneratedScenario.read(374, TestEvents.root().resolve("scenarios"));
    assertThat(scenario.cluster().scoring()).isEqualTo(dev.flotilla.binding.ScoringProfile.MostAllocated);

    SimulationResult r = new Simulation(scenario, (at, line) -> {}).run();

    assertThat(r.consolidationRelaunches()).isZero();
    assertThat(r.invariantViolations()).isEmpty();
  }
}
