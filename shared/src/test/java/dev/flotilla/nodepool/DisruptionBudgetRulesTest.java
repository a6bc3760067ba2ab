package dev.flotilla.nodepool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.claims.Claim;
import dev.flotilla.disruption.DisruptionBudgets;
import dev.flotilla.disruption.DisruptionReason;
import dev.flotilla.manifest.Manifest;
import dev.flotilla.manifest.ManifestException;
import dev.flotilla.manifest.NodePoolReader;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.Resources;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Budgets as Karpenter v1 reads them: counts and percentages, schedules with durations, reasons, the minimum. */
class DisruptionBudgetRulesTest {

  /** A Monday. */
  private static final Instant MONDAY_NOON = Instant.parse("2026-01-05T12:00:00Z");

  @Test
  void aPercentageRoundsUpAndACountIsACount() {
    assertThat(new NodePool.Budget(10, true, List.of()).allowed(7)).isEqualTo(1);
    assertThat(new NodePool.Budget(10, true, List.of()).allowed(11)).isEqualTo(2);
    assertThat(new NodePool.Budget(25, true, List.of()).allowed(8)).isEqualTo(2);
    assertThat(new NodePool.Budget(0, true, List.of()).allowed(50)).isZero();
    assertThat(new NodePool.Budget(3, false, List.of()).allowed(50)).isEqualTo(3);
  }

  @Test
  void aScheduledBudgetHoldsOnlyForItsDurationAfterEachTimeItFires() {
    NodePool.Budget weekdays = new NodePool.Budget(0, false, List.of(), CronSchedule.parse("0 9 * * mon-fri"),
        Duration.ofHours(8));
    assertThat(weekdays.active(Instant.parse("2026-01-05T09:00:00Z"))).isTrue();
    assertThat(weekdays.active(MONDAY_NOON)).isTrue();
    assertThat(weekdays.active(Instant.parse("2026-01-05T16:59:00Z"))).isTrue();
    // the window is [fire, fire + duration): at 17:00 sharp it is over, as Karpenter's check has it
    assertThat(weekdays.active(Instant.parse("2026-01-05T17:00:00Z"))).isFalse();
    assertThat(weekdays.active(Instant.parse("2026-01-05T08:59:00Z"))).isFalse();
    // Saturday
    assertThat(weekdays.active(Instant.parse("2026-01-10T12:00:00Z"))).isFalse();
    NodePool.Budget daily = new NodePool.Budget(0, false, List.of(), CronSchedule.parse("@daily"),
        Duration.ofMinutes(30));
    assertThat(daily.active(Instant.parse("2026-01-05T00:10:00Z"))).isTrue();
    assertThat(daily.active(Instant.parse("2026-01-05T00:40:00Z"))).isFalse();
    // a window that spans midnight
    NodePool.Budget night = new NodePool.Budget(0, false, List.of(), CronSchedule.parse("0 22 * * *"),
        Duration.ofHours(4));
    assertThat(night.active(Instant.parse("2026-01-06T01:30:00Z"))).isTrue();
    assertThat(night.active(Instant.parse("2026-01-06T02:30:00Z"))).isFalse();
    assertThat(new NodePool.Budget(0, false, List.of()).active(MONDAY_NOON)).isTrue();
  }

  @Test
  void cronFieldsTakeListsRangesStepsAndEitherDayField() {
    CronSchedule quarter = CronSchedule.parse("*/15 * * * *");
    assertThat(quarter.firedWithin(Instant.parse("2026-01-05T12:15:30Z"), Duration.ofMinutes(1))).isTrue();
    assertThat(quarter.firedWithin(Instant.parse("2026-01-05T12:16:30Z"), Duration.ofMinutes(1))).isFalse();
    // day 1 of the month or any Sunday: 2026-01-04 is a Sunday, 2026-01-05 neither
    CronSchedule either = CronSchedule.parse("0 0 1 * sun");
    assertThat(either.firedWithin(Instant.parse("2026-01-04T00:05:00Z"), Duration.ofMinutes(10))).isTrue();
    assertThat(either.firedWithin(Instant.parse("2026-01-05T00:05:00Z"), Duration.ofMinutes(10))).isFalse();
    assertThat(CronSchedule.parse("0 0 * * 7").firedWithin(Instant.parse("2026-01-04T00:05:00Z"),
        Duration.ofMinutes(10))).isTrue();
    assertThatThrownBy(() -> CronSchedule.parse("0 25 * * *")).hasMessageContaining("hour");
    assertThatThrownBy(() -> CronSchedule.parse("0 9 * *")).hasMessageContaining("five fields");
  }

  @Test
  void theMostRestrictiveActiveBudgetCoveringTheReasonWins() {
    NodePool pool = pool(List.of(
        new NodePool.Budget(50, true, List.of()),
        new NodePool.Budget(2, false, List.of("Drifted")),
        // a scheduled zero for Underutilized, active at noon on weekdays only
        new NodePool.Budget(0, false, List.of("Underutilized"), CronSchedule.parse("0 9 * * mon-fri"),
            Duration.ofHours(8))));
    List<Claim> claims = nodes(10);
    DisruptionBudgets atNoon = DisruptionBudgets.of(List.of(pool), claims, MONDAY_NOON);
    assertThat(atNoon.remaining("web", DisruptionReason.Drifted)).isEqualTo(2);
    assertThat(atNoon.remaining("web", DisruptionReason.Underutilized)).isZero();
    assertThat(atNoon.allowance("web", DisruptionReason.Underutilized).budget()).contains("schedule='0 9 * * mon-fri'");
    assertThat(atNoon.remaining("web", DisruptionReason.Empty)).isEqualTo(5);
    DisruptionBudgets atNight = DisruptionBudgets.of(List.of(pool), claims, Instant.parse("2026-01-05T22:00:00Z"));
    assertThat(atNight.remaining("web", DisruptionReason.Underutilized)).isEqualTo(5);
  }

  @Test
  void nodesBeingDisruptedComeOffEveryReasonsAllowance() {
    NodePool pool = pool(List.of(new NodePool.Budget(3, false, List.of())));
    List<Claim> claims = new ArrayList<>(nodes(10));
    claims.set(0, claims.get(0).moved(dev.flotilla.claims.ClaimState.Draining, MONDAY_NOON));
    DisruptionBudgets b = DisruptionBudgets.of(List.of(pool), claims, Set.of("node-1"), MONDAY_NOON);
    // one draining, one not Ready
    assertThat(b.remaining("web", DisruptionReason.Drifted)).isEqualTo(1);
    b.take("web", 1);
    assertThat(b.remaining("web", DisruptionReason.Empty)).isZero();
    assertThat(DisruptionBudgets.of(List.of(pool), claims, MONDAY_NOON).remaining("other", DisruptionReason.Empty))
        .as("a pool no longer configured allows nothing").isZero();
  }

  @Test
  void noActiveBudgetMeansNoLimitAndNoBudgetsMeansTenPercent() {
    NodePool scheduledOnly = pool(List.of(new NodePool.Budget(0, false, List.of(), CronSchedule.parse("0 3 * * *"),
        Duration.ofHours(1))));
    assertThat(DisruptionBudgets.of(List.of(scheduledOnly), nodes(4), MONDAY_NOON)
        .remaining("web", DisruptionReason.Drifted)).isEqualTo(Integer.MAX_VALUE);
    NodePool defaults = pool(List.of());
    assertThat(DisruptionBudgets.of(List.of(defaults), nodes(25), MONDAY_NOON)
        .remaining("web", DisruptionReason.Underutilized)).isEqualTo(3);
  }

  @Test
  void budgetsExpiryAndGraceAreReadFromTheManifestNamingTheFieldThatIsWrong() {
    String yaml = """
        apiVersion: karpenter.sh/v1
        kind: NodePool
        metadata: {name: web}
        spec:
          template:
            spec:
              expireAfter: 24h
              terminationGracePeriod: 30m
              requirements: []
          disruption:
            budgets:
              - nodes: "20%"
                reasons: [Drifted, Empty]
              - nodes: "0"
                reasons: [Underutilized]
                schedule: "0 9 * * mon-fri"
                duration: 8h
        """;
    NodePool pool = NodePoolReader.read(Manifest.parse("pool.yaml", yaml)).getFirst();
    assertThat(pool.lifetime().expireAfter()).isEqualTo(Duration.ofHours(24));
    assertThat(pool.lifetime().terminationGracePeriod()).isEqualTo(Duration.ofMinutes(30));
    assertThat(pool.disruption().budgets()).hasSize(2);
    assertThat(pool.disruption().budgets().get(1).schedule().text()).isEqualTo("0 9 * * mon-fri");
    assertThat(pool.disruption().budgets().get(1).duration()).isEqualTo(Duration.ofHours(8));
    assertThat(NodePoolReader.read(Manifest.parse("p.yaml", yaml.replace("expireAfter: 24h", "expireAfter: Never")))
        .getFirst().lifetime().expireAfter()).isNull();
    assertThat(NodePoolReader.read(Manifest.parse("p.yaml", yaml.replace("      expireAfter: 24h\n", "")))
        .getFirst().lifetime().expireAfter()).isEqualTo(Duration.ofHours(720));
    assertThatThrownBy(() -> NodePoolReader.read(Manifest.parse("p.yaml", yaml.replace("duration: 8h", ""))))
        .isInstanceOf(ManifestException.class).hasMessageContaining("spec.disruption.budgets[1].duration");
    assertThatThrownBy(() -> NodePoolReader.read(Manifest.parse("p.yaml", yaml.replace("Drifted, Empty",
        "Drifted, Expired")))).hasMessageContaining("spec.disruption.budgets[0].reasons[1]");
    assertThatThrownBy(() -> NodePoolReader.read(Manifest.parse("p.yaml", yaml.replace("0 9 * * mon-fri",
        "0 9 * * funday")))).hasMessageContaining("spec.disruption.budgets[1].schedule");
    assertThatThrownBy(() -> NodePoolReader.read(Manifest.parse("p.yaml", yaml.replace("\"20%\"", "\"120%\""))))
        .hasMessageContaining("spec.disruption.budgets[0].nodes");
    assertThatThrownBy(() -> NodePoolReader.read(Manifest.parse("p.yaml", yaml.replace("expireAfter: 24h",
        "expireAfter: soon")))).hasMessageContaining("spec.template.spec.expireAfter");
    assertThatThrownBy(() -> NodePoolReader.read(Manifest.parse("p.yaml", yaml.replace("terminationGracePeriod: 30m",
        "terminationGracePeriod: 3 days")))).hasMessageContaining("spec.template.spec.terminationGracePeriod");
  }

  private static NodePool pool(List<NodePool.Budget> budgets) {
    return new NodePool("web", List.of(), null, null, null, null, 0, new NodePool.Disruption(
        NodePool.ConsolidationPolicy.WhenEmptyOrUnderutilized, Duration.ZERO, budgets, false));
  }

  private static List<Claim> nodes(int count) {
    List<Claim> claims = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      claims.add(Claim.launching("claim-" + i, "web", List.of("m7i.large"), List.of("us-east-1a"),
          CapacityType.ON_DEMAND, List.of(), Resources.NONE, 0.1, MONDAY_NOON.minusSeconds(3600))
          .withNode("node-" + i).moved(dev.flotilla.claims.ClaimState.Initialized, MONDAY_NOON));
    }
    return claims;
  }
}
