package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.manifest.Manifest;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.Resources;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import dev.flotilla.manifest.NodePoolReader;
import dev.flotilla.nodepool.InMemoryNodePoolStore;
import dev.flotilla.nodepool.NodePool;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.extension.ExtendWith;
import java.io.FileInputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The forwarder keeps the table's NodePools those of the cluster, against fabric8's mock API server with real
 * watches: apply, change and delete a NodePool and the store follows; an invalid one is not stored and says why.
 */
@EnableKubernetesMockClient(crud = true)
@ExtendWith(MockApiServerAnswers.class)
class NodePoolSyncTest {

  static KubernetesClient client;

  private final InMemoryNodePoolStore store = new InMemoryNodePoolStore();

  @BeforeEach
  void crd() throws Exception {
    try (FileInputStream crd = new FileInputStream(NodePoolCrdTest.CRD.toFile())) {
      client.apiextensions().v1().customResourceDefinitions().load(crd).createOr(c -> c.update());
    }
    client.genericKubernetesResources(NodePoolSync.NODEPOOLS).delete();
  }

  static GenericKubernetesResource pool(String name, Map<String, Object> spec) {
    return new GenericKubernetesResourceBuilder().withApiVersion("flotilla.dev/v1").withKind("NodePool")
        .withNewMetadata().withName(name).endMetadata().addToAdditionalProperties("spec", spec).build();
  }

  static Map<String, Object> spec(String cpuLimit) {
    return Map.of("template", Map.of("spec", Map.of("requirements", List.of(Map.of(
            "key", "flotilla.dev/capacity-type", "operator", "In", "values", List.of("spot", "on-demand"))))),
        "limits", Map.of("cpu", cpuLimit));
  }

  private List<NodePool> stored() {
    return store.read().documents().values().stream()
        .map(d -> NodePoolReader.read(Manifest.parse("stored", d).getFirst())).toList();
  }

  static void await(BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not reached within 10 s");
      }
      Thread.sleep(50);
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> readyCondition(String name) {
    GenericKubernetesResource pool = client.genericKubernetesResources(NodePoolSync.NODEPOOLS).withName(name).get();
    if (pool == null || !(pool.getAdditionalProperties().get("status") instanceof Map<?, ?> status)) {
      return Map.of();
    }
    return ((List<Map<String, Object>>) status.get("conditions")).stream()
        .filter(c -> "Ready".equals(c.get("type"))).findFirst().orElse(Map.of());
  }

  private NodePoolSync sync() {
    return new NodePoolSync(client, store, Duration.ofMinutes(5), Clock.systemUTC(), Map::of,
        Duration.ofSeconds(30)).start();
  }

  @Test
  void appliedChangedAndDeletedNodePoolsAreFollowedInTheStore() throws Exception {
    client.genericKubernetesResources(NodePoolSync.NODEPOOLS).resource(pool("general", spec("100"))).create();
    try (NodePoolSync sync = sync()) {
      await(() -> stored().size() == 1);
      assertThat(stored()).singleElement().satisfies(p -> {
        assertThat(p.name()).isEqualTo("general");
        assertThat(p.limits().get("cpu")).isEqualTo(100_000);
      });
      await(() -> "True".equals(readyCondition("general").get("status")));

      client.genericKubernetesResources(NodePoolSync.NODEPOOLS).resource(pool("gpu", Map.of("weight", 10))).create();
      client.genericKubernetesResources(NodePoolSync.NODEPOOLS).withName("general")
          .edit(p -> new GenericKubernetesResourceBuilder(p).addToAdditionalProperties("spec", spec("200")).build());
      await(() -> stored().size() == 2 && stored().stream().anyMatch(p -> p.limits().get("cpu") == 200_000));
      String before = store.version();

      client.genericKubernetesResources(NodePoolSync.NODEPOOLS).withName("general").delete();
      await(() -> !store.version().equals(before));
      assertThat(stored()).extracting(NodePool::name).containsExactly("gpu");
    }
  }

  @Test
  void anInvalidNodePoolIsNotStoredAndIsMarkedNotReadyWithTheReasonAndAnEvent() throws Exception {
    client.genericKubernetesResources(NodePoolSync.NODEPOOLS).resource(pool("general", spec("100"))).create();
    client.genericKubernetesResources(NodePoolSync.NODEPOOLS).resource(pool("broken", Map.of("weight", 500)))
        .create();
    try (NodePoolSync sync = sync()) {
      await(() -> "False".equals(readyCondition("broken").get("status")));
      assertThat(readyCondition("broken")).containsEntry("reason", "Invalid")
          .hasEntrySatisfying("message", m -> assertThat(m.toString()).contains("spec.weight")
              .contains("between 0 and 100"));
      assertThat(stored()).extracting(NodePool::name).containsExactly("general");
      await(() -> !events("broken").isEmpty());
      assertThat(events("broken")).singleElement().satisfies(e -> {
        assertThat(e.getType()).isEqualTo("Warning");
        assertThat(e.getReason()).isEqualTo("InvalidNodePool");
        assertThat(e.getMessage()).contains("spec.weight");
        assertThat(e.getInvolvedObject().getKind()).isEqualTo("NodePool");
      });

      // fixed, it is stored and ready
      client.genericKubernetesResources(NodePoolSync.NODEPOOLS).withName("broken")
          .edit(p -> new GenericKubernetesResourceBuilder(p).addToAdditionalProperties("spec", Map.of("weight", 50))
              .build());
      await(() -> stored().size() == 2);
      await(() -> "True".equals(readyCondition("broken").get("status")));
      assertThat(events("broken")).hasSize(1);
    }
  }

  @Test
  void karpentersOwnNodePoolsAreLeftToKarpenter() throws Exception {
    var karpenter = LiveCluster.nodePoolContext("karpenter.sh/v1");
    client.genericKubernetesResources(karpenter).resource(new GenericKubernetesResourceBuilder()
        .withApiVersion("karpenter.sh/v1").withKind("NodePool").withNewMetadata().withName("karpenter-default")
        .endMetadata().addToAdditionalProperties("spec", spec("100")).build()).create();
    client.genericKubernetesResources(NodePoolSync.NODEPOOLS).resource(pool("general", spec("100"))).create();
    try (NodePoolSync sync = sync()) {
      await(() -> !stored().isEmpty());
      assertThat(stored()).extracting(NodePool::name).containsExactly("general");
    }
  }

  private static List<Event> events(String pool) {
    return client.v1().events().inNamespace(NodePoolSync.EVENT_NAMESPACE).list().getItems().stream()
        .filter(e -> pool.equals(e.getInvolvedObject().getName())).toList();
  }

  private static Claim claim(String id, ClaimState state, String node, double price) {
    java.time.Instant at = java.time.Instant.parse("2026-12-01T12:00:00Z");
    return new Claim(id, "general", state, 1, List.of("m7i.xlarge"), List.of("us-east-1a"), CapacityType.SPOT,
        List.of(), node == null ? null : "i-" + id, "m7i.xlarge", "us-east-1a", price, node, Resources.NONE, at, at,
        List.of(), List.of(), java.util.Map.of());
  }

  private static void node(String name, String cpu, String memory) {
    client.nodes().resource(new NodeBuilder().withNewMetadata().withName(name).endMetadata().withNewStatus()
        .addToCapacity("cpu", new Quantity(cpu)).addToCapacity("memory", new Quantity(memory)).endStatus().build())
        .create();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> status(String pool) {
    GenericKubernetesResource r = client.genericKubernetesResources(NodePoolSync.NODEPOOLS).withName(pool).get();
    return r.getAdditionalProperties().get("status") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  @Test
  void theStatusCountsThePoolsClaimsTheirNodesAndTheirPriceAndFollowsThem() throws Exception {
    node("node-1", "4", "16Gi");
    node("node-2", "2", "8Gi");
    List<Claim> claims = new java.util.concurrent.CopyOnWriteArrayList<>(List.of(
        claim("c1", ClaimState.Initialized, "node-1", 0.0706), claim("c2", ClaimState.Registered, "node-2", 0.05),
        claim("c3", ClaimState.Launching, null, 0.2), claim("c4", ClaimState.Terminated, null, 0.3)));
    client.genericKubernetesResources(NodePoolSync.NODEPOOLS).resource(pool("general", spec("100"))).create();
    try (NodePoolSync sync = new NodePoolSync(client, store, Duration.ofMinutes(5), Clock.systemUTC(),
        () -> PoolUsages.of(claims, name -> client.nodes().withName(name).get()), Duration.ofMillis(200)).start()) {
      await(() -> status("general").containsKey("resources"));
      assertThat(status("general")).containsEntry("resources", Map.of("cpu", "6", "memory", "24Gi", "nodes", "2"))
          .containsEntry("pricePerHour", "0.1206")
          .containsEntry("claims", Map.of("Initialized", 1, "Launching", 1, "Registered", 1));

      claims.remove(1);
      await(() -> "1".equals(((Map<?, ?>) status("general").get("resources")).get("nodes")));
      assertThat(status("general")).containsEntry("resources", Map.of("cpu", "4", "memory", "16Gi", "nodes", "1"))
          .containsEntry("pricePerHour", "0.0706");
      assertThat(readyCondition("general")).containsEntry("status", "True");
    } finally {
      client.nodes().delete();
    }
  }

  /** A CRD older than the forwarder: the server keeps only the status fields it has in its schema. */
  static final class OldSchema extends io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher {
    final java.util.concurrent.atomic.AtomicInteger statusWrites = new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public io.fabric8.mockwebserver.http.MockResponse dispatch(io.fabric8.mockwebserver.http.RecordedRequest request) {
      if ("PUT".equals(request.getMethod()) && request.getPath().matches("/apis/flotilla.dev/v1/nodepools/[^/]+/status")) {
        statusWrites.incrementAndGet();
        try {
          var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
          var body = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(request.getBody().readUtf8());
          ((com.fasterxml.jackson.databind.node.ObjectNode) body.path("status")).remove(List.of("pricePerHour",
              "claims"));
          request = new io.fabric8.mockwebserver.http.RecordedRequest(request.getHttpVersion(), request.method(),
              request.getPath(), request.getHeaders(),
              new io.fabric8.mockwebserver.http.Buffer(mapper.writeValueAsBytes(body)));
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
      return super.dispatch(request);
    }
  }

  @Test
  void aStatusTheServerKeepsOnlyPartOfIsNotWrittenAgainAndAgain() throws Exception {
    OldSchema old = new OldSchema();
    var server = new io.fabric8.kubernetes.client.server.mock.KubernetesMockServer(
        new io.fabric8.mockwebserver.Context(), new io.fabric8.mockwebserver.MockWebServer(),
        new java.util.HashMap<>(), old, false);
    server.init();
    try (KubernetesClient own = server.createClient()) {
      own.genericKubernetesResources(NodePoolSync.NODEPOOLS).resource(pool("general", spec("100"))).create();
      try (NodePoolSync sync = new NodePoolSync(own, store, Duration.ofMinutes(5), Clock.systemUTC(), Map::of,
          Duration.ofSeconds(30)).start()) {
        await(() -> own.genericKubernetesResources(NodePoolSync.NODEPOOLS).withName("general").get()
            .getAdditionalProperties().get("status") != null);
        Thread.sleep(500);
        int settled = old.statusWrites.get();
        Thread.sleep(1_500);

        assertThat(old.statusWrites.get()).as("status writes after the first answered").isEqualTo(settled)
            .isLessThanOrEqualTo(2);
        assertThat(own.genericKubernetesResources(NodePoolSync.NODEPOOLS).withName("general").get()
            .getAdditionalProperties().get("status")).asString().contains("Stored").doesNotContain("pricePerHour");
      }
      MockApiServerAnswers.awaitAnswering(own);
    } finally {
      server.destroy();
    }
  }
}
