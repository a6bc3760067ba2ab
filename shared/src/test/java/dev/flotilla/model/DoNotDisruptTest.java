package dev.flotilla.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DoNotDisruptTest {

  private static final Instant STARTED = Instant.parse("2026-12-01T08:00:00Z");

  @Test
  void trueHoldsForGoodInEitherSpelling() {
    Instant muchLater = STARTED.plus(Duration.ofDays(300));
    assertThat(DoNotDisrupt.holds(Map.of(WellKnownLabels.DO_NOT_DISRUPT, "true"), STARTED, muchLater)).isTrue();
    assertThat(DoNotDisrupt.holds(Map.of(WellKnownLabels.KARPENTER_DO_NOT_DISRUPT, "true"), STARTED, muchLater))
        .isTrue();
  }

  @Test
  void aDurationHoldsFromThePodsStartForThatLong() {
    Map<String, String> halfAnHour = Map.of(WellKnownLabels.KARPENTER_DO_NOT_DISRUPT, "30m");

    assertThat(DoNotDisrupt.holds(halfAnHour, STARTED, STARTED.plus(Duration.ofMinutes(29)))).isTrue();
    assertThat(DoNotDisrupt.holds(halfAnHour, STARTED, STARTED.plus(Duration.ofMinutes(30)))).isFalse();
    assertThat(DoNotDisrupt.holds(halfAnHour, null, STARTED)).as("not started yet: just started").isTrue();
    assertThat(DoNotDisrupt.holds(Map.of(WellKnownLabels.DO_NOT_DISRUPT, "1h30m"), STARTED,
        STARTED.plus(Duration.ofMinutes(89)))).isTrue();
  }

  @Test
  void anyOtherValueHoldsNothing() {
    assertThat(DoNotDisrupt.holds(Map.of(WellKnownLabels.DO_NOT_DISRUPT, "false"), STARTED, STARTED)).isFalse();
    assertThat(DoNotDisrupt.holds(Map.of(WellKnownLabels.DO_NOT_DISRUPT, "soon"), STARTED, STARTED)).isFalse();
    assertThat(DoNotDisrupt.holds(Map.of(), STARTED, STARTED)).isFalse();
  }
}
