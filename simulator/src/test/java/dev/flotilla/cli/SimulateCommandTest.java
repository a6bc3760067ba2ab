package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulateCommandTest {

  private static final String SCENARIO = Path.of("..", "test-events", "scenarios", "burst-from-zero.yaml").toString();

  @Test
  void anotherRegionsCatalogIsSoldAndPlannedWithAndTheRunSaysWhosePricesItUsed(@TempDir Path dir) throws Exception {
    Path eu = OtherRegionCatalog.write(dir);

    CommandRun json = CommandRun.of(Map.of(), "simulate", SCENARIO, "--catalog", eu.toString(), "-o", "json");

    assertThat(json.exitCode()).as(json.err()).isZero();
    JsonNode figures = new ObjectMapper().readTree(json.out());
    assertThat(figures.get("prices").get("region").asText()).isEqualTo("eu-west-1");
    assertThat(figures.get("prices").get("catalog").asText()).isEqualTo(eu.toString());
    assertThat(figures.get("podsPendingAtEnd").asInt()).isZero();
    assertThat(figures.get("instancesLaunched").asInt()).isPositive();

    CommandRun table = CommandRun.of(Map.of(), "simulate", SCENARIO, "--catalog", eu.toString());
    assertThat(table.out()).contains("prices: eu-west-1 on-demand from " + eu)
        .doesNotContain("us-east-1");
  }

  @Test
  void theFinalPodsAreBoundByFleetsOfWholePodsWhenAskedFor() throws Exception {
    CommandRun json = CommandRun.of(Map.of(), "simulate", SCENARIO, "-o", "json", "--whole-pod-bound");

    assertThat(json.exitCode()).as(json.err()).isZero();
    JsonNode figures = new ObjectMapper().readTree(json.out());
    // a bound of every fleet of whole pods: at most the final fleet and any fresh plan; burst-from-zero's 427 pods on
    // nine nodes cost more whole than split
    double whole = figures.get("finalWholePodBoundPerHour").asDouble();
    assertThat(whole).isGreaterThan(figures.get("finalLowerBoundPerHour").asDouble())
        .isLessThanOrEqualTo(figures.get("finalPlanPerHour").asDouble())
        .isLessThanOrEqualTo(figures.get("finalPricePerHour").asDouble());
    assertThat(CommandRun.of(Map.of(), "simulate", SCENARIO, "--whole-pod-bound").out())
        .containsPattern("whole-pod bound of the final pods +\\$[0-9.]+/h \\([0-9.]+ of the bound");
    CommandRun compared = CommandRun.of(Map.of(), "simulate", SCENARIO, "--whole-pod-bound", "--compare", "karpenter");
    assertThat(compared.exitCode()).isNotZero();
    assertThat(compared.err()).contains("--whole-pod-bound");
  }

  @Test
  void withoutACatalogTheRunSaysItUsedTheBundledUsEast1Prices() throws Exception {
    CommandRun json = CommandRun.of(Map.of(), "simulate", SCENARIO, "-o", "json");

    assertThat(json.exitCode()).as(json.err()).isZero();
    JsonNode prices = new ObjectMapper().readTree(json.out()).get("prices");
    assertThat(prices.get("region").asText()).isEqualTo("us-east-1");
    assertThat(prices.get("catalog").asText()).isEqualTo("bundled");
  }

  @Test
  void aGeneratedScenarioRunsFromItsSeedAndTheSameSeedGivesTheSameFigures() throws Exception {
    CommandRun first = CommandRun.of(Map.of(), "simulate", "--generated", "5", "-o", "json");
    CommandRun again = CommandRun.of(Map.of(), "simulate", "--generated", "5", "-o", "json");

    assertThat(first.exitCode()).as(first.err()).isZero();
    JsonNode figures = new ObjectMapper().readTree(first.out());
    assertThat(figures.get("pods").asInt()).isPositive();
    assertThat(figures.get("invariantViolations")).isEmpty();
    JsonNode repeated = new ObjectMapper().readTree(again.out());
    for (String field : new String[] {"pods", "instancesLaunched", "costUsd", "finalPricePerHour"}) {
      assertThat(repeated.get(field)).as(field).isEqualTo(figures.get(field));
    }
  }

  @Test
  void aScenarioFileAndAGeneratedSeedTogetherOrNeitherIsAUsageError() throws Exception {
    CommandRun both = CommandRun.of(Map.of(), "simulate", SCENARIO, "--generated", "5");
    CommandRun neither = CommandRun.of(Map.of(), "simulate");

    assertThat(both.exitCode()).isEqualTo(2);
    assertThat(both.err()).contains("not both");
    assertThat(neither.exitCode()).isEqualTo(2);
    assertThat(neither.err()).contains("give a SCENARIO file or --generated SEED");
  }
}
