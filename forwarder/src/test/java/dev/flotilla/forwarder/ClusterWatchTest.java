package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.contracts.Envelope;
import dev.flotilla.contracts.PodsPending;
import dev.flotilla.events.BusEvent;
import dev.flotilla.events.InMemoryEventBus;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.extension.ExtendWith;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The forwarder's watching and batching against fabric8's mock API server in CRUD mode, with real informers. */
@EnableKubernetesMockClient(crud = true)
@ExtendWith(MockApiServerAnswers.class)
class ClusterWatchTest {

  static KubernetesClient client;
  private static final ObjectMapper JSON = new ObjectMapper();
  private final InMemoryEventBus bus = new InMemoryEventBus();

  @org.junit.jupiter.api.BeforeEach
  void emptyCluster() {
    // one API server serves the whole class: each test starts from an empty one
    client.pods().inAnyNamespace().delete();
    client.nodes().delete();
  }

  private void createPod(String name, boolean unschedulable, String ownerKind) {
    PodBuilder b = new PodBuilder().withNewMetadata().withName(name).withNamespace("shop")
        .addToLabels("app", "web").endMetadata()
        .withNewSpec().addNewContainer().withName("web").withImage("nginx").withNewResources()
        .addToRequests("cpu", new Quantity("500m")).addToRequests("memory", new Quantity("1Gi"))
        .endResources().endContainer().endSpec();
    if (ownerKind != null) {
      b.editMetadata().addNewOwnerReference().withKind(ownerKind).withName("owner").withApiVersion("apps/v1")
          .withUid("u").withController(true).endOwnerReference().endMetadata();
    }
    Pod pod = client.pods().inNamespace("shop").resource(b.build()).create();
    if (unschedulable) {
      pod.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase("Pending")
          .withConditions(new PodConditionBuilder().withType("PodScheduled").withStatus("False")
              .withReason("Unschedulable").build()).build());
      client.pods().inNamespace("shop").resource(pod).updateStatus();
    }
  }

  private List<PendingPod> pendingSent() {
    List<PendingPod> pods = new ArrayList<>();
    for (BusEvent e : bus.published()) {
      if (e.detailType().equals(Envelope.PODS_PENDING)) {
        pods.addAll(PodsPending.from(envelope(e)).pods());
      }
    }
    return pods;
  }

  private static Envelope envelope(BusEvent e) {
    return Envelope.parse("{\"id\":\"1\",\"source\":\"" + e.source() + "\",\"detail-type\":\"" + e.detailType()
        + "\",\"time\":\"" + Instant.now() + "\",\"detail\":" + e.detail() + "}");
  }

  @Test
  void unschedulablePodsBecomeOnePodsPendingEventAfterTheIdleWindow() throws Exception {
    // made before the watch starts, so that its first list brings them together whatever the machine's speed
    createPod("web-0", true, "ReplicaSet");
    createPod("web-1", true, "ReplicaSet");
    createPod("bound-0", false, "ReplicaSet");
    createPod("agent-0", true, "DaemonSet");
    try (ClusterWatch watch = new ClusterWatch(client, "shop-prod", bus, Duration.ofSeconds(2),
        Duration.ofSeconds(10), Duration.ofMinutes(5)).start()) {
      Await.until("the two pending pods sent", () -> pendingSent().size() == 2);
      Thread.sleep(500);
      assertThat(bus.published()).hasSize(1);
      assertThat(pendingSent()).extracting(PendingPod::name).containsExactlyInAnyOrder("shop/web-0", "shop/web-1");
      assertThat(pendingSent().getFirst().requests()).isEqualTo(Resources.of(500, 1L << 30).with(Resources.PODS, 1));
      assertThat(pendingSent().getFirst().ownerKind()).isEqualTo("ReplicaSet");
    }
  }

  @Test
  void aPendingPodWhoseSpecCannotBeReadIsToldWhyOnceAndNotForwarded() throws Exception {
    Pod rack = client.pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName("rack-0")
        .withNamespace("shop").addToLabels("app", "rack").endMetadata().withNewSpec()
        .addNewTopologySpreadConstraint().withMaxSkew(1).withTopologyKey("example.com/rack")
        .withWhenUnsatisfiable("DoNotSchedule").withNewLabelSelector().addToMatchLabels("app", "rack")
        .endLabelSelector().endTopologySpreadConstraint()
        .addNewContainer().withName("c").withImage("c").endContainer().endSpec().build()).create();
    rack.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase("Pending")
        .withConditions(new PodConditionBuilder().withType("PodScheduled").withStatus("False")
            .withReason("Unschedulable").build()).build());
    client.pods().inNamespace("shop").resource(rack).updateStatus();
    createPod("web-0", true, "ReplicaSet");
    try (ClusterWatch watch = new ClusterWatch(client, "shop-prod", bus, Duration.ofMillis(300),
        Duration.ofSeconds(5), Duration.ofMillis(500)).start()) {
      Await.until("the readable pod sent", () -> pendingSent().size() == 1);
      java.util.function.Supplier<List<io.fabric8.kubernetes.api.model.Event>> told = () -> client.v1().events()
          .inNamespace("shop").list().getItems().stream()
          .filter(e -> e.getInvolvedObject().getName().equals("rack-0")).toList();
      Await.until("the unreadable pod told why", () -> !told.get().isEmpty());
      Thread.sleep(1500); // two resyncs bring the pod again
      var events = told.get();
      assertThat(events).singleElement().satisfies(e -> {
        assertThat(e.getInvolvedObject().getName()).isEqualTo("rack-0");
        assertThat(e.getReason()).isEqualTo("FailedProvisioning");
        assertThat(e.getMessage()).contains("spec.topologySpreadConstraints[0].topologyKey")
            .contains("example.com/rack");
      });
      // the resyncs send the readable pod again, as they do whatever is still pending; never the other
      assertThat(pendingSent()).extracting(PendingPod::name).containsOnly("shop/web-0");
    }
  }

  @Test
  void aPendingPodsBoundVolumeHoldsItToTheVolumesZone() throws Exception {
    ZonalVolumes.bound(client, "shop", "data-db-0", "pv-data-0", "us-east-1b");
    createPod("db-0", true, "StatefulSet");
    Pod db = client.pods().inNamespace("shop").withName("db-0").get();
    db.getSpec().getVolumes().add(new io.fabric8.kubernetes.api.model.VolumeBuilder().withName("data")
        .withNewPersistentVolumeClaim().withClaimName("data-db-0").endPersistentVolumeClaim().build());
    client.pods().inNamespace("shop").resource(db).update();
    createPod("web-0", true, "ReplicaSet");
    try (ClusterWatch watch = new ClusterWatch(client, "shop-prod", bus, Duration.ofMillis(300),
        Duration.ofSeconds(10), Duration.ofMinutes(5)).start()) {
      Await.until("the two pods sent", () -> pendingSent().size() == 2);

      // a node in another zone would never take it: kube-scheduler's VolumeBinding reads the volume's node affinity
      assertThat(pendingSent()).filteredOn(p -> p.name().equals("shop/db-0")).singleElement()
          .satisfies(p -> assertThat(p.volumeZones()).containsExactly("us-east-1b"));
      assertThat(pendingSent()).filteredOn(p -> p.name().equals("shop/web-0")).singleElement()
          .satisfies(p -> assertThat(p.volumeZones()).isEmpty());
    } finally {
      ZonalVolumes.removeAll(client);
    }
  }

  @Test
  void aSteadyTrickleIsCutAtTheMaximumWindow() throws Exception {
    try (ClusterWatch watch = new ClusterWatch(client, "shop-prod", bus, Duration.ofMillis(400),
        Duration.ofMillis(900), Duration.ofMinutes(5)).start()) {
      watch.listed().get(10, TimeUnit.SECONDS);
      for (int i = 0; i < 12; i++) {
        createPod("trickle-" + i, true, "ReplicaSet");
        Thread.sleep(150);
      }
      Await.until("the twelve pods sent", () -> pendingSent().size() == 12);
      assertThat(bus.published().size()).isGreaterThanOrEqualTo(2);
    }
  }

  @Test
  void afterARestartWhatIsStillPendingIsSentAgain() throws Exception {
    try (ClusterWatch first = new ClusterWatch(client, "shop-prod", bus, Duration.ofMillis(200),
        Duration.ofSeconds(5), Duration.ofMinutes(5)).start()) {
      createPod("web-0", true, "ReplicaSet");
      Await.until("the pod sent by the first watch", () -> pendingSent().size() == 1);
    }
    try (ClusterWatch second = new ClusterWatch(client, "shop-prod", bus, Duration.ofMillis(200),
        Duration.ofSeconds(5), Duration.ofMinutes(5)).start()) {
      Await.until("the pod sent again by the second", () -> pendingSent().size() == 2);
      assertThat(pendingSent()).extracting(PendingPod::name).containsOnly("shop/web-0");
    }
  }

  @Test
  void aResyncSendsWhatIsStillPendingAgainReadWholeFromTheStore() throws Exception {
    try (ClusterWatch watch = new ClusterWatch(client, "shop-prod", bus, Duration.ofMillis(100),
        Duration.ofSeconds(5), Duration.ofSeconds(1)).start()) {
      createPod("web-0", true, "ReplicaSet");
      createPod("bound-0", false, "ReplicaSet");
      // the resync hands the handlers each pod's identity only: a pod sent again was read whole from the store
      Await.until("the pod sent by two resyncs", () -> pendingSent().size() >= 3);
      assertThat(pendingSent()).extracting(PendingPod::name).containsOnly("shop/web-0");
      assertThat(pendingSent()).extracting(PendingPod::requests)
          .containsOnly(Resources.of(500, 1L << 30).with(Resources.PODS, 1));
    }
  }

  @Test
  void shuttingDownSendsTheOpenBatch() throws Exception {
    ClusterWatch watch = new ClusterWatch(client, "shop-prod", bus, Duration.ofMinutes(1), Duration.ofMinutes(5),
        Duration.ofMinutes(5)).start();
    watch.listed().get(10, TimeUnit.SECONDS);
    createPod("late-0", true, "ReplicaSet");
    Await.until("the pod in the open batch", () -> watch.batched() == 1);
    assertThat(bus.published()).isEmpty();

    watch.close();

    assertThat(pendingSent()).extracting(PendingPod::name).containsExactly("shop/late-0");
  }

  private void nominate(String pod, String node) {
    Pod p = client.pods().inNamespace("shop").withName(pod).get();
    p.getStatus().setNominatedNodeName(node);
    client.pods().inNamespace("shop").resource(p).updateStatus();
  }

  private void plainNode(String name) {
    client.nodes().resource(new NodeBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
  }

  @Test
  void aPodNominatedToANodeWaitsForItAndIsSentWhenTheNodeGoes() throws Exception {
    plainNode("ip-1");
    createPod("web-0", true, "ReplicaSet");
    nominate("web-0", "ip-1");
    createPod("web-1", true, "ReplicaSet");
    try (ClusterWatch watch = new ClusterWatch(client, "shop-prod", bus, Duration.ofMillis(200),
        Duration.ofSeconds(5), Duration.ofMinutes(5)).start()) {
      Await.until("the pod nominated nowhere sent", () -> pendingSent().size() == 1);
      watch.listed().get(10, TimeUnit.SECONDS);
      Thread.sleep(500);
      assertThat(pendingSent()).extracting(PendingPod::name).containsExactly("shop/web-1");

      client.nodes().withName("ip-1").delete();

      Await.until("the pod whose nominated node went sent", () -> pendingSent().size() == 2);
      assertThat(pendingSent()).extracting(PendingPod::name).containsExactly("shop/web-1", "shop/web-0");
    }
  }

  @Test
  void aPodThatMayNotPreemptIsSentWhateverItIsNominatedTo() throws Exception {
    plainNode("ip-1");
    createPod("batch-0", true, "Job");
    client.pods().inNamespace("shop").withName("batch-0").edit(p -> {
      p.getSpec().setPreemptionPolicy("Never");
      return p;
    });
    nominate("batch-0", "ip-1");
    try (ClusterWatch watch = new ClusterWatch(client, "shop-prod", bus, Duration.ofMillis(200),
        Duration.ofSeconds(5), Duration.ofMinutes(5)).start()) {
      Await.until("the pod sent", () -> pendingSent().size() == 1);
      assertThat(pendingSent()).extracting(PendingPod::name).containsExactly("shop/batch-0");
    }
  }

  @Test
  void aPodNominatedToANodeTheClusterNeverHadIsSentOnceNodesAreListed() throws Exception {
    plainNode("ip-1");
    createPod("web-0", true, "ReplicaSet");
    nominate("web-0", "ip-gone");
    createPod("web-1", true, "ReplicaSet");
    nominate("web-1", "ip-1");
    try (ClusterWatch watch = new ClusterWatch(client, "shop-prod", bus, Duration.ofMillis(200),
        Duration.ofSeconds(5), Duration.ofMinutes(5)).start()) {
      Await.until("the pod nominated to a missing node sent", () -> pendingSent().size() == 1);
      Thread.sleep(500);
      assertThat(pendingSent()).extracting(PendingPod::name).containsExactly("shop/web-0");
    }
  }

  @Test
  void nodesNamingAnInstanceAreRegisteredReadyAndDeleted() throws Exception {
    try (ClusterWatch watch = new ClusterWatch(client, "shop-prod", bus, Duration.ofMillis(200),
        Duration.ofSeconds(5), Duration.ofMinutes(5)).start()) {
      var node = client.nodes().resource(new NodeBuilder().withNewMetadata().withName("ip-10-0-1-23").endMetadata()
          .withNewSpec().withProviderID("aws:///us-east-1a/i-0a1b2c3d4e5f60718").endSpec()
          .withNewStatus().addToConditions(new NodeConditionBuilder().withType("Ready").withStatus("False").build())
          .endStatus().build()).create();
      client.nodes().resource(new NodeBuilder().withNewMetadata().withName("on-prem-1").endMetadata()
          .withNewSpec().withProviderID("kind://docker/kind/on-prem-1").endSpec().build()).create();
      Await.until("the node registered", () -> bus.published().size() == 1);

      node.getStatus().getConditions().getFirst().setStatus("True");
      client.nodes().resource(node).updateStatus();
      Await.until("the node ready", () -> bus.published().size() == 2);
      client.nodes().withName("ip-10-0-1-23").delete();
      Await.until("the node deleted", () -> bus.published().size() == 3);

      assertThat(bus.published()).extracting(BusEvent::detailType)
          .containsExactly(Envelope.NODE_REGISTERED, Envelope.NODE_READY, Envelope.NODE_DELETED);
      assertThat(JSON.readTree(bus.published().getFirst().detail()).path("instanceId").asText())
          .isEqualTo("i-0a1b2c3d4e5f60718");
    }
  }

  @Test
  void aLargeBatchGoesOutAsOneEventOfPodKinds() {
    List<PendingPod> pods = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      pods.add(PendingPod.builder("shop/big-" + i).labels(Map.of("app", "big", "team", "checkout-and-payments"))
          .requests(Resources.of(250, 1L << 30)).ownerKind("ReplicaSet").build());
      pods.add(PendingPod.builder("shop/small-" + i).labels(Map.of("app", "small"))
          .requests(Resources.of(100, 1L << 28)).ownerKind("ReplicaSet").build());
    }
    List<BusEvent> events = PendingBatch.events("shop-prod", pods);
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.sizeBytes()).isLessThanOrEqualTo(BusEvent.MAX_BYTES);
      assertThat(PodsPending.from(envelope(e)).pods()).containsExactlyInAnyOrderElementsOf(pods);
    });
  }
}
