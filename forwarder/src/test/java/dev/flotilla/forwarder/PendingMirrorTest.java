package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.ClaimStore;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.contracts.PendingPods;
import dev.flotilla.events.InMemoryEventBus;
import dev.flotilla.model.PendingPod;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The forwarder mirrors the pods pending in the cluster into the table, for consolidation's check. */
@EnableKubernetesMockClient(crud = true)
@ExtendWith(MockApiServerAnswers.class)
class PendingMirrorTest {

  static KubernetesClient client;

  private static List<String> mirrored(ClaimStore store) {
    return store.pendingPods().map(d -> PendingPods.parse(d).pods().stream().map(PendingPod::name).toList())
        .orElse(List.of("(none written)"));
  }

  @Test
  void thePodsPendingAreMirroredAndLeaveItOnceBoundOrDeleted() {
    client.pods().inAnyNamespace().delete();
    InMemoryClaimStore store = new InMemoryClaimStore(Clock.systemUTC());
    TestPods.pending(client, "web-0");
    TestPods.pending(client, "web-1");
    TestPods.bound(client, "web-2", "ip-10-0-1-5", "ReplicaSet");
    try (ClusterWatch watch = new ClusterWatch(client, "shop-prod", new InMemoryEventBus(), Duration.ofMinutes(1),
        Duration.ofMinutes(1), Duration.ofMinutes(5), store).start()) {
      Await.until("the two pending pods mirrored", () -> mirrored(store).size() == 2);
      assertThat(mirrored(store)).containsExactlyInAnyOrder("shop/web-0", "shop/web-1");

      client.pods().inNamespace("shop").withName("web-1").delete();
      Pod web0 = client.pods().inNamespace("shop").withName("web-0").get();
      web0.getSpec().setNodeName("ip-10-0-1-5");
      web0.getStatus().setConditions(List.of());
      web0.getStatus().setPhase("Running");
      client.pods().inNamespace("shop").resource(web0).update();

      Await.until("none pending mirrored", () -> mirrored(store).isEmpty());
      TestPods.pending(client, "web-3");
      Await.until("the new one mirrored", () -> mirrored(store).equals(List.of("shop/web-3")));
    }
  }

  @Test
  void aWriteThatFailsIsMadeAgainOnceTheIntervalHasPassed() {
    InMemoryClaimStore real = new InMemoryClaimStore(Clock.systemUTC());
    AtomicInteger tries = new AtomicInteger();
    ClaimStore flaky = (ClaimStore) Proxy.newProxyInstance(ClaimStore.class.getClassLoader(),
        new Class<?>[] {ClaimStore.class}, (proxy, method, args) -> {
          // the first write goes through, the second (of a changed set) is throttled
          if (method.getName().equals("putPendingPods") && tries.incrementAndGet() == 2) {
            throw new IllegalStateException("throttled");
          }
          try {
            return method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
    try (PendingMirror mirror = new PendingMirror(flaky, Clock.systemUTC(), () -> true, Duration.ofMillis(200),
        Duration.ofMillis(20))) {
      mirror.pending(PendingPod.builder("shop/web-0").build());
      Await.until("the first written", () -> real.pendingPods().isPresent());
      mirror.pending(PendingPod.builder("shop/web-1").build());
      Await.until("the changed set written on the third try", () -> mirrored(real).size() == 2);
      assertThat(tries.get()).isEqualTo(3);
      assertThat(mirrored(real)).containsExactly("shop/web-0", "shop/web-1");
    }
  }

  @Test
  void anUnchangedSetIsWrittenAgainOnceARefreshIsDue() {
    InMemoryClaimStore store = new InMemoryClaimStore(Clock.systemUTC());
    try (PendingMirror mirror = new PendingMirror(store, Clock.systemUTC(), () -> true, Duration.ZERO,
        Duration.ofMillis(20), Duration.ofMillis(300))) {
      mirror.pending(PendingPod.builder("shop/web-0").build());
      Await.until("written", () -> store.pendingPods().isPresent());
      java.time.Instant first = PendingPods.parse(store.pendingPods().orElseThrow()).at();
      Await.until("written again, unchanged", () -> PendingPods.parse(store.pendingPods().orElseThrow()).at()
          .isAfter(first));
      assertThat(mirrored(store)).containsExactly("shop/web-0");
    }
  }

  @Test
  void nothingIsWrittenBeforeThePodsAreListed() throws Exception {
    InMemoryClaimStore store = new InMemoryClaimStore(Clock.systemUTC());
    java.util.concurrent.atomic.AtomicBoolean listed = new java.util.concurrent.atomic.AtomicBoolean();
    try (PendingMirror mirror = new PendingMirror(store, Clock.systemUTC(), listed::get, Duration.ZERO,
        Duration.ofMillis(20))) {
      mirror.pending(PendingPod.builder("shop/web-0").build());
      Thread.sleep(200);
      assertThat(store.pendingPods()).as("a partial set would pass for the whole").isEmpty();

      listed.set(true);
      Await.until("written once listed", () -> store.pendingPods().isPresent());
      assertThat(mirrored(store)).containsExactly("shop/web-0");
    }
  }
}
