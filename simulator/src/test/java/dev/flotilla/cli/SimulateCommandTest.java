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
  void withoutACatalogTheRunSaysItUsedTheBundledUsEast1Prices() throws Exception {
    CommandRun json = CommandRun.of(Map.of(), "simulate", SCENARIO, "-o", "json");

    assertThat(json.exitCode()).as(json.err()).isZero();
    JsonNode prices = new ObjectMapper().readTree(json.out()).get("prices");
    assertThat(prices.get("region").asText()).isEqualTo("us-east-1");
    assertThat(prices.get("catalog").asText()).isEqualTo("bundled");
  }
}
