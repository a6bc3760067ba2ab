package dev.flotilla.provisioning;

import static dev.flotilla.disruption.RunningCluster.pod;
import static dev.flotilla.disruption.RunningCluster.running;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.Claim;
import dev.flotilla.disruption.RunningCluster;
import dev.flotilla.model.PendingPod;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A pod its claim's ready node did not take is planned again once the claim's reservation has had its time. */
class StaleReservationTest {

  private final RunningCluster cluster = new RunningCluster();

  @Test
  void aPodStillPendingAfterItsNodeIsReadyIsPlannedAgainAfterTheGrace() {
    PendingPod leftOut = pod("web-9", 1000, 1024);
    Claim ready = cluster.node("ip-10-0-1-5", "m7i.large", List.of(running(leftOut)));

    Provisioner.Decision early = cluster.provisioner.provision("e1", List.of(leftOut));
    assertThat(early.alreadyReserved()).isEqualTo(1);
    assertThat(early.launched()).isEmpty();

    cluster.clock.advance(Provisioner.RESERVATION_GRACE.plus(Duration.ofSeconds(1)));
    Provisioner.Decision later = cluster.provisioner.provision("e2", List.of(leftOut));

    assertThat(later.alreadyReserved()).isZero();
    assertThat(later.launched()).singleElement().satisfies(c -> assertThat(c.pods()).containsExactly("shop/web-9"));
    assertThat(cluster.store.reservations(List.of("shop/web-9"))).containsValue(later.launched().getFirst().id())
        .doesNotContainValue(ready.id());
  }
}
