package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.commands.Command;
import dev.flotilla.commands.InMemoryCommandQueue;
import dev.flotilla.events.BusEvent;
import dev.flotilla.events.InMemoryEventBus;
import dev.flotilla.model.WellKnownLabels;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.extension.ExtendWith;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Commands against fabric8's mock API server in CRUD mode: cordoning, budgets that hold a drain past its deadline,
 * ownership, idempotence and the queue. Evictions themselves are in {@link DrainTest}, whose server answers the
 * Eviction subresource this one lacks.
 */
@EnableKubernetesMockClient(crud = true)
@ExtendWith(MockApiServerAnswers.class)
class CommandExecutorTest {

  static KubernetesClient client;
  private final InMemoryEventBus bus = new InMemoryEventBus();
  private final InMemoryCommandQueue queue = new InMemoryCommandQueue(Clock.systemUTC(), Duration.ofSeconds(30));
  private ClusterWatch watch;
  private CommandExecutor executor;

  @BeforeEach
  void emptyCluster() {
    client.pods().inAnyNamespace().delete();
    client.nodes().delete();
    client.policy().v1().podDisruptionBudget().inAnyNamespace().delete();
    watch = new ClusterWatch(client, "shop-prod", new InMemoryEventBus(), Duration.ofMinutes(1),
        Duration.ofMinutes(1), Duration.ofMinutes(5)).start();
    executor = new CommandExecutor(client, "shop-prod", queue, bus, Clock.systemUTC(), Duration.ofMillis(100),
        watch::podsOn);
  }

  @org.junit.jupiter.api.AfterEach
  void stopWatching() {
    executor.close();
    watch.close();
  }

  /** Waits until the watch's cache has caught up with what the test created. */
  private void settle() {
    int created = client.pods().inAnyNamespace().list().getItems().size();
    Await.until("the watch's cache holds the pods created",
        () -> watch.podsOn("ip-1").size() + watch.podsOn("team-node").size() >= created);
  }

  private void node(String name, boolean ours) {
    NodeBuilder b = new NodeBuilder().withNewMetadata().withName(name).endMetadata().withNewSpec().endSpec();
    if (ours) {
      b.editMetadata().addToLabels(WellKnownLabels.CLUSTER, "shop-prod").endMetadata();
    }
    client.nodes().resource(b.build()).create();
  }

  private void pod(String name, String node, String ownerKind) {
    TestPods.bound(client, name, node, ownerKind);
  }

  private static Command drain(String node, Duration within) {
    return Command.of(Command.Kind.Drain, node, "claim-1", Instant.now().plus(within), "consolidation");
  }

  @Test
  void aDrainPastItsDeadlineReportsTheStuckPods() {
    node("ip-1", true);
    pod("web-0", "ip-1", "ReplicaSet");
    client.policy().v1().podDisruptionBudget().inNamespace("shop").resource(
        new PodDisruptionBudgetBuilder().withNewMetadata().withName("web").withNamespace("shop").endMetadata()
            .withNewSpec().withNewSelector().addToMatchLabels("app", "web").endSelector().endSpec()
            .withNewStatus().withDisruptionsAllowed(0).endStatus().build()).create();

    settle();
    assertThat(executor.execute(drain("ip-1", Duration.ofSeconds(1)), () -> { }))
        .isEqualTo(CommandExecutor.Outcome.DRAIN_FAILED);
    assertThat(bus.published()).singleElement().satisfies(e -> {
      assertThat(e.detailType()).isEqualTo("Drain Failed");
      assertThat(e.detail()).contains("shop/web-0");
    });
  }

  @Test
  void aNodeFlotillaDoesNotOwnIsLeftAlone() {
    node("team-node", false);
    pod("web-0", "team-node", "ReplicaSet");

    assertThat(executor.execute(drain("team-node", Duration.ofSeconds(5)), () -> { }))
        .isEqualTo(CommandExecutor.Outcome.REFUSED_NOT_OURS);
    assertThat(executor.execute(Command.of(Command.Kind.DeleteNode, "team-node", null, null, null), () -> { }))
        .isEqualTo(CommandExecutor.Outcome.REFUSED_NOT_OURS);
    assertThat(client.nodes().withName("team-node").get().getSpec().getUnschedulable()).isNotEqualTo(true);
    assertThat(client.pods().inNamespace("shop").withName("web-0").get()).isNotNull();
  }

  @Test
  void aCommandForAClaimWhoseNodeNameAnotherClaimsNodeNowHasIsRefused() {
    node("ip-1", true);
    client.nodes().withName("ip-1").edit(n -> {
      n.getMetadata().getLabels().put(WellKnownLabels.CLAIM, "claim-new");
      return n;
    });

    assertThat(executor.execute(Command.of(Command.Kind.DeleteNode, "ip-1", "claim-old", null, "Expired"), () -> { }))
        .isEqualTo(CommandExecutor.Outcome.REFUSED_NOT_OURS);
    assertThat(executor.execute(Command.of(Command.Kind.Cordon, "ip-1", "claim-old", null, "Expired"), () -> { }))
        .isEqualTo(CommandExecutor.Outcome.REFUSED_NOT_OURS);
    assertThat(client.nodes().withName("ip-1").get().getSpec().getUnschedulable()).isNotEqualTo(true);

    assertThat(executor.execute(Command.of(Command.Kind.DeleteNode, "ip-1", "claim-new", null, "Expired"), () -> { }))
        .isEqualTo(CommandExecutor.Outcome.DONE);
    assertThat(client.nodes().withName("ip-1").get()).isNull();
  }

  @Test
  void cordonAndDeleteAreIdempotent() {
    node("ip-1", true);
    Command cordon = Command.of(Command.Kind.Cordon, "ip-1", null, null, null);
    assertThat(executor.execute(cordon, () -> { })).isEqualTo(CommandExecutor.Outcome.DONE);
    assertThat(executor.execute(cordon, () -> { })).isEqualTo(CommandExecutor.Outcome.DONE);
    assertThat(client.nodes().withName("ip-1").get().getSpec().getUnschedulable()).isTrue();

    Command delete = Command.of(Command.Kind.DeleteNode, "ip-1", null, null, null);
    assertThat(executor.execute(delete, () -> { })).isEqualTo(CommandExecutor.Outcome.DONE);
    assertThat(executor.execute(delete, () -> { })).isEqualTo(CommandExecutor.Outcome.DONE);
    assertThat(client.nodes().withName("ip-1").get()).isNull();
  }

  @Test
  void aCommandThatFailsIsHandedOutAgainAndTheRestOfItsBatchStillRuns() {
    node("ip-1", true);
    node("team-node", true);
    dev.flotilla.testing.MutableClock clock = new dev.flotilla.testing.MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
    InMemoryCommandQueue messages = new InMemoryCommandQueue(clock, Duration.ofSeconds(30));
    CommandExecutor.Lanes lanes = CommandExecutor.Lanes.DEFAULT;
    CommandExecutor failing = new CommandExecutor(client, "shop-prod", messages, bus, clock, Duration.ofMillis(100),
        node -> {
          throw new IllegalStateException("the pod cache is gone");
        }, lanes);
    try {
      messages.send(java.util.List.of(drain("ip-1", Duration.ofMinutes(2)),
          Command.of(Command.Kind.Cordon, "team-node", null, null, null)));

      assertThat(failing.pollOnce(Duration.ZERO)).isEqualTo(2);
      assertThat(failing.awaitIdle()).isTrue();

      assertThat(client.nodes().withName("team-node").get().getSpec().getUnschedulable()).isTrue();
      assertThat(messages.size()).as("the cordon deleted, the failed drain kept").isEqualTo(1);
      clock.advance(lanes.hiddenFor().plusSeconds(1));
      assertThat(messages.receive(10, Duration.ZERO)).singleElement().satisfies(again -> {
        assertThat(Command.parse(again.body()).kind()).isEqualTo(Command.Kind.Drain);
        assertThat(again.receiveCount()).isEqualTo(2);
      });
    } finally {
      failing.close();
    }
  }

  @Test
  void commandsComeFromTheQueueAndAMalformedOneStaysForTheDeadLetterQueue() {
    node("ip-1", true);
    queue.send(java.util.List.of(Command.of(Command.Kind.Cordon, "ip-1", null, null, null)));
    queue.sendRaw("{\"version\":1,\"id\":\"x\",\"kind\":\"Reboot\",\"node\":\"ip-1\"}");

    assertThat(executor.pollOnce(Duration.ZERO)).isEqualTo(1);
    assertThat(executor.awaitIdle()).isTrue();

    assertThat(queue.size()).isEqualTo(1);
    assertThat(client.nodes().withName("ip-1").get().getSpec().getUnschedulable()).isTrue();
  }
}
