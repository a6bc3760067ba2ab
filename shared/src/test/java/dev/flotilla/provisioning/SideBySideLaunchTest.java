package dev.flotilla.provisioning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.catalog.StaticOfferingSource;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.cloud.InMemoryCloud;
import dev.flotilla.model.PendingPod;
import dev.flotilla.scheduling.SyntheticWorkloads;
import dev.flotilla.testing.MutableClock;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * A decision whose claims are written, launched and recorded side by side ({@link Fanout#bounded}), as Lambda runs
 * it, against the same decision one call after another, as the simulator runs it.
 */
class SideBySideLaunchTest {

  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
  private final OfferingCatalog catalog = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.ratio(0.35));
  private final List<PendingPod> pods = SyntheticWorkloads.mixed(100, 11);

  private record Run(Provisioner provisioner, InMemoryClaimStore store, InMemoryCloud cloud) {}

  private Run run(Fanout fanout, Predicate<Claim> failWrite, CountDownLatch writesTogether) {
    InMemoryClaimStore store = new InMemoryClaimStore(clock);
    InMemoryCloud cloud = new InMemoryCloud("shop-prod", catalog, store, clock);
    AtomicInteger ids = new AtomicInteger();
    return new Run(new Provisioner(storeWithWrites(store, failWrite, writesTogether), cloud,
        new StaticOfferingSource(catalog, store), List::of, List::of, clock,
        () -> "claim-" + ids.incrementAndGet(), fanout), store, cloud);
  }

  @Test
  void aDecisionLaunchedSideBySideReportsWhatOneCallAfterAnotherDoes() {
    Run sequential = run(Fanout.SEQUENTIAL, c -> false, null);
    // the first two writes wait for each other: they can only finish if they run at once
    Run sideBySide = run(Fanout.bounded(4, "test-aws"), c -> false, new CountDownLatch(2));

    Provisioner.Decision one = sequential.provisioner().provision("evt", pods);
    Provisioner.Decision other = sideBySide.provisioner().provision("evt", pods);

    assertThat(other.launched()).hasSizeGreaterThan(1);
    // the same claims in the plan's order, whichever call answered first
    assertThat(other.launched()).extracting(Claim::pods, Claim::instanceTypes, Claim::capacityType)
        .containsExactlyElementsOf(one.launched().stream()
            .map(c -> org.assertj.core.groups.Tuple.tuple(c.pods(), c.instanceTypes(), c.capacityType())).toList());
    assertThat(other.launched()).allSatisfy(c -> assertThat(c.state()).isEqualTo(ClaimState.Launched));
    assertThat(other.failures()).isEqualTo(one.failures());
    assertThat(other.addedPricePerHour()).isEqualTo(one.addedPricePerHour());
    assertThat(sideBySide.cloud().ownedInstances()).hasSize(other.launched().size());
  }

  @Test
  void aWriteThatFailsFailsTheDecisionAndTheClaimsWrittenBesideItAreResumed() {
    AtomicInteger writes = new AtomicInteger();
    // the second claim's write is refused (throttled past the SDK's retries): the decision fails, as Lambda's
    // invocation then does, after the other writes have gone through
    Run sideBySide = run(Fanout.bounded(4, "test-aws"), c -> writes.incrementAndGet() == 2, null);

    assertThatThrownBy(() -> sideBySide.provisioner().provision("evt", pods)).hasMessageContaining("throttled");
    List<Claim> written = sideBySide.store().claims();
    assertThat(written).isNotEmpty().allSatisfy(c -> assertThat(c.state()).isEqualTo(ClaimState.Launching));
    assertThat(sideBySide.cloud().ownedInstances()).isEmpty();

    // Lambda's retry, once the launch lease has passed: the claims left Launching are launched, the rest planned
    clock.advance(Provisioner.LAUNCH_LEASE.plusSeconds(1));
    Provisioner.Decision retry = sideBySide.provisioner().provision("evt", pods);

    assertThat(retry.failures()).isEmpty();
    assertThat(retry.launched()).extracting(Claim::id).containsAll(written.stream().map(Claim::id).toList());
    Map<String, String> claimOfPod = new HashMap<>();
    for (Claim c : sideBySide.store().claims()) {
      assertThat(c.state()).isEqualTo(ClaimState.Launched);
      c.pods().forEach(p -> assertThat(claimOfPod.put(p, c.id())).as("%s in two claims", p).isNull());
    }
    assertThat(claimOfPod).hasSize(pods.size());
    assertThat(sideBySide.cloud().ownedInstances()).hasSize(sideBySide.store().claims().size());
  }

  /**
   * The store, with claim writes refused where {@code failWrite} says so and, where {@code together} is given, each
   * of the first writes held until that many are in progress at once.
   */
  private static ClaimStore storeWithWrites(ClaimStore store, Predicate<Claim> failWrite, CountDownLatch together) {
    return (ClaimStore) Proxy.newProxyInstance(ClaimStore.class.getClassLoader(), new Class<?>[] {ClaimStore.class},
        (proxy, method, args) -> {
          if (method.getName().equals("create")) {
            if (failWrite.test((Claim) args[0])) {
              throw new IllegalStateException("throttled");
            }
            if (together != null && together.getCount() > 0) {
              together.countDown();
              assertThat(together.await(30, TimeUnit.SECONDS)).as("writes in progress at once").isTrue();
            }
          }
          try {
            return method.invoke(store, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }
}
