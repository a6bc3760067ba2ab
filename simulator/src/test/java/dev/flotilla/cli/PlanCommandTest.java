package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PlanCommandTest {

  private static final Path SHOP = Path.of("..", "test-events", "workloads", "shop.yaml");

  private static String run(String... args) {
    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      int code = new CommandLine(new FlotillaCommand()).execute(args);
      assertThat(code).isZero();
    } finally {
      System.setOut(original);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void jsonHasExactlyTheDocumentedFields() throws Exception {
    JsonNode plan = new ObjectMapper().readTree(run("plan", "-f", SHOP.toString(), "--output", "json"));

    assertThat(fields(plan)).containsExactly("nodes", "unschedulable", "poolFallbacks", "totalPricePerHour",
        "lowerBoundPerHour", "zoneBoundPerHour", "solveMillis", "prices");
    assertThat(fields(plan.get("prices"))).containsExactly("region", "catalog", "spotRatio");
    assertThat(plan.get("prices").get("region").asText()).isEqualTo("us-east-1");
    assertThat(plan.get("prices").get("catalog").asText()).isEqualTo("bundled");
    assertThat(plan.get("nodes")).isNotEmpty();
    for (JsonNode node : plan.get("nodes")) {
      assertThat(fields(node)).containsExactly("instanceType", "zone", "capacityType", "pricePerHour", "nodePool", "pods");
    }
    int placed = 0;
    for (JsonNode node : plan.get("nodes")) {
      placed += node.get("pods").size();
    }
    // 40 web + 24 api + 3 cache + 2 training pods; the s390x debug pod cannot be placed
    assertThat(placed).isEqualTo(69);
    assertThat(plan.get("unschedulable")).singleElement().satisfies(u -> {
      assertThat(u.get("pod").asText()).isEqualTo("default/debug");
      assertThat(u.get("reason").asText()).contains("kubernetes.io/arch In s390x");
    });
    assertThat(plan.get("totalPricePerHour").asDouble())
        .isGreaterThanOrEqualTo(plan.get("zoneBoundPerHour").asDouble());
    assertThat(plan.get("zoneBoundPerHour").asDouble())
        .isGreaterThanOrEqualTo(plan.get("lowerBoundPerHour").asDouble());
  }

  @Test
  void tableShowsTypesTotalsAndTheBound() {
    String table = run("plan", "-f", SHOP.toString());
    assertThat(table).contains("INSTANCE TYPE", "NODEPOOL", "CPU%", "MEM%")
        .contains("fractional lower bound")
        .contains("default/debug: no instance type");
  }

  @Test
  void anotherRegionsCatalogGivesItsZonesAndPricesAndThePlanSaysWhose(@TempDir Path dir) throws Exception {
    Path eu = OtherRegionCatalog.write(dir);

    JsonNode plan = new ObjectMapper().readTree(run("plan", "-f", SHOP.toString(), "--region", "eu-west-1",
        "--catalog", eu.toString(), "--output", "json"));

    assertThat(plan.get("prices").get("region").asText()).isEqualTo("eu-west-1");
    assertThat(plan.get("prices").get("catalog").asText()).isEqualTo(eu.toString());
    dev.flotilla.catalog.OfferingCatalog euPrices = dev.flotilla.catalog.OfferingCatalog.of(
        dev.flotilla.catalog.CatalogFile.read(eu), dev.flotilla.catalog.SpotPrices.ratio(0.35));
    dev.flotilla.catalog.CatalogFile usEast1 = dev.flotilla.catalog.CatalogFile.bundled();
    assertThat(plan.get("nodes")).isNotEmpty().allSatisfy(node -> {
      String type = node.get("instanceType").asText();
      String zone = node.get("zone").asText();
      dev.flotilla.model.CapacityType capacity = node.get("capacityType").asText().equals("spot")
          ? dev.flotilla.model.CapacityType.SPOT : dev.flotilla.model.CapacityType.ON_DEMAND;
      assertThat(zone).isIn(OtherRegionCatalog.ZONES);
      assertThat(node.get("pricePerHour").asDouble()).isEqualTo(euPrices.price(type, zone, capacity));
      if (capacity == dev.flotilla.model.CapacityType.ON_DEMAND) {
        assertThat(node.get("pricePerHour").asDouble())
            .isEqualTo(Math.round(usEast1.require(type).onDemandUsdPerHour() * OtherRegionCatalog.MARKUP * 1e6) / 1e6);
      }
    });
    assertThat(run("plan", "-f", SHOP.toString(), "--region", "eu-west-1", "--catalog", eu.toString()))
        .contains("prices: eu-west-1 on-demand from " + eu);
  }

  @Test
  void aRegionWhoseCatalogWasNotGivenIsPlannedAtTheBundledPricesAndSaysSo(@TempDir Path dir) throws Exception {
    CommandRun other = CommandRun.of(java.util.Map.of(), "plan", "-f", SHOP.toString(), "--region", "eu-west-1");

    assertThat(other.exitCode()).isZero();
    assertThat(other.out()).contains("prices: us-east-1 on-demand from the bundled catalog");

    CommandRun mismatched = CommandRun.of(java.util.Map.of(), "plan", "-f", SHOP.toString(), "--region", "eu-west-1",
        "--catalog", OtherRegionCatalog.bundledCopy(dir).toString());
    assertThat(mismatched.exitCode()).isEqualTo(2);
    assertThat(mismatched.err()).contains("is the catalog of us-east-1, not of --region eu-west-1");
  }

  private static List<String> fields(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
