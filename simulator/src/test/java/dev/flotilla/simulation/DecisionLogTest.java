package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.simulation.Simulation.Decision;
import dev.flotilla.testing.TestEvents;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The decision log names what each consolidation drains, and why, the way a user reads it to explain the fleet. */
class DecisionLogTest {

  private static final Pattern WITHOUT_REPLACEMENTS =
      Pattern.compile("^consolidation \\w+ (\\d+) node\\(s\\) \\{[^}]*\\}, saving");

  @Test
  void aConsolidationWithoutReplacementsNamesItsNodesAsItsOwnDrainNotAsReplacementsReady() {
    // scale-down: after the burst goes, deletes (empty nodes, nodes whose pods fit elsewhere) and replaces follow
    List<Decision> log = decisions(Scenario.read(TestEvents.root().resolve("scenarios/scale-down.yaml")));

    int deletes = 0;
    for (int i = 0; i < log.size(); i++) {
      Matcher delete = WITHOUT_REPLACEMENTS.matcher(log.get(i).text());
      if (!delete.find()) {
        continue;
      }
      deletes++;
      assertThat(log.get(i + 1).text()).as("after " + log.get(i).text()).startsWith("consolidation: draining [");
      List<String> own = names(log.get(i + 1).text());
      assertThat(own).hasSize(Integer.parseInt(delete.group(1)));
      assertThat(drainedBehindReplacements(log, log.get(i).second())).doesNotContainAnyElementsOf(own);
    }
    assertThat(deletes).isPositive();
    assertThat(log).anyMatch(d -> d.text().startsWith("consolidation: replacements ready, draining ["));
  }

  @Test
  void aCommandWhoseReplacementFindsNoCapacitySaysWhyAndIsNotCountedAsAnAction() {
    // insufficient-capacity: the c6g family is out everywhere for 20 minutes, and replaces onto it fail at CreateFleet
    Simulation simulation = new Simulation(
        Scenario.read(TestEvents.root().resolve("scenarios/insufficient-capacity.yaml")), (when, line) -> { });
    SimulationResult r = simulation.run();
    List<String> lines = simulation.decisions().stream().map(Decision::text).toList();

    assertThat(lines).anyMatch(l -> l.matches(
        "^consolidation: Replace \\d+ node\\(s\\) .*; replacement not launched: .*InsufficientInstanceCapacity.*"));
    long started = lines.stream().filter(l -> l.matches("^consolidation (Delete|DeleteEmpty|Replace|MultiNode) .*"))
        .count();
    assertThat(started).as("actions started").isEqualTo(r.consolidationActions());
  }

  @Test
  void aDriftedNodeWhosePodsFitElsewhereIsNotSaidToDrainBehindReplacements() {
    // generated seed 555: a NodePool edit drifts its nodes one by one, and at 22:15 one goes with no replacement
    List<Decision> log = decisions(GeneratedScenario.read(555, TestEvents.root().resolve("scenarios")));

    int deleted = 0;
    for (Decision d : log) {
      if (!d.text().startsWith("Drifted ") || !d.text().contains("its pods fit in the others' room")) {
        continue;
      }
      deleted++;
      String node = d.text().substring("Drifted ".length(), d.text().indexOf(':'));
      assertThat(drainedBehindReplacements(log, d.second())).doesNotContain(node);
    }
    assertThat(deleted).isPositive();
  }

  private static List<Decision> decisions(Scenario scenario) {
    Simulation simulation = new Simulation(scenario, (when, line) -> { });
    simulation.run();
    return simulation.decisions();
  }

  /** The nodes the log says drain behind replacements now ready, in that second. */
  private static List<String> drainedBehindReplacements(List<Decision> log, long second) {
    return log.stream().filter(d -> d.second() == second
        && d.text().startsWith("consolidation: replacements ready")).flatMap(d -> names(d.text()).stream()).toList();
  }

  private static List<String> names(String line) {
    String list = line.substring(line.indexOf('[') + 1, line.indexOf(']'));
    return List.of(list.split(", "));
  }
}
