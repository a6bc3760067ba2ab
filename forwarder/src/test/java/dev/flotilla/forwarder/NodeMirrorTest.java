package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.events.InMemoryEventBus;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.extension.ExtendWith;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
@ExtendWith(MockApiServerAnswers.class)
class NodeMirrorTest {

  static KubernetesClient client;
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void eachNodeIsMirroredWithItsPodsAndBudgetsAndRemovedWhenItGoes() throws Exception {
    InMemoryClaimStore store = new InMemoryClaimStore(Clock.systemUTC());
    try (ClusterWatch watch = new ClusterWatch(client, "shop-prod", new InMemoryEventBus(), Duration.ofMinutes(1),
        Duration.ofMinutes(1), Duration.ofMinutes(5), store).start(Duration.ofMillis(300), Duration.ofMillis(50))) {
      client.nodes().resource(new NodeBuilder().withNewMetadata().withName("ip-1")
          .addToAnnotations("karpenter.sh/do-not-disrupt", "true").endMetadata()
          .withNewSpec().withProviderID("aws:///us-east-1a/i-0123456789abcdef0").endSpec()
          .withNewStatus().addToAllocatable("cpu", new Quantity("1930m")).endStatus().build()).create();
      client.pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName("web-0")
          .withNamespace("shop").addToLabels("app", "web").endMetadata().withNewSpec().withNodeName("ip-1")
          .addNewContainer().withName("web").withImage("nginx").withNewResources()
          .addToRequests("cpu", new Quantity("500m")).endResources().endContainer().endSpec().build()).create();
      client.policy().v1().podDisruptionBudget().inNamespace("shop").resource(new PodDisruptionBudgetBuilder()
          .withNewMetadata().withName("web").withNamespace("shop").endMetadata().withNewSpec().withNewSelector()
          .addToMatchLabels("app", "web").endSelector().endSpec().withNewStatus().withDisruptionsAllowed(0)
          .endStatus().build()).create();

      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      JsonNode doc = null;
      while (System.nanoTime() < deadline) {
        String json = store.nodeStates().get("ip-1");
        if (json != null) {
          doc = JSON.readTree(json);
          if (doc.path("pods").size() == 1 && doc.path("pods").get(0).path("disruptionsAllowed").asInt() == 0) {
            break;
          }
        }
        Thread.sleep(50);
      }
      assertThat(doc).isNotNull();
      assertThat(doc.path("instanceId").asText()).isEqualTo("i-0123456789abcdef0");
      assertThat(doc.path("doNotDisrupt").asBoolean()).isTrue();
      assertThat(doc.path("allocatable").path("cpu").asText()).isEqualTo("1930m");
      JsonNode pod = doc.path("pods").get(0);
      assertThat(pod.path("name").asText()).isEqualTo("shop/web-0");
      assertThat(pod.path("requests").path("cpu").asLong()).isEqualTo(500);
      assertThat(pod.path("disruptionsAllowed").asInt()).isZero();

      client.nodes().withName("ip-1").delete();
      deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (store.nodeStates().containsKey("ip-1") && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(store.nodeStates()).doesNotContainKey("ip-1");
    }
  }

  @Test
  void aRunningPodIsMirroredWithItsBoundVolumesZone() throws Exception {
    // consolidation must not move it to a node in another zone, where kube-scheduler's VolumeBinding never puts it;
    // the mirror reads pods from the informer's compact store, which must keep their volumes
    ZonalVolumes.bound(client, "db", "data-db-0", "pv-db-0", "us-east-1a");
    InMemoryClaimStore store = new InMemoryClaimStore(Clock.systemUTC());
    try (ClusterWatch watch = new ClusterWatch(client, "shop-prod", new InMemoryEventBus(), Duration.ofMinutes(1),
        Duration.ofMinutes(1), Duration.ofMinutes(5), store).start(Duration.ofMillis(300), Duration.ofMillis(50))) {
      client.nodes().resource(new NodeBuilder().withNewMetadata().withName("ip-db").endMetadata()
          .withNewSpec().withProviderID("aws:///us-east-1a/i-0123456789abcdef1").endSpec().build()).create();
      client.pods().inNamespace("db").resource(new PodBuilder().withNewMetadata().withName("db-0")
          .withNamespace("db").addToLabels("app", "db").endMetadata().withNewSpec().withNodeName("ip-db")
          .addNewVolume().withName("data").withNewPersistentVolumeClaim().withClaimName("data-db-0")
          .endPersistentVolumeClaim().endVolume()
          .addNewContainer().withName("db").withImage("db").endContainer().endSpec().build()).create();

      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      JsonNode pod = null;
      while (System.nanoTime() < deadline) {
        String json = store.nodeStates().get("ip-db");
        if (json != null && JSON.readTree(json).path("pods").size() == 1) {
          pod = JSON.readTree(json).path("pods").get(0);
          break;
        }
        Thread.sleep(50);
      }
      assertThat(pod).isNotNull();
      assertThat(pod.path("volumeZones")).hasSize(1);
      assertThat(pod.path("volumeZones").get(0).asText()).isEqualTo("us-east-1a");
    } finally {
      client.pods().inNamespace("db").delete();
      client.nodes().withName("ip-db").delete();
      ZonalVolumes.removeAll(client);
    }
  }

  @Test
  void theNodesConditionsAreMirroredWithWhenTheyLastChanged() throws Exception {
    InMemoryClaimStore store = new InMemoryClaimStore(Clock.systemUTC());
    try (ClusterWatch watch = new ClusterWatch(client, "shop-prod", new InMemoryEventBus(), Duration.ofMinutes(1),
        Duration.ofMinutes(1), Duration.ofMinutes(5), store).start(Duration.ofMillis(300), Duration.ofMillis(50))) {
      client.nodes().resource(new NodeBuilder().withNewMetadata().withName("ip-2").endMetadata()
          .withNewSpec().withProviderID("aws:///us-east-1a/i-0fedcba9876543210").endSpec()
          .withNewStatus().addNewCondition().withType("Ready").withStatus("Unknown")
          .withLastTransitionTime("2026-11-25T11:00:00Z").withLastHeartbeatTime("2026-11-25T11:20:00Z")
          .endCondition().endStatus().build()).create();

      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!store.nodeStates().containsKey("ip-2") && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      dev.flotilla.disruption.NodeState state = dev.flotilla.disruption.NodeState.parse(
          store.nodeStates().get("ip-2"));
      assertThat(state.ready()).isFalse();
      assertThat(state.condition("Ready")).hasValueSatisfying(c -> {
        assertThat(c.status()).isEqualTo("Unknown");
        assertThat(c.lastTransitionTime()).isEqualTo(java.time.Instant.parse("2026-11-25T11:00:00Z"));
      });
    }
  }

  @Test
  void noNodeIsMirroredBeforeItsPodsAreListed() throws Exception {
    // the API server answers the pods' list two seconds late, as a big cluster's paged list takes
    var slowPods = new io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher() {
      @Override
      public io.fabric8.mockwebserver.http.MockResponse dispatch(
          io.fabric8.mockwebserver.http.RecordedRequest request) {
        var answer = super.dispatch(request);
        return "GET".equals(request.getMethod()) && request.getPath().startsWith("/api/v1/pods?")
            && !request.getPath().contains("watch=true") ? answer.setBodyDelay(Duration.ofSeconds(2)) : answer;
      }
    };
    var server = new io.fabric8.kubernetes.client.server.mock.KubernetesMockServer(
        new io.fabric8.mockwebserver.Context(), new io.fabric8.mockwebserver.MockWebServer(),
        new java.util.HashMap<>(), slowPods, false);
    server.init();
    InMemoryClaimStore store = new InMemoryClaimStore(Clock.systemUTC());
    try (KubernetesClient own = server.createClient()) {
      own.nodes().resource(new NodeBuilder().withNewMetadata().withName("ip-3").endMetadata()
          .withNewSpec().withProviderID("aws:///us-east-1a/i-0123456789abcdef3").endSpec().build()).create();
      own.pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName("web-0")
          .withNamespace("shop").endMetadata().withNewSpec().withNodeName("ip-3").addNewContainer().withName("web")
          .withImage("nginx").endContainer().endSpec().build()).create();
      java.util.List<Integer> podsSeen = new java.util.ArrayList<>();
      try (ClusterWatch watch = new ClusterWatch(own, "shop-prod", new InMemoryEventBus(), Duration.ofMinutes(1),
          Duration.ofMinutes(1), Duration.ofMinutes(5), store).start(Duration.ofMillis(300), Duration.ofMillis(20))) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline && !podsSeen.contains(1)) {
          String json = store.nodeStates().get("ip-3");
          if (json != null) {
            podsSeen.add(JSON.readTree(json).path("pods").size());
          }
          Thread.sleep(10);
        }
      }
      assertThat(podsSeen).as("pods in each state read of the node").isNotEmpty().containsOnly(1);
      MockApiServerAnswers.awaitAnswering(own);
    } finally {
      server.destroy();
    }
  }

  @Test
  void aFailedWriteAndAPodWhoseSpreadCannotBeReadLeaveTheMirrorRunning() throws Exception {
    // the store refuses its first write (a throttled table after the SDK's retries): the timer's task must not die
    InMemoryClaimStore memory = new InMemoryClaimStore(Clock.systemUTC());
    java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
    dev.flotilla.claims.ClaimStore store = (dev.flotilla.claims.ClaimStore) java.lang.reflect.Proxy.newProxyInstance(
        getClass().getClassLoader(), new Class<?>[] {dev.flotilla.claims.ClaimStore.class}, (proxy, method, args) -> {
          if (method.getName().equals("putNodeState") && refused.getAndIncrement() == 0) {
            throw new IllegalStateException("ProvisionedThroughputExceededException");
          }
          try {
            return method.invoke(memory, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
    try (ClusterWatch watch = new ClusterWatch(client, "shop-prod", new InMemoryEventBus(), Duration.ofMinutes(1),
        Duration.ofMinutes(1), Duration.ofMinutes(5), store).start(Duration.ofMillis(300), Duration.ofMillis(50))) {
      for (String node : java.util.List.of("ip-4", "ip-5")) {
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName(node).endMetadata()
            .withNewSpec().withProviderID("aws:///us-east-1a/i-0" + node.charAt(3) + "23456789abcdef0").endSpec()
            .build()).create();
      }
      // a running pod spread on a key Flotilla does not plan for: its own placement is done, its room still counts
      client.pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName("web-4")
          .withNamespace("shop").addToLabels("app", "web").endMetadata().withNewSpec().withNodeName("ip-4")
          .addNewTopologySpreadConstraint().withMaxSkew(1).withTopologyKey("example.com/rack")
          .withWhenUnsatisfiable("DoNotSchedule").withNewLabelSelector().addToMatchLabels("app", "web")
          .endLabelSelector().endTopologySpreadConstraint()
          .addNewContainer().withName("web").withImage("nginx").withNewResources()
          .addToRequests("cpu", new Quantity("700m")).endResources().endContainer().endSpec().build()).create();

      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (System.nanoTime() < deadline && !(memory.nodeStates().containsKey("ip-5")
          && memory.nodeStates().containsKey("ip-4")
          && JSON.readTree(memory.nodeStates().get("ip-4")).path("pods").size() == 1)) {
        Thread.sleep(50);
      }
      assertThat(refused.get()).isGreaterThan(1);
      assertThat(memory.nodeStates()).containsKeys("ip-4", "ip-5");
      JsonNode pod = JSON.readTree(memory.nodeStates().get("ip-4")).path("pods").get(0);
      assertThat(pod.path("requests").path("cpu").asLong()).isEqualTo(700);
      assertThat(pod.path("spreads")).isEmpty();
    }
  }

  @Test
  void aRunningPodWhosePodAffinityCannotBeReadKeepsItsNodeAffinity() {
    // consolidation reads a running pod's node affinity to know where it may move; only the unreadable rule goes
    var pod = new PodBuilder().withNewMetadata().withName("db-0").withNamespace("data").addToLabels("app", "db")
        .endMetadata().withNewSpec().withNodeName("ip-1")
        .withNewAffinity().withNewNodeAffinity().withNewRequiredDuringSchedulingIgnoredDuringExecution()
        .addNewNodeSelectorTerm().addNewMatchExpression().withKey("kubernetes.io/arch").withOperator("In")
        .withValues("arm64").endMatchExpression().endNodeSelectorTerm()
        .endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity()
        .withNewPodAntiAffinity().addNewRequiredDuringSchedulingIgnoredDuringExecution()
        .withTopologyKey("example.com/rack").withNewLabelSelector().addToMatchLabels("app", "db").endLabelSelector()
        .endRequiredDuringSchedulingIgnoredDuringExecution().endPodAntiAffinity().endAffinity()
        .addNewTopologySpreadConstraint().withMaxSkew(1).withTopologyKey("kubernetes.io/hostname")
        .withWhenUnsatisfiable("DoNotSchedule").withNewLabelSelector().addToMatchLabels("app", "db")
        .endLabelSelector().endTopologySpreadConstraint()
        .addNewContainer().withName("db").withImage("db").endContainer().endSpec().build();

    var facts = PodFacts.placed(pod, java.util.Set.of());

    assertThat(facts.requiredTerms()).singleElement().satisfies(term -> assertThat(term).singleElement()
        .satisfies(r -> assertThat(r.values()).containsExactly("arm64")));
    assertThat(facts.antiAffinity()).isEmpty();
    assertThat(facts.labels()).containsEntry("app", "db");
  }
}
