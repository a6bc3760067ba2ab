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
        "lowerBoundPerHour", "solveMillis");
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
        .isGreaterThanOrEqualTo(plan.get("lowerBoundPerHour").asDouble());
  }

  @Test
  void tableShowsTypesTotalsAndTheBound() {
    String table = run("plan", "-f", SHOP.toString());
    assertThat(table).contains("INSTANCE TYPE", "NODEPOOL", "CPU%", "MEM%")
        .contains("fractional lower bound")
        .contains("default/debug: no instance type");
  }

  private static List<String> fields(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
