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
}
