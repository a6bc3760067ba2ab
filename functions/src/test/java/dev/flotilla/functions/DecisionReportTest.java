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
}
