package dev.flotilla.functions;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DecisionReportTest {

  @Test
  void launchFailuresAreCountedByTheirFirstErrorCode() {
    assertThat(DecisionReport.reason("claim c1 not launched: InsufficientInstanceCapacity, Unsupported"))
        .isEqualTo("InsufficientInstanceCapacity");
    assertThat(DecisionReport.reason("claim for 3 pods not made: 2 already reserved by another claim"))
        .isEqualTo("PodsAlreadyReserved");
    assertThat(DecisionReport.reason("claim c2 not launched: no offering left to try"))
        .isEqualTo("no-offering-left-to-try");
  }

  @Test
  void disruptionsAreCountedByTheirReason() {
    assertThat(DecisionReport.byReason(java.util.List.of(
        new dev.flotilla.disruption.ConsolidationService.Disrupted("ip-1", "c-1", "web",
            dev.flotilla.disruption.DisruptionReason.Drifted, "nodes=1 reasons=[Drifted]", "template changed", 1),
        new dev.flotilla.disruption.ConsolidationService.Disrupted("ip-2", "c-2", "web",
            dev.flotilla.disruption.DisruptionReason.Drifted, "nodes=1 reasons=[Drifted]", "template changed", 1),
        new dev.flotilla.disruption.ConsolidationService.Disrupted("ip-3", "c-3", "batch",
            dev.flotilla.disruption.DisruptionReason.Expired, "expiry goes whatever the budgets say", "old", 0))))
        .containsExactly(java.util.Map.entry("Drifted", 2L), java.util.Map.entry("Expired", 1L));
  }

  @Test
  void eachReasonIsOneNodesDisruptedMetricWithItsCountInEmbeddedMetricFormat() throws Exception {
    java.util.List<dev.flotilla.disruption.ConsolidationService.Disrupted> disruptions = java.util.List.of(
        new dev.flotilla.disruption.ConsolidationService.Disrupted("ip-1", "c-1", "web",
            dev.flotilla.disruption.DisruptionReason.Drifted, "nodes=1 reasons=[Drifted]",
            "SubnetDrift: subnet subnet-a is no longer one of [subnet-b]", 1),
        new dev.flotilla.disruption.ConsolidationService.Disrupted("ip-2", "c-2", "web",
            dev.flotilla.disruption.DisruptionReason.Drifted, "nodes=1 reasons=[Drifted]", "template changed", 1),
        new dev.flotilla.disruption.ConsolidationService.Disrupted("ip-3", "c-3", "batch",
            dev.flotilla.disruption.DisruptionReason.Unhealthy, "repair goes whatever the budgets say", "not Ready",
            0));
    dev.flotilla.contracts.Envelope tick = new dev.flotilla.contracts.Envelope("tick-1", "aws.events",
        "Scheduled Event", java.time.Instant.parse("2026-12-01T09:00:00Z"),
        com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode());

    java.util.List<com.fasterxml.jackson.databind.JsonNode> emitted = emf(() ->
        new DecisionReport("consolidation", "shop-prod").disrupted(tick, disruptions));

    java.util.Map<String, Double> byReason = new java.util.LinkedHashMap<>();
    for (com.fasterxml.jackson.databind.JsonNode doc : emitted) {
      com.fasterxml.jackson.databind.JsonNode directive = doc.path("_aws").path("CloudWatchMetrics").get(0);
      if (!directive.path("Metrics").toString().contains("\"NodesDisrupted\"")) {
        continue;
      }
      assertThat(directive.path("Namespace").asText()).isEqualTo("Flotilla");
      assertThat(directive.path("Metrics").get(0).path("Unit").asText()).isEqualTo("Count");
      assertThat(directive.path("Dimensions").get(0)).extracting(com.fasterxml.jackson.databind.JsonNode::asText)
          .contains("Cluster", "Reason");
      assertThat(doc.path("Cluster").asText()).isEqualTo("shop-prod");
      byReason.put(doc.path("Reason").asText(), doc.path("NodesDisrupted").asDouble());
    }
    assertThat(byReason).containsExactly(java.util.Map.entry("Drifted", 2.0), java.util.Map.entry("Unhealthy", 1.0));
  }

  @Test
  void aConsolidationPassGivenUpIsCountedForItsCluster() throws Exception {
    java.util.List<com.fasterxml.jackson.databind.JsonNode> emitted = emf(() ->
        new DecisionReport("consolidation", "shop-prod").consolidationGivenUp());

    assertThat(emitted).filteredOn(doc -> doc.has("ConsolidationPassesGivenUp")).singleElement().satisfies(doc -> {
      com.fasterxml.jackson.databind.JsonNode directive = doc.path("_aws").path("CloudWatchMetrics").get(0);
      assertThat(directive.path("Namespace").asText()).isEqualTo("Flotilla");
      assertThat(directive.path("Dimensions").get(0)).extracting(com.fasterxml.jackson.databind.JsonNode::asText)
          .contains("Cluster");
      assertThat(doc.path("Cluster").asText()).isEqualTo("shop-prod");
      assertThat(doc.path("ConsolidationPassesGivenUp").asDouble()).isEqualTo(1.0);
    });
  }

  /** The Embedded Metric Format documents {@code run} writes to stdout, one JSON object a line, as in Lambda. */
  private static java.util.List<com.fasterxml.jackson.databind.JsonNode> emf(Runnable run) throws Exception {
    java.io.PrintStream out = System.out;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setOut(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      run.run();
    } finally {
      System.setOut(out);
    }
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    java.util.List<com.fasterxml.jackson.databind.JsonNode> docs = new java.util.ArrayList<>();
    for (String line : captured.toString(java.nio.charset.StandardCharsets.UTF_8).split("\\R")) {
      if (line.startsWith("{") && line.contains("\"_aws\"")) {
        docs.add(json.readTree(line));
      }
    }
    return docs;
  }
}
