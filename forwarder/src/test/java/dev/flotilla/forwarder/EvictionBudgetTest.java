package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which budgets guard a pod's eviction and what they allow, rule by rule as the API server's eviction decides
 * ({@code pkg/registry/core/pod/storage/eviction.go}): what a drain asks first and a node's mirrored state says.
 */
class EvictionBudgetTest {

  private static Pod pod(String phase, Boolean ready) {
    PodBuilder b = new PodBuilder().withNewMetadata().withName("web-0").withNamespace("shop")
        .addToLabels("app", "web").endMetadata().withNewStatus().withPhase(phase).endStatus();
    if (ready != null) {
      b.editStatus().addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
          .endStatus();
    }
    return b.build();
  }

  private static PodDisruptionBudgetBuilder budget(String name, int allowed) {
    return new PodDisruptionBudgetBuilder().withNewMetadata().withName(name).withNamespace("shop").endMetadata()
        .withNewSpec().withNewSelector().addToMatchLabels("app", "web").endSelector().endSpec()
        .withNewStatus().withDisruptionsAllowed(allowed).endStatus();
  }

  private static final Pod READY = pod("Running", true);
  private static final Pod UNREADY = pod("Running", false);

  @Test
  void aReadyPodHasWhatItsBudgetAllows() {
    assertThat(PodFacts.disruptionsAllowed(READY, List.of(budget("web", 2).build()))).isEqualTo(2);
    assertThat(PodFacts.disruptionsAllowed(READY, List.of(budget("web", 0).build()))).isZero();
    assertThat(PodFacts.budgetRefusal(READY, List.of(budget("web", 0).build())))
        .isEqualTo("PodDisruptionBudget web allows no disruption now");
    assertThat(PodFacts.budgetRefusal(READY, List.of(budget("web", 1).build()))).isNull();
  }

  @Test
  void aPodNotRunningOrTerminatingChecksNoBudget() {
    List<PodDisruptionBudget> none = List.of(budget("web", 0).build());
    for (String phase : List.of("Pending", "Succeeded", "Failed")) {
      assertThat(PodFacts.disruptionsAllowed(pod(phase, false), none)).as(phase).isEqualTo(-1);
    }
    Pod terminating = new PodBuilder(READY).editMetadata().withDeletionTimestamp("2026-12-04T10:00:00Z")
        .endMetadata().build();
    assertThat(PodFacts.disruptionsAllowed(terminating, none)).isEqualTo(-1);
  }

  @Test
  void aBudgetWithoutASelectorOrOfAnotherNamespaceGuardsNothing() {
    PodDisruptionBudget nullSelector = budget("all", 0).editSpec().withSelector(null).endSpec().build();
    PodDisruptionBudget emptySelector = budget("all", 0).editSpec().withNewSelector().endSelector().endSpec().build();
    PodDisruptionBudget elsewhere = budget("web", 0).editMetadata().withNamespace("billing").endMetadata().build();

    assertThat(PodFacts.disruptionsAllowed(READY, List.of(nullSelector, emptySelector, elsewhere))).isEqualTo(-1);
  }

  @Test
  void aPodTwoBudgetsGuardCanNeverBeEvicted() {
    List<PodDisruptionBudget> two = List.of(budget("web", 3).build(), budget("web-too", 3).build());

    assertThat(PodFacts.disruptionsAllowed(READY, two)).isZero();
    assertThat(PodFacts.disruptionsAllowed(UNREADY, two)).isZero();
    assertThat(PodFacts.budgetRefusal(READY, two)).contains("more than one PodDisruptionBudget").contains("web, web-too");
  }

  @Test
  void anUnreadyPodGoesWhenItsBudgetAlwaysAllowsThatOrIsHealthy() {
    PodDisruptionBudget alwaysAllow = budget("web", 0).editSpec().withUnhealthyPodEvictionPolicy("AlwaysAllow")
        .endSpec().build();
    PodDisruptionBudget healthy = budget("web", 0).editStatus().withCurrentHealthy(3).withDesiredHealthy(3)
        .endStatus().build();
    PodDisruptionBudget disrupted = budget("web", 0).editStatus().withCurrentHealthy(2).withDesiredHealthy(3)
        .endStatus().build();
    PodDisruptionBudget desiresNone = budget("web", 0).editStatus().withCurrentHealthy(0).withDesiredHealthy(0)
        .endStatus().build();

    assertThat(PodFacts.disruptionsAllowed(UNREADY, List.of(alwaysAllow))).isEqualTo(-1);
    assertThat(PodFacts.disruptionsAllowed(UNREADY, List.of(healthy))).isEqualTo(-1);
    assertThat(PodFacts.disruptionsAllowed(UNREADY, List.of(disrupted))).isZero();
    assertThat(PodFacts.disruptionsAllowed(UNREADY, List.of(desiresNone))).isZero();
    assertThat(PodFacts.disruptionsAllowed(pod("Running", null), List.of(alwaysAllow))).isEqualTo(-1);
    // a Ready pod counts against its budget whatever the policy
    assertThat(PodFacts.disruptionsAllowed(READY, List.of(alwaysAllow))).isZero();
    assertThat(PodFacts.disruptionsAllowed(READY, List.of(healthy))).isZero();
  }

  @Test
  void aBudgetItsControllerHasNotCaughtUpWithRefuses() {
    PodDisruptionBudget behind = budget("web", 4).editMetadata().withGeneration(3L).endMetadata().editStatus()
        .withObservedGeneration(2L).endStatus().build();
    PodDisruptionBudget current = budget("web", 4).editMetadata().withGeneration(3L).endMetadata().editStatus()
        .withObservedGeneration(3L).endStatus().build();
    PodDisruptionBudget noStatus = budget("web", 0).withStatus(null).build();

    assertThat(PodFacts.disruptionsAllowed(READY, List.of(behind))).isZero();
    assertThat(PodFacts.disruptionsAllowed(READY, List.of(current))).isEqualTo(4);
    assertThat(PodFacts.disruptionsAllowed(READY, List.of(noStatus))).isZero();
  }
}
