package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.commands.Command;
import dev.flotilla.commands.InMemoryCommandQueue;
import dev.flotilla.events.InMemoryEventBus;
import dev.flotilla.model.Taint;
import dev.flotilla.model.WellKnownLabels;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import dev.flotilla.nodepool.InMemoryNodePoolStore;
import java.io.FileInputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The chart's roles, checked against what the forwarder asks of the API server: the whole forwarder runs as its main
 * does (leader election, the watch with its mirror, NodePools, the command loop), carries out each kind of command
 * once and syncs a valid and an invalid NodePool, and every request it makes is one the chart grants. A verb the
 * code comes to use and the chart lacks fails here, not with a 403 in a cluster.
 */
class ClusterRoleTest {

  @Test
  void everyRequestTheForwarderMakesIsGrantedByTheChart() throws Exception {
    EvictingDispatcher dispatcher = new EvictingDispatcher();
    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        dispatcher, false);
    server.init();
    KubernetesClient client = server.createClient();
    Map<String, TreeSet<String>> used = new TreeMap<>();
    try {
      try (FileInputStream crd = new FileInputStream(NodePoolCrdTest.CRD.toFile())) {
        client.apiextensions().v1().customResourceDefinitions().load(crd).create();
      }
      node(client, "ip-1");
      node(client, "ip-2");
      TestPods.bound(client, "web-0", "ip-1", "ReplicaSet");
      TestPods.bound(client, "web-1", "ip-1", "ReplicaSet");
      client.pods().inNamespace("shop").withName("web-1").edit(p -> {
        p.getMetadata().setAnnotations(new HashMap<>(Map.of(WellKnownLabels.KARPENTER_DO_NOT_DISRUPT, "true")));
        return p;
      });
      TestPods.pending(client, "web-2");
      client.genericKubernetesResources(NodePoolSync.NODEPOOLS)
          .resource(NodePoolSyncTest.pool("general", NodePoolSyncTest.spec("100"))).create();
      client.genericKubernetesResources(NodePoolSync.NODEPOOLS)
          .resource(NodePoolSyncTest.pool("broken", Map.of("weight", 500))).create();
      dispatcher.served.clear();

      InMemoryCommandQueue queue = new InMemoryCommandQueue(Clock.systemUTC(), Duration.ofSeconds(30));
      Forwarder forwarder = new Forwarder(client, new Forwarder.Settings("shop-prod", "flotilla", "queue",
          "flotilla", "forwarder-a", Duration.ofMillis(200), Duration.ofSeconds(5)), new InMemoryEventBus(), queue,
          new InMemoryClaimStore(Clock.systemUTC()), new InMemoryNodePoolStore());
      CompletableFuture<?> running = forwarder.run();
      KubernetesClient observer = new KubernetesClientBuilder().withConfig(new ConfigBuilder(client.getConfiguration())
          .withUserAgent(EvictingDispatcher.OBSERVER).build()).build();
      try {
        Await.until("leading, the cluster listed, taking commands", () -> forwarder.leading() && forwarder.ready());
        queue.send(List.of(
            Command.nominate("ip-2", "claim-2", List.of("shop/web-2")),
            Command.failedProvisioning(List.of("shop/web-2"), "no offering fits").getFirst(),
            Command.of(Command.Kind.Cordon, "ip-2", "claim-2", null, "consolidation"),
            // the do-not-disrupt pod is evicted by nothing and deleted when the grace runs out
            Command.forcedDrain("ip-1", "claim-1", Instant.now().plusSeconds(2), "Expired"),
            Command.of(Command.Kind.DeleteNode, "ip-1", "claim-1", null, "Expired")));
        Await.until("the node drained and deleted", () -> observer.nodes().withName("ip-1").get() == null);
        Await.until("the FailedProvisioning Event", () -> observer.v1().events().inNamespace("shop").list()
            .getItems().stream().anyMatch(e -> "FailedProvisioning".equals(e.getReason())));
        Await.until("the invalid NodePool's Event", () -> observer.v1().events()
            .inNamespace(NodePoolSync.EVENT_NAMESPACE).list().getItems().stream()
            .anyMatch(e -> "InvalidNodePool".equals(e.getReason())));
      } finally {
        forwarder.stop();
        running.cancel(true);
        observer.close();
      }
      for (String request : dispatcher.served) {
        Asked asked = asked(request);
        used.computeIfAbsent(asked.resource(), k -> new TreeSet<>()).add(asked.verb());
      }
    } finally {
      MockApiServerAnswers.awaitAnswering(client);
      client.close();
      server.destroy();
    }

    assertThat(used).as("what was asked, so that the check below checks something").containsKeys(
        "core/pods", "core/pods/eviction", "core/pods/status", "core/events", "core/nodes",
        "policy/poddisruptionbudgets", "apps/daemonsets", "core/persistentvolumeclaims", "core/persistentvolumes",
        "coordination.k8s.io/leases", "flotilla.dev/nodepools",
        "flotilla.dev/nodepools/status");
    assertThat(used.get("core/pods")).contains("delete", "list", "watch");
    assertThat(used.get("core/nodes")).contains("patch", "delete");
    Map<String, TreeSet<String>> granted = HelmChartTest.granted("rbac.yaml", "nodepools-rbac.yaml");
    used.forEach((resource, verbs) -> assertThat(granted.getOrDefault(resource, new TreeSet<>()))
        .as("the chart's grants on " + resource).containsAll(verbs));
  }

  /** A served request as the authorizer sees it. */
  private record Asked(String resource, String verb) {
  }

  /** "group/resource[/subresource]" and the verb of a served request ("METHOD path"). */
  private static Asked asked(String request) {
    String method = request.substring(0, request.indexOf(' '));
    String url = request.substring(request.indexOf(' ') + 1);
    List<String> query = List.of(url.contains("?") ? url.substring(url.indexOf('?') + 1).split("&") : new String[0]);
    List<String> segments = List.of(url.replaceFirst("\\?.*", "").replaceFirst("^/", "").split("/"));
    String group;
    List<String> rest;
    if (segments.getFirst().equals("api")) {
      group = "core";
      rest = segments.subList(2, segments.size());
    } else {
      group = segments.get(1);
      rest = segments.subList(3, segments.size());
    }
    if (rest.size() > 2 && rest.getFirst().equals("namespaces")) {
      rest = rest.subList(2, rest.size());
    }
    String resource = group + "/" + rest.getFirst() + (rest.size() > 2 ? "/" + rest.get(2) : "");
    boolean named = rest.size() > 1;
    String verb = switch (method) {
      case "GET" -> named ? "get" : query.contains("watch=true") || query.contains("watch=1") ? "watch" : "list";
      case "POST" -> "create";
      case "PUT" -> "update";
      case "PATCH" -> "patch";
      case "DELETE" -> named ? "delete" : "deletecollection";
      default -> throw new IllegalArgumentException("request: unexpected method in " + request);
    };
    return new Asked(resource, verb);
  }

  private static void node(KubernetesClient client, String name) {
    client.nodes().resource(new NodeBuilder().withNewMetadata().withName(name)
        .addToLabels(WellKnownLabels.CLUSTER, "shop-prod").endMetadata().withNewSpec()
        .withTaints(new TaintBuilder().withKey(Taint.INITIALIZING.key()).withValue(Taint.INITIALIZING.value())
            .withEffect(Taint.INITIALIZING.effect()).build())
        .endSpec().build()).create();
  }
}
