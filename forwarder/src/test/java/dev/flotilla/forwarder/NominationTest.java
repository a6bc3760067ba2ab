package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.commands.Command;
import dev.flotilla.commands.InMemoryCommandQueue;
import dev.flotilla.events.InMemoryEventBus;
import dev.flotilla.model.Taint;
import dev.flotilla.model.WellKnownLabels;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Nominate and FailedProvisioning against fabric8's mock API server in CRUD mode: pods' status patched, Events
 * recorded, the startup taint lifted, and lifted too when nominating fails or takes too long.
 */
class NominationTest {

  /** The CRUD server, with pods' status patches refused or slowed on demand: the failures nominating must survive. */
  static final class StatusFaults extends KubernetesCrudDispatcher {
    volatile int refuseWith;
    volatile long delayMillis;

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      if ("PATCH".equals(request.getMethod())
          && request.getPath().matches("/api/v1/namespaces/[^/]+/pods/[^/]+/status.*")) {
        if (refuseWith > 0) {
          return new MockResponse().setResponseCode(refuseWith).setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\","
              + "\"status\":\"Failure\",\"reason\":\"Forbidden\",\"code\":" + refuseWith + "}");
        }
        if (delayMillis > 0) {
          // the answer comes late, the patch applied: the server goes on answering other requests meanwhile
          return super.dispatch(request).setBodyDelay(Duration.ofMillis(delayMillis));
        }
      }
      return super.dispatch(request);
    }
  }

  private final StatusFaults faults = new StatusFaults();
  private KubernetesMockServer server;
  private KubernetesClient client;
  private CommandExecutor executor;

  @BeforeEach
  void cluster() {
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), faults, false);
    server.init();
    client = server.createClient();
    executor = new CommandExecutor(client, "shop-prod",
        new InMemoryCommandQueue(Clock.systemUTC(), Duration.ofSeconds(30)), new InMemoryEventBus(),
        Clock.systemUTC(), Duration.ofMillis(50), n -> List.of());
    node("ip-1", true);
    pending("web-0");
    pending("web-1");
    pending("web-2");
    client.pods().inNamespace("shop").withName("web-2").edit(p -> {
      p.getSpec().setNodeName("ip-9");
      return p;
    });
  }

  @AfterEach
  void stop() {
    executor.close();
    MockApiServerAnswers.awaitAnswering(client);
    client.close();
    server.destroy();
  }

  private void node(String name, boolean ours) {
    NodeBuilder b = new NodeBuilder().withNewMetadata().withName(name).endMetadata().withNewSpec()
        .withTaints(new TaintBuilder().withKey("dedicated").withValue("shop").withEffect("NoSchedule").build(),
            new TaintBuilder().withKey(Taint.INITIALIZING.key()).withValue(Taint.INITIALIZING.value())
                .withEffect(Taint.INITIALIZING.effect()).build())
        .endSpec();
    if (ours) {
      b.editMetadata().addToLabels(WellKnownLabels.CLUSTER, "shop-prod").endMetadata();
    }
    client.nodes().resource(b.build()).create();
  }

  private void pending(String name) {
    TestPods.pending(client, name);
  }

  private String nominated(String pod) {
    return client.pods().inNamespace("shop").withName(pod).get().getStatus().getNominatedNodeName();
  }

  private List<String> taints(String node) {
    var taints = client.nodes().withName(node).get().getSpec().getTaints();
    return taints == null ? List.of() : taints.stream().map(t -> t.getKey() + ":" + t.getEffect()).toList();
  }

  private List<Event> events(String reason) {
    return client.v1().events().inNamespace("shop").list().getItems().stream()
        .filter(e -> reason.equals(e.getReason())).toList();
  }

  private static Command nominate(String node) {
    return Command.nominate(node, "claim-1", List.of("shop/web-0", "shop/web-1", "shop/web-2", "shop/gone-0"));
  }

  @Test
  void pendingPodsAreNominatedWithAnEventAndThenTheTaintIsLifted() {
    assertThat(executor.execute(nominate("ip-1"), () -> { })).isEqualTo(CommandExecutor.Outcome.DONE);

    assertThat(nominated("web-0")).isEqualTo("ip-1");
    assertThat(nominated("web-1")).isEqualTo("ip-1");
    List<Event> recorded = events("Nominated");
    assertThat(recorded).extracting(e -> e.getInvolvedObject().getName())
        .containsExactlyInAnyOrder("web-0", "web-1");
    assertThat(recorded).allSatisfy(e -> {
      assertThat(e.getType()).isEqualTo("Normal");
      assertThat(e.getMessage()).isEqualTo("Pod should schedule on: node/ip-1 (claim claim-1)");
      assertThat(e.getInvolvedObject().getKind()).isEqualTo("Pod");
      assertThat(e.getInvolvedObject().getUid()).isNotBlank();
      assertThat(e.getSource().getComponent()).isEqualTo("flotilla");
    });
    assertThat(taints("ip-1")).as("only the startup taint goes").containsExactly("dedicated:NoSchedule");
  }

  @Test
  void theNodeCarriesItsClaimsLabelsBeforeItsTaintIsLifted() {
    // a pod selecting its pool's template label is refused on a node without it: the label goes on first
    java.time.Instant at = java.time.Instant.parse("2026-12-01T12:00:00Z");
    dev.flotilla.claims.Claim claim = new dev.flotilla.claims.Claim("claim-1", "payments",
        dev.flotilla.claims.ClaimState.Initialized, 1, List.of("m7i.xlarge"), List.of("us-east-1a"),
        dev.flotilla.model.CapacityType.SPOT, List.of(), "i-1", "m7i.xlarge", "us-east-1a", 0.07, "ip-1",
        dev.flotilla.model.Resources.NONE, at, at, List.of(), List.of(), java.util.Map.of());
    var catalog = dev.flotilla.catalog.CatalogFile.bundled();
    NodeClaimLabels labels = new NodeClaimLabels(client, catalog::require, pool -> java.util.Map.of("team", "payments"));
    List<List<String>> taintsWhenLabelled = new java.util.ArrayList<>();
    executor.labelBeforeLift((claimId, node) -> {
      taintsWhenLabelled.add(taints(node));
      labels.applyNow(java.util.Optional.of(claim).filter(c -> c.id().equals(claimId)), node);
    });

    assertThat(executor.execute(nominate("ip-1"), () -> { })).isEqualTo(CommandExecutor.Outcome.DONE);

    assertThat(taintsWhenLabelled).singleElement().satisfies(t -> assertThat(t)
        .contains(Taint.INITIALIZING.key() + ":" + Taint.INITIALIZING.effect()));
    assertThat(client.nodes().withName("ip-1").get().getMetadata().getLabels()).containsEntry("team", "payments")
        .containsEntry("karpenter.k8s.aws/instance-family", "m7i").containsEntry("flotilla.dev/claim", "claim-1");
    assertThat(taints("ip-1")).containsExactly("dedicated:NoSchedule");
  }

  @Test
  void aLabellingThatHangsHoldsTheTaintNoLongerThanItsWait() {
    java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
    executor.labelBeforeLift((claimId, node) -> {
      try {
        never.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    // without a bound the command never ends: the guard only stops a hang from holding the build
    CommandExecutor.Outcome outcome = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
        Duration.ofMinutes(2), () -> executor.execute(nominate("ip-1"), () -> { }));

    assertThat(outcome).isEqualTo(CommandExecutor.Outcome.DONE);
    assertThat(taints("ip-1")).containsExactly("dedicated:NoSchedule");
    assertThat(nominated("web-0")).isEqualTo("ip-1");
    never.countDown();
  }

  @Test
  void aNominateNamingNoPodsLiftsTheTaintAndTouchesNoPod() {
    Command lift = Command.parse(Command.nominate("ip-1", "claim-2", List.of()).toJson());

    assertThat(executor.execute(lift, () -> { })).isEqualTo(CommandExecutor.Outcome.DONE);

    assertThat(taints("ip-1")).containsExactly("dedicated:NoSchedule");
    assertThat(nominated("web-0")).isNull();
    assertThat(events("Nominated")).isEmpty();
    // sent again (a Ready delivered twice, the garbage collector's pass): nothing left to do, and done
    assertThat(executor.execute(lift, () -> { })).isEqualTo(CommandExecutor.Outcome.DONE);
    assertThat(taints("ip-1")).containsExactly("dedicated:NoSchedule");
  }

  @Test
  void aPodAlreadyBoundIsLeftAlone() {
    executor.execute(nominate("ip-1"), () -> { });

    Pod bound = client.pods().inNamespace("shop").withName("web-2").get();
    assertThat(bound.getSpec().getNodeName()).isEqualTo("ip-9");
    assertThat(bound.getStatus().getNominatedNodeName()).isNull();
    assertThat(events("Nominated")).noneMatch(e -> e.getInvolvedObject().getName().equals("web-2"));
  }

  @Test
  void aPodKubeSchedulerNominatedElsewhereIsLeftAlone() {
    node("ip-7", false);
    Pod preempting = client.pods().inNamespace("shop").withName("web-1").get();
    preempting.getStatus().setNominatedNodeName("ip-7");
    client.pods().inNamespace("shop").resource(preempting).updateStatus();

    executor.execute(nominate("ip-1"), () -> { });

    assertThat(nominated("web-1")).isEqualTo("ip-7");
    assertThat(nominated("web-0")).isEqualTo("ip-1");
    assertThat(events("Nominated")).extracting(e -> e.getInvolvedObject().getName()).containsExactly("web-0");
  }

  @Test
  void aNominationToANodeTheClusterNoLongerHasIsOverruled() {
    Pod stranded = client.pods().inNamespace("shop").withName("web-1").get();
    stranded.getStatus().setNominatedNodeName("ip-gone");
    client.pods().inNamespace("shop").resource(stranded).updateStatus();

    executor.execute(nominate("ip-1"), () -> { });

    assertThat(nominated("web-1")).isEqualTo("ip-1");
    assertThat(events("Nominated")).extracting(e -> e.getInvolvedObject().getName())
        .containsExactlyInAnyOrder("web-0", "web-1");
  }

  @Test
  void aPodThatMayNotPreemptGetsTheEventAndNoNomination() {
    for (String name : List.of("web-0", "web-1")) {
      client.pods().inNamespace("shop").withName(name).edit(p -> {
        p.getSpec().setPreemptionPolicy("Never");
        return p;
      });
    }
    // each carries a nomination already (an older forwarder's), to this node and to another the cluster has: both
    // are taken back, as kube-scheduler never clears them
    node("ip-7", true);
    for (String[] nomination : new String[][] {{"web-1", "ip-1"}, {"web-0", "ip-7"}}) {
      Pod before = client.pods().inNamespace("shop").withName(nomination[0]).get();
      before.getStatus().setNominatedNodeName(nomination[1]);
      client.pods().inNamespace("shop").resource(before).updateStatus();
    }

    assertThat(executor.execute(nominate("ip-1"), () -> { })).isEqualTo(CommandExecutor.Outcome.DONE);

    assertThat(nominated("web-0")).isNull();
    assertThat(nominated("web-1")).isNull();
    assertThat(events("Nominated")).extracting(e -> e.getInvolvedObject().getName())
        .containsExactlyInAnyOrder("web-0", "web-1");
    assertThat(taints("ip-1")).containsExactly("dedicated:NoSchedule");
  }

  @Test
  void aNominationHandedOutAgainChangesNothingMore() {
    executor.execute(nominate("ip-1"), () -> { });
    String version = client.pods().inNamespace("shop").withName("web-0").get().getMetadata().getResourceVersion();

    assertThat(executor.execute(nominate("ip-1"), () -> { })).isEqualTo(CommandExecutor.Outcome.DONE);

    assertThat(events("Nominated")).hasSize(2);
    assertThat(client.pods().inNamespace("shop").withName("web-0").get().getMetadata().getResourceVersion())
        .isEqualTo(version);
    assertThat(taints("ip-1")).containsExactly("dedicated:NoSchedule");
  }

  @Test
  void theTaintIsLiftedWhenNominatingFails() {
    faults.refuseWith = 403;

    assertThat(executor.execute(nominate("ip-1"), () -> { })).isEqualTo(CommandExecutor.Outcome.DONE);

    assertThat(nominated("web-0")).isNull();
    assertThat(events("Nominated")).isEmpty();
    assertThat(taints("ip-1")).containsExactly("dedicated:NoSchedule");
  }

  @Test
  void theTaintIsLiftedWhenNominatingTakesTooLong() {
    // each status patch answered after 10 s: the first nomination alone outlasts the 400 ms window many times over
    faults.delayMillis = 10_000;
    executor.nominationWindow(Duration.ofMillis(400));

    long start = System.nanoTime();
    assertThat(executor.execute(nominate("ip-1"), () -> { })).isEqualTo(CommandExecutor.Outcome.DONE);
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertThat(millis).as("waited out the window, not a nomination").isLessThan(10_000);
    assertThat(taints("ip-1")).containsExactly("dedicated:NoSchedule");
    assertThat(events("Nominated")).as("no nomination was answered yet").isEmpty();
  }

  @Test
  void aNodeFlotillaDoesNotOwnIsRefusedAndKeepsItsTaint() {
    node("team-node", false);

    assertThat(executor.execute(nominate("team-node"), () -> { }))
        .isEqualTo(CommandExecutor.Outcome.REFUSED_NOT_OURS);

    assertThat(taints("team-node")).contains(Taint.INITIALIZING.key() + ":NoSchedule");
    assertThat(nominated("web-0")).isNull();
    assertThat(events("Nominated")).isEmpty();
  }

  @Test
  void podsTheProvisionerCannotPlaceGetOneFailedProvisioningEventInFiveMinutes() {
    String reason = "no instance type in NodePool default has 64 cpu";
    List<Command> commands = Command.failedProvisioning(List.of("shop/web-0", "shop/web-2", "shop/gone-0"), reason);

    assertThat(executor.execute(commands.getFirst(), () -> { })).isEqualTo(CommandExecutor.Outcome.DONE);
    // the provisioner tells again on the pods' next batch: a new command, within five minutes
    executor.execute(Command.failedProvisioning(List.of("shop/web-0"), reason).getFirst(), () -> { });

    Map<String, List<Event>> byPod = events("FailedProvisioning").stream()
        .collect(Collectors.groupingBy(e -> e.getInvolvedObject().getName()));
    assertThat(byPod).containsOnlyKeys("web-0");
    assertThat(byPod.get("web-0")).singleElement().satisfies(e -> {
      assertThat(e.getType()).isEqualTo("Warning");
      assertThat(e.getMessage()).isEqualTo("Flotilla launched no node for the pod: " + reason);
    });
    assertThat(taints("ip-1")).as("no node touched").hasSize(2);
  }
}
