package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.commands.Command;
import dev.flotilla.commands.InMemoryCommandQueue;
import dev.flotilla.events.InMemoryEventBus;
import dev.flotilla.model.WellKnownLabels;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Drains end to end against fabric8's mock API server in CRUD mode, given the Eviction subresource the mock lacks
 * ({@link EvictingDispatcher}): real evictions, real watches, real budgets.
 */
class DrainTest {

  private final EvictingDispatcher dispatcher = new EvictingDispatcher();
  private KubernetesMockServer server;
  private KubernetesClient client;
  private final InMemoryEventBus bus = new InMemoryEventBus();
  private ClusterWatch watch;
  private CommandExecutor executor;

  @BeforeEach
  void cluster() {
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init();
    client = server.createClient();
    watch = new ClusterWatch(client, "shop-prod", new InMemoryEventBus(), Duration.ofMinutes(1),
        Duration.ofMinutes(1), Duration.ofMinutes(5)).start();
    executor = new CommandExecutor(client, "shop-prod",
        new InMemoryCommandQueue(Clock.systemUTC(), Duration.ofSeconds(30)), bus, Clock.systemUTC(),
        Duration.ofMillis(100), watch::podsOn);
    client.nodes().resource(new NodeBuilder().withNewMetadata().withName("ip-1")
        .addToLabels(WellKnownLabels.CLUSTER, "shop-prod").endMetadata().withNewSpec().endSpec().build()).create();
    pod("web-0", "ReplicaSet");
    pod("web-1", "ReplicaSet");
    pod("agent-0", "DaemonSet");
    Await.until("the watch's cache holds the node's three pods", () -> watch.podsOn("ip-1").size() == 3);
  }

  @AfterEach
  void stop() {
    executor.close();
    watch.close();
    MockApiServerAnswers.awaitAnswering(client);
    client.close();
    server.destroy();
  }

  private void pod(String name, String ownerKind) {
    TestPods.bound(client, name, "ip-1", ownerKind);
  }

  private void budget(int disruptionsAllowed) {
    client.policy().v1().podDisruptionBudget().inNamespace("shop").resource(
        new PodDisruptionBudgetBuilder().withNewMetadata().withName("web").withNamespace("shop").endMetadata()
            .withNewSpec().withNewSelector().addToMatchLabels("app", "web").endSelector().endSpec()
            .withNewStatus().withDisruptionsAllowed(disruptionsAllowed).endStatus().build()).createOr(
                existing -> existing.update());
  }

  /** web-0 Ready, web-1 running but not Ready (crash-looping), as the watch's cache the drain reads shows them. */
  private void web1CrashLooping() {
    for (String name : List.of("web-0", "web-1")) {
      Pod pod = client.pods().inNamespace("shop").withName(name).get();
      pod.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase("Running")
          .addNewCondition().withType("Ready").withStatus(name.equals("web-0") ? "True" : "False").endCondition()
          .build());
      client.pods().inNamespace("shop").resource(pod).updateStatus();
    }
    Await.until("the watch's cache sees both pods running", () -> watch.podsOn("ip-1").stream()
        .filter(p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase())).count() == 2);
  }

  @Test
  void aCrashLoopingPodGoesPastABudgetThatAlwaysAllowsUnhealthyPodsToGoAndAReadyOneStays() {
    web1CrashLooping();
    client.policy().v1().podDisruptionBudget().inNamespace("shop").resource(
        new PodDisruptionBudgetBuilder().withNewMetadata().withName("web").withNamespace("shop").endMetadata()
            .withNewSpec().withNewSelector().addToMatchLabels("app", "web").endSelector()
            .withUnhealthyPodEvictionPolicy("AlwaysAllow").endSpec()
            .withNewStatus().withDisruptionsAllowed(0).withCurrentHealthy(1).withDesiredHealthy(2).endStatus()
            .build()).create();

    assertThat(executor.execute(drain(Duration.ofSeconds(2)), () -> { }))
        .isEqualTo(CommandExecutor.Outcome.DRAIN_FAILED);

    assertThat(client.pods().inNamespace("shop").list().getItems()).extracting(p -> p.getMetadata().getName())
        .containsExactlyInAnyOrder("web-0", "agent-0");
    assertThat(dispatcher.served).as("a Ready pod its budget holds is not asked for")
        .doesNotContain("POST /api/v1/namespaces/shop/pods/web-0/eviction");
  }

  @Test
  void aPodTwoBudgetsGuardIsNeverAskedForAndABudgetWithoutASelectorGuardsNothing() {
    web1CrashLooping();
    for (String name : List.of("web", "web-too")) {
      client.policy().v1().podDisruptionBudget().inNamespace("shop").resource(
          new PodDisruptionBudgetBuilder().withNewMetadata().withName(name).withNamespace("shop").endMetadata()
              .withNewSpec().withNewSelector().addToMatchLabels("app", "web").endSelector().endSpec()
              .withNewStatus().withDisruptionsAllowed(5).endStatus().build()).create();
    }
    // what the API server's eviction reads as guarding no pod: a budget with no selector
    client.policy().v1().podDisruptionBudget().inNamespace("shop").resource(
        new PodDisruptionBudgetBuilder().withNewMetadata().withName("everything").withNamespace("shop").endMetadata()
            .withNewSpec().endSpec().withNewStatus().withDisruptionsAllowed(0).endStatus().build()).create();
    pod("agent-1", "StatefulSet"); // labelled app=agent: no budget with a selector guards it
    Await.until("the watch's cache holds agent-1", () -> watch.podsOn("ip-1").size() == 4);

    assertThat(executor.execute(drain(Duration.ofSeconds(2)), () -> { }))
        .isEqualTo(CommandExecutor.Outcome.DRAIN_FAILED);

    assertThat(client.pods().inNamespace("shop").list().getItems()).extracting(p -> p.getMetadata().getName())
        .containsExactlyInAnyOrder("web-0", "web-1", "agent-0");
    assertThat(dispatcher.served).noneMatch(r -> r.matches("POST .*/pods/web-\\d/eviction"));
  }

  /**
   * Marks web-1 do-not-disrupt and waits until the watch's cache, which the drain reads, has seen it: a drain begun
   * in between would evict the pod, as the API server still allows.
   */
  private void holdWeb1(String annotation, String value) {
    client.pods().inNamespace("shop").withName("web-1").edit(p -> {
      p.getMetadata().setAnnotations(new HashMap<>(java.util.Map.of(annotation, value)));
      return p;
    });
    Await.until("the watch's cache sees web-1 held", () -> watch.podsOn("ip-1").stream().anyMatch(p ->
        p.getMetadata().getAnnotations() != null && p.getMetadata().getAnnotations().containsKey(annotation)));
  }

  private static Command drain(Duration within) {
    return Command.of(Command.Kind.Drain, "ip-1", "claim-1", Instant.now().plus(within), "consolidation");
  }

  @Test
  void aDrainEvictsEveryPodButTheDaemonSetsAndReportsTheNodeDrained() {
    assertThat(executor.execute(drain(Duration.ofSeconds(10)), () -> { })).isEqualTo(CommandExecutor.Outcome.DONE);

    assertThat(client.pods().inNamespace("shop").list().getItems()).extracting(p -> p.getMetadata().getName())
        .containsExactly("agent-0");
    assertThat(client.nodes().withName("ip-1").get().getSpec().getUnschedulable()).isTrue();
    assertThat(bus.published()).singleElement().satisfies(e -> {
      assertThat(e.detailType()).isEqualTo("Node Drained");
      assertThat(e.detail()).contains("\"claimId\":\"claim-1\"").contains("\"node\":\"ip-1\"");
    });
  }

  /** What a drain reads when its cache still holds web-0 as it was before the pod was made again. */
  private CommandExecutor seeingWeb0Before() {
    Pod before = client.pods().inNamespace("shop").withName("web-0").get();
    before.getMetadata().setUid("the-pod-before");
    before.getMetadata().setResourceVersion("1");
    return new CommandExecutor(client, "shop-prod",
        new InMemoryCommandQueue(Clock.systemUTC(), Duration.ofSeconds(30)), bus, Clock.systemUTC(),
        Duration.ofMillis(100), node -> List.of(before));
  }

  @Test
  void aPodMadeAgainUnderItsNameSinceTheCacheSawItIsNotEvicted() {
    try (CommandExecutor stale = seeingWeb0Before()) {
      assertThat(stale.execute(drain(Duration.ofSeconds(1)), () -> { }))
          .isEqualTo(CommandExecutor.Outcome.DRAIN_FAILED);
    }

    assertThat(dispatcher.served).as("asked").contains("POST /api/v1/namespaces/shop/pods/web-0/eviction");
    assertThat(client.pods().inNamespace("shop").withName("web-0").get()).as("the pod of that name now").isNotNull();
  }

  @Test
  void whenTheGraceRunsOutAPodMadeAgainUnderItsNameIsNotDeleted() {
    try (CommandExecutor stale = seeingWeb0Before()) {
      assertThat(stale.execute(Command.forcedDrain("ip-1", "claim-1", Instant.now().plusSeconds(1), "Expired"),
          () -> { })).isEqualTo(CommandExecutor.Outcome.DONE);
    }

    assertThat(dispatcher.served).as("asked").anyMatch(r -> r.startsWith("DELETE /api/v1/namespaces/shop/pods/web-0"));
    assertThat(client.pods().inNamespace("shop").withName("web-0").get()).as("the pod of that name now").isNotNull();
  }

  @Test
  void aCordonThatMeetsANewerVersionOfTheNodeReadsItAgain() {
    dispatcher.nodePatchesToRefuse.set(2);

    assertThat(executor.execute(drain(Duration.ofSeconds(10)), () -> { })).isEqualTo(CommandExecutor.Outcome.DONE);

    assertThat(client.nodes().withName("ip-1").get().getSpec().getUnschedulable()).isTrue();
    assertThat(dispatcher.served.stream().filter(r -> r.startsWith("PATCH /api/v1/nodes/ip-1"))).hasSize(3);
  }

  @Test
  void aPodAlreadyTerminatingIsWaitedForNotEvictedAgain() {
    client.pods().inNamespace("shop").withName("web-0").edit(p -> {
      p.getMetadata().setFinalizers(List.of("example.com/hold"));
      return p;
    });
    client.pods().inNamespace("shop").withName("web-0").delete();
    Await.until("the watch's cache sees web-0 terminating", () -> watch.podsOn("ip-1").stream().anyMatch(p ->
        p.getMetadata().getName().equals("web-0") && p.getMetadata().getDeletionTimestamp() != null));

    assertThat(executor.execute(drain(Duration.ofSeconds(2)), () -> { }))
        .isEqualTo(CommandExecutor.Outcome.DRAIN_FAILED);

    assertThat(dispatcher.served).contains("POST /api/v1/namespaces/shop/pods/web-1/eviction")
        .doesNotContain("POST /api/v1/namespaces/shop/pods/web-0/eviction");
    assertThat(bus.published()).singleElement().satisfies(e -> assertThat(e.detail()).contains("shop/web-0"));
  }

  @Test
  void aBudgetThatAllowsNoDisruptionHoldsTheDrainUntilItChanges() throws Exception {
    budget(0);
    CompletableFuture<CommandExecutor.Outcome> draining = CompletableFuture.supplyAsync(
        () -> executor.execute(drain(Duration.ofSeconds(60)), () -> { }));

    Await.until("the node cordoned", () -> Boolean.TRUE.equals(
        client.nodes().withName("ip-1").get().getSpec().getUnschedulable()));
    Thread.sleep(1000); // time for the drain's evictions to be refused a few times
    assertThat(draining).isNotDone();
    assertThat(client.pods().inNamespace("shop").withName("web-0").get()).as("held by its budget").isNotNull();

    budget(2);
    assertThat(draining.get(50, TimeUnit.SECONDS)).isEqualTo(CommandExecutor.Outcome.DONE);
    assertThat(client.pods().inNamespace("shop").list().getItems()).extracting(p -> p.getMetadata().getName())
        .containsExactly("agent-0");
  }

  @Test
  void whenTheTerminationGraceRunsOutHeldPodsAreDeletedAndTheNodeGoes() {
    budget(0);
    holdWeb1(WellKnownLabels.KARPENTER_DO_NOT_DISRUPT, "true");
    Command forced = Command.forcedDrain("ip-1", "claim-1", Instant.now().plusSeconds(2), "Expired");

    assertThat(executor.execute(forced, () -> { })).isEqualTo(CommandExecutor.Outcome.DONE);

    assertThat(client.pods().inNamespace("shop").list().getItems()).extracting(p -> p.getMetadata().getName())
        .containsExactly("agent-0");
    assertThat(bus.published()).singleElement().satisfies(e -> assertThat(e.detailType()).isEqualTo("Node Drained"));
  }

  @Test
  void withoutGraceAHeldDrainFailsAtItsDeadlineAndItsPodsStay() {
    budget(0);

    assertThat(executor.execute(drain(Duration.ofSeconds(2)), () -> { }))
        .isEqualTo(CommandExecutor.Outcome.DRAIN_FAILED);

    assertThat(client.pods().inNamespace("shop").list().getItems()).hasSize(3);
    assertThat(bus.published()).singleElement().satisfies(e -> assertThat(e.detailType()).isEqualTo("Drain Failed"));
  }

  @Test
  void withoutGraceADoNotDisruptPodHoldsTheDrainAndIsNeitherEvictedNorDeleted() throws Exception {
    holdWeb1(WellKnownLabels.KARPENTER_DO_NOT_DISRUPT, "true");

    assertThat(executor.execute(drain(Duration.ofSeconds(3)), () -> { }))
        .isEqualTo(CommandExecutor.Outcome.DRAIN_FAILED);

    assertThat(client.pods().inNamespace("shop").list().getItems()).extracting(p -> p.getMetadata().getName())
        .as("the others are evicted; the held one stays").containsExactlyInAnyOrder("agent-0", "web-1");
    assertThat(bus.published()).singleElement().satisfies(e -> {
      assertThat(e.detailType()).isEqualTo("Drain Failed");
      assertThat(e.detail()).contains("shop/web-1");
    });

    // asked again (as the functions do at each deadline): still held, still there
    assertThat(executor.execute(drain(Duration.ofSeconds(2)), () -> { }))
        .isEqualTo(CommandExecutor.Outcome.DRAIN_FAILED);
    assertThat(client.pods().inNamespace("shop").withName("web-1").get()).isNotNull();
  }

  @Test
  void aForcedDrainEvictsWhatItMayAndKeepsADoNotDisruptPodUntilTheGraceRunsOut() throws Exception {
    holdWeb1(WellKnownLabels.DO_NOT_DISRUPT, "1h");
    CompletableFuture<CommandExecutor.Outcome> draining = CompletableFuture.supplyAsync(() -> executor.execute(
        Command.forcedDrain("ip-1", "claim-1", Instant.now().plusSeconds(15), "Drifted"), () -> { }));

    Await.until("web-0 evicted", () -> client.pods().inNamespace("shop").withName("web-0").get() == null);
    assertThat(draining).as("the grace has not run out").isNotDone();
    assertThat(client.pods().inNamespace("shop").withName("web-1").get()).as("held until the grace ends")
        .isNotNull();
    assertThat(draining.get(20, TimeUnit.SECONDS)).isEqualTo(CommandExecutor.Outcome.DONE);
    assertThat(client.pods().inNamespace("shop").withName("web-1").get()).isNull();
  }
}
