package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.commands.Command;
import dev.flotilla.commands.CommandQueue;
import dev.flotilla.commands.InMemoryCommandQueue;
import dev.flotilla.events.InMemoryEventBus;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.testing.MutableClock;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.extension.ExtendWith;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every message the forwarder has received and not finished stays hidden on the queue, whether its command runs or
 * waits (behind its node's drain, or for a lane), so that no command is handed out twice. The queue's time is a
 * clock the test moves; the mock API server is in CRUD mode with real watches.
 */
@EnableKubernetesMockClient(crud = true)
@ExtendWith(MockApiServerAnswers.class)
class CommandHeartbeatTest {

  static KubernetesClient client;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
  private final WatchedQueue queue = new WatchedQueue(new InMemoryCommandQueue(clock, Duration.ofSeconds(30)), clock);
  private ClusterWatch watch;
  private CommandExecutor executor;

  @BeforeEach
  void cluster() {
    client.pods().inAnyNamespace().delete();
    client.nodes().delete();
    client.policy().v1().podDisruptionBudget().inAnyNamespace().delete();
    watch = new ClusterWatch(client, "shop-prod", new InMemoryEventBus(), Duration.ofMinutes(1),
        Duration.ofMinutes(1), Duration.ofMinutes(5)).start();
    // one lane for consolidation, one kept for urgent drains; a heartbeat that keeps messages hidden for 30s more
    executor = new CommandExecutor(client, "shop-prod", queue, new InMemoryEventBus(), clock, Duration.ofMillis(50),
        watch::podsOn, new CommandExecutor.Lanes(2, 1, 50, Duration.ofMinutes(5), Duration.ofMillis(50),
            Duration.ofSeconds(30)));
    for (String node : List.of("ip-1", "ip-3")) {
      client.nodes().resource(new NodeBuilder().withNewMetadata().withName(node)
          .addToLabels(WellKnownLabels.CLUSTER, "shop-prod").endMetadata().withNewSpec().endSpec().build()).create();
      client.pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName("web-" + node)
          .withNamespace("shop").addToLabels("app", "web").endMetadata()
          .withNewSpec().withNodeName(node).addNewContainer().withName("c").withImage("x").endContainer().endSpec()
          .build()).create();
    }
    client.policy().v1().podDisruptionBudget().inNamespace("shop").resource(
        new PodDisruptionBudgetBuilder().withNewMetadata().withName("web").withNamespace("shop").endMetadata()
            .withNewSpec().withNewSelector().addToMatchLabels("app", "web").endSelector().endSpec()
            .withNewStatus().withDisruptionsAllowed(0).endStatus().build()).create();
    Await.until("the watch's cache holds both pods", () -> watch.podCount() >= 2);
  }

  @AfterEach
  void stop() {
    executor.close();
    watch.close();
  }

  @Test
  void everyMessageOfAReceivedBatchStaysHiddenWhileItWaitsOrRuns() throws Exception {
    Instant deadline = clock.instant().plus(Duration.ofMinutes(10));
    queue.send(List.of(Command.of(Command.Kind.Drain, "ip-1", "claim-1", deadline, "consolidation"),
        Command.of(Command.Kind.DeleteNode, "ip-1", "claim-1", deadline, "consolidation"),
        Command.of(Command.Kind.Drain, "ip-3", "claim-3", deadline, "consolidation")));
    try (Poller poller = new Poller(executor)) {
      assertThat(queue.await(q -> q.received().size() == 3)).isTrue();

      clock.advance(Duration.ofSeconds(20));
      Instant since = clock.instant();
      assertThat(queue.await(q -> q.allExtendedSince(since)))
          .as("the running drain, the delete behind it and the drain waiting for a lane were all extended")
          .isTrue();

      clock.advance(Duration.ofSeconds(20));
      List<CommandQueue.Received> again = queue.receive(10, Duration.ZERO);
      assertThat(again).as("nothing comes back while the forwarder holds it").isEmpty();
      assertThat(queue.received()).allSatisfy(r -> assertThat(r.receiveCount()).isEqualTo(1));
      assertThat(client.nodes().withName("ip-1").get()).as("not deleted while its drain is held").isNotNull();
    }
  }
}
