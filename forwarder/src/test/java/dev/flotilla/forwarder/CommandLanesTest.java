package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.commands.Command;
import dev.flotilla.commands.InMemoryCommandQueue;
import dev.flotilla.events.BusEvent;
import dev.flotilla.events.InMemoryEventBus;
import dev.flotilla.model.WellKnownLabels;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Commands run side by side against fabric8's mock API server (CRUD mode, real watches, the Eviction subresource
 * from {@link EvictingDispatcher}): a drain held by a PodDisruptionBudget keeps neither a spot drain of another node
 * waiting nor another consolidation drain, and a node's own commands wait for each other.
 */
class CommandLanesTest {

  private KubernetesMockServer server;
  private KubernetesClient client;
  private final InMemoryEventBus bus = new InMemoryEventBus();
  /** The first time each node was reported drained, in the order they were. */
  private final Map<String, CountDownLatch> drained = new ConcurrentHashMap<>();
  private final List<String> drainOrder = new java.util.concurrent.CopyOnWriteArrayList<>();
  private ClusterWatch watch;
  private final InMemoryCommandQueue messages = new InMemoryCommandQueue(Clock.systemUTC(), Duration.ofSeconds(30));
  private WatchedQueue queue;
  private CommandExecutor executor;

  @BeforeEach
  void cluster() {
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new EvictingDispatcher(),
        false);
    server.init();
    client = server.createClient();
    watch = new ClusterWatch(client, "shop-prod", new InMemoryEventBus(), Duration.ofMinutes(1),
        Duration.ofMinutes(1), Duration.ofMinutes(5)).start();
    bus.subscribe(this::record);
    queue = new WatchedQueue(messages, Clock.systemUTC());
    // two lanes: one for consolidation, one kept for drains that must finish within minutes
    executor = new CommandExecutor(client, "shop-prod", queue, bus, Clock.systemUTC(), Duration.ofMillis(100),
        watch::podsOn, new CommandExecutor.Lanes(2, 1, 50, Duration.ofMinutes(5), Duration.ofSeconds(5),
            Duration.ofSeconds(30)));
    for (String node : List.of("ip-1", "ip-2", "ip-3")) {
      client.nodes().resource(new NodeBuilder().withNewMetadata().withName(node)
          .addToLabels(WellKnownLabels.CLUSTER, "shop-prod").endMetadata().withNewSpec().endSpec().build()).create();
    }
    pod("web-0", "ip-1", "web");
    pod("web-1", "ip-3", "web");
    pod("batch-0", "ip-2", "batch");
    budget(0);
    Await.until("the watch's cache holds the three pods", () -> watch.podCount() >= 3);
  }

  @AfterEach
  void stop() {
    executor.close();
    watch.close();
    MockApiServerAnswers.awaitAnswering(client);
    client.close();
    server.destroy();
  }

  private void record(BusEvent e) {
    if (e.detailType().equals(CommandExecutor.NODE_DRAINED)) {
      String node = e.detail().replaceAll(".*\"node\":\"([^\"]+)\".*", "$1");
      drainOrder.add(node);
      latch(node).countDown();
    }
  }

  private CountDownLatch latch(String node) {
    return drained.computeIfAbsent(node, n -> new CountDownLatch(1));
  }

  private boolean drainedWithinGuard(String node) throws InterruptedException {
    return latch(node).await(30, TimeUnit.SECONDS);
  }

  private void pod(String name, String node, String app) {
    client.pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName(name)
        .withNamespace("shop").addToLabels("app", app)
        .addNewOwnerReference().withKind("ReplicaSet").withName("o").withApiVersion("apps/v1").withUid("u")
        .withController(true).endOwnerReference().endMetadata()
        .withNewSpec().withNodeName(node).addNewContainer().withName("c").withImage("x").endContainer().endSpec()
        .build()).create();
  }

  private void budget(int disruptionsAllowed) {
    client.policy().v1().podDisruptionBudget().inNamespace("shop").resource(
        new PodDisruptionBudgetBuilder().withNewMetadata().withName("web").withNamespace("shop").endMetadata()
            .withNewSpec().withNewSelector().addToMatchLabels("app", "web").endSelector().endSpec()
            .withNewStatus().withDisruptionsAllowed(disruptionsAllowed).endStatus().build()).createOr(
                existing -> existing.update());
  }

  private static Command drain(String node, Duration within, String reason) {
    return Command.of(Command.Kind.Drain, node, "claim-" + node, Instant.now().plus(within), reason);
  }

  @Test
  void aDrainHeldByABudgetDelaysNeitherASpotDrainNorTheNodesOwnDelete() throws Exception {
    try (Poller poller = new Poller(executor)) {
      queue.send(List.of(drain("ip-1", Duration.ofMinutes(10), "consolidation"),
          Command.of(Command.Kind.DeleteNode, "ip-1", "claim-ip-1", null, "consolidation"),
          drain("ip-3", Duration.ofMinutes(10), "consolidation")));
      assertThat(queue.await(q -> q.received().size() == 3)).as("the consolidation commands were received").isTrue();

      queue.send(List.of(drain("ip-2", Duration.ofMinutes(2), "spot interruption")));

      assertThat(drainedWithinGuard("ip-2")).as("the spot drain finished while ip-1's budget held").isTrue();
      assertThat(drainOrder).containsExactly("ip-2");
      assertThat(client.pods().inNamespace("shop").withName("web-0").get()).as("held by its budget").isNotNull();
      assertThat(client.nodes().withName("ip-1").get()).as("deleted only once drained").isNotNull();

      budget(2);
      assertThat(drainedWithinGuard("ip-1")).isTrue();
      assertThat(drainedWithinGuard("ip-3")).isTrue();
      assertThat(executor.awaitIdle()).isTrue();
      assertThat(client.nodes().withName("ip-1").get()).as("deleted after its drain").isNull();
      assertThat(messages.size()).as("every finished command deleted").isZero();
    }
  }
}
