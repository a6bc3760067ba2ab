package dev.flotilla.provisioning;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.NodeCapacity;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.catalog.StaticOfferingSource;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.cloud.CloudInstance;
import dev.flotilla.cloud.InMemoryCloud;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.testing.MutableClock;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two provisioner invocations side by side, as Lambda runs two batches at once: each plans against the pool usage it
 * read, and together they must still keep the pool within its limits.
 */
class SideBySideLimitTest {

  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
  private final OfferingCatalog catalog = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.ratio(0.35));
  private final InMemoryClaimStore store = new InMemoryClaimStore(clock);
  private final InMemoryCloud cloud = new InMemoryCloud("shop-prod", catalog, store, clock);
  /** Six CPUs: room for one node of four, not two. */
  private final NodePool pool = withCpuLimit(6_000);

  private static NodePool withCpuLimit(long cpuMillis) {
    NodePool base = NodePool.defaultPool();
    return new NodePool(base.name(), base.requirements(), base.labels(), base.taints(), base.startupTaints(),
        Resources.of(Resources.CPU, cpuMillis), base.weight(), base.disruption());
  }

  private Provisioner invocation(String name, ClaimStore seen) {
    return new Provisioner(seen, cloud, new StaticOfferingSource(catalog, store), () -> List.of(pool), List::of,
        clock, () -> name + "-" + System.nanoTime());
  }

  @Test
  void twoInvocationsThatPlannedOnTheSameRoomLaunchOnlyWhatTheLimitHolds() throws Exception {
    // each a pod of 3 CPUs: alone, a 4-CPU node. Both read the pool empty before either writes its claim; the first
    // reads the claims again before the second writes, and the second after: the later reader gives its claim up
    CountDownLatch planned = new CountDownLatch(2);
    CountDownLatch firstChecked = new CountDownLatch(1);
    List<Provisioner.Decision> decisions;
    // a thread each, as two Lambda environments: the common pool may have one thread on a 2-core machine
    try (ExecutorService lambdas = Executors.newFixedThreadPool(2)) {
      CompletableFuture<Provisioner.Decision> one = CompletableFuture.supplyAsync(() -> invocation("one",
          held(planned, null, firstChecked)).provision("evt-1", List.of(pod("shop/api-0"))), lambdas);
      CompletableFuture<Provisioner.Decision> other = CompletableFuture.supplyAsync(() -> invocation("other",
          held(planned, firstChecked, null)).provision("evt-2", List.of(pod("shop/api-1"))), lambdas);
      decisions = List.of(one.get(30, TimeUnit.SECONDS), other.get(30, TimeUnit.SECONDS));
    }

    assertThat(cloud.ownedInstances()).singleElement().satisfies(i ->
        assertThat(NodeCapacity.capacity(catalog.type(i.instanceType())).cpuMillis()).isLessThanOrEqualTo(6_000));
    assertThat(decisions.getFirst().launched()).singleElement();
    assertThat(decisions.getFirst().failures()).isEmpty();
    // what was given up says why, and its pod is free for the next batch
    assertThat(decisions.getLast().launched()).isEmpty();
    assertThat(decisions.getLast().failures()).singleElement().asString()
        .contains("NodePool default limit cpu=6 would be exceeded", "another launch having taken the room");
    List<Claim> closed = store.claims().stream().filter(c -> c.state() == ClaimState.Terminated).toList();
    // the second invocation's (a terminated claim keeps no pods: its id says whose it was)
    assertThat(closed).singleElement().satisfies(c -> assertThat(c.id()).startsWith("other-"));
    assertThat(store.reservations(List.of("shop/api-1"))).isEmpty();
  }

  @Test
  void oneInvocationAloneLaunchesWhatItPlanned() {
    Provisioner.Decision decision = invocation("one", store).provision("evt-1", List.of(pod("shop/api-0")));

    assertThat(decision.failures()).isEmpty();
    assertThat(decision.launched()).singleElement();
  }

  private static PendingPod pod(String name) {
    return PendingPod.builder(name).labels(java.util.Map.of("app", "api")).requests(Resources.of(3_000, 1L << 30))
        .build();
  }

  /**
   * The store as one invocation sees it: its claim writes held until {@code planned} invocations have come to write
   * theirs and, where given, until {@code after} is counted down; {@code checked}, where given, counted down once it
   * has read the claims again after writing.
   */
  private ClaimStore held(CountDownLatch planned, CountDownLatch after, CountDownLatch checked) {
    java.util.concurrent.atomic.AtomicBoolean wrote = new java.util.concurrent.atomic.AtomicBoolean();
    return (ClaimStore) Proxy.newProxyInstance(ClaimStore.class.getClassLoader(), new Class<?>[] {ClaimStore.class},
        (proxy, method, args) -> {
          if (method.getName().equals("create")) {
            planned.countDown();
            assertThat(planned.await(30, TimeUnit.SECONDS)).as("both invocations planned").isTrue();
            if (after != null) {
              assertThat(after.await(30, TimeUnit.SECONDS)).as("the other read the claims again").isTrue();
            }
            wrote.set(true);
          }
          Object answer;
          try {
            answer = method.invoke(store, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          if (method.getName().equals("claims") && wrote.get() && checked != null) {
            checked.countDown();
          }
          return answer;
        });
  }
}
