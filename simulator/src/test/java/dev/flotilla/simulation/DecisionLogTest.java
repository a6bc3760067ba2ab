package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testing.TestEvents;
import java.util.ArrayList;
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
    List<Object> at = new ArrayList<>();
    List<String> lines = new ArrayList<>();
    new Simulation(Scenario.read(TestEvents.root().resolve("scenarios/scale-down.yaml")), (when, line) -> {
      at.add(when);
      lines.add(line);
    }).run();

    int deletes = 0;
    for (int i = 0; i < lines.size(); i++) {
      Matcher delete = WITHOUT_REPLACEMENTS.matcher(lines.get(i));
      if (!delete.find()) {
        continue;
      }
      deletes++;
      assertThat(lines.get(i + 1)).as("after " + lines.get(i)).startsWith("consolidation: draining [");
      List<String> own = names(lines.get(i + 1));
      assertThat(own).hasSize(Integer.parseInt(delete.group(1)));
      for (int j = 0; j < lines.size(); j++) {
        if (at.get(j).equals(at.get(i)) && lines.get(j).startsWith("consolidation: replacements ready")) {
          assertThat(names(lines.get(j))).as(lines.get(j)).doesNotContainAnyElementsOf(own);
        }
      }
    }
    assertThat(deletes).isPositive();
    assertThat(lines).anyMatch(l -> l.startsWith("consolidation: replacements ready, draining ["));
  }

  @Test
  void aCommandWhoseReplacementFindsNoCapacitySaysWhyAndIsNotCountedAsAnAction() {
    // insufficient-capacity: the c6g family is out everywhere for 20 minutes, and replaces onto it fail at CreateFleet
    List<String> lines = new ArrayList<>();
    Scenario scenario = Scenario.read(TestEvents.root().resolve("scenarios/insufficient-capacity.yaml"));
    SimulationResult r = new Simulation(scenario, (when, line) -> lines.add(line)).run();

    assertThat(lines).anyMatch(l -> l.matches(
        "^consolidation: Replace \\d+ node\\(s\\) .*; replacement not launched: .*InsufficientInstanceCapacity.*"));
    long started = lines.stream().filter(l -> l.matches("^consolidation (Delete|DeleteEmpty|Replace|MultiNode) .*"))
        .count();
    assertThat(started).as("actions started").isEqualTo(r.consolidationActions());
  }

  @Test
  void aDriftedNodeWhosePodsFitElsewhereIsNotSaidToDrainBehindReplacements() {
    // generated seed 555: a NodePool edit drifts its nodes one by one, and at 22:15 one goes with no replacement
    List<Object> at = new ArrayList<>();
    List<String> lines = new ArrayList<>();
    new Simulation(GeneratedScenario.read(555, TestEvents.root().resolve("scenarios")), (when, line) -> {
      at.add(when);
      lines.add(line);
    }).run();

    int deleted = 0;
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).startsWith("Drifted ") || !lines.get(i).contains("its pods fit in the others' room")) {
        continue;
      }
      deleted++;
      String node = lines.get(i).substring("Drifted ".length(), lines.get(i).indexOf(':'));
      for (int j = 0; j < lines.size(); j++) {
        if (at.get(j).equals(at.get(i)) && lines.get(j).startsWith("consolidation: replacements ready")) {
          assertThat(names(lines.get(j))).as(lines.get(j)).doesNotContain(node);
        }
      }
    }
    assertThat(deleted).isPositive();
  }

  private static List<String> names(String line) {
    String list = line.substring(line.indexOf('[') + 1, line.indexOf(']'));
    return List.of(list.split(", "));
  }
}
