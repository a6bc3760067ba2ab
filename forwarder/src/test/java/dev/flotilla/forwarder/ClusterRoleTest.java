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
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The chart's ClusterRole, checked against what the forwarder asks of the API server: every request its watch and
 * its commands make, each kind of command carried out once, is one the role grants. A verb the code comes to use and
 * the chart lacks fails here, not with a 403 in a cluster.
 */
class ClusterRoleTest {

  @Test
  void everyRequestTheWatchAndEachKindOfCommandMakeIsGrantedByTheChartsClusterRole() throws Exception {
    EvictingDispatcher dispatcher = new EvictingDispatcher();
    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        dispatcher, false);
    server.init();
    KubernetesClient client = server.createClient();
    Map<String, TreeSet<String>> used = new TreeMap<>();
    try {
      node(client, "ip-1");
      node(client, "ip-2");
      TestPods.bound(client, "web-0", "ip-1", "ReplicaSet");
      TestPods.bound(client, "web-1", "ip-1", "ReplicaSet");
      client.pods().inNamespace("shop").withName("web-1").edit(p -> {
        p.getMetadata().setAnnotations(new HashMap<>(Map.of(WellKnownLabels.KARPENTER_DO_NOT_DISRUPT, "true")));
        return p;
      });
      TestPods.pending(client, "web-2");
      dispatcher.served.clear();

      // with a mirror table, as the forwarder runs it: the DaemonSet informer and the node mirror run too
      try (ClusterWatch watch = new ClusterWatch(client, "shop-prod", new InMemoryEventBus(), Duration.ofMinutes(1),
          Duration.ofMinutes(1), Duration.ofMinutes(5), new InMemoryClaimStore(Clock.systemUTC())).start();
          CommandExecutor executor = new CommandExecutor(client, "shop-prod",
              new InMemoryCommandQueue(Clock.systemUTC(), Duration.ofSeconds(30)), new InMemoryEventBus(),
              Clock.systemUTC(), Duration.ofMillis(50), watch::podsOn)) {
        Await.until("the watch's cache holds the node's two pods", () -> watch.podsOn("ip-1").size() == 2);
        List<Command> commands = List.of(
            Command.nominate("ip-2", "claim-2", List.of("shop/web-2")),
            Command.failedProvisioning(List.of("shop/web-2"), "no offering fits").getFirst(),
            Command.of(Command.Kind.Cordon, "ip-2", "claim-2", null, "consolidation"),
            // the do-not-disrupt pod is evicted by nothing and deleted when the grace runs out
            Command.forcedDrain("ip-1", "claim-1", Instant.now().plusSeconds(2), "Expired"),
            Command.of(Command.Kind.DeleteNode, "ip-1", "claim-1", null, "Expired"));
        for (Command command : commands) {
          assertThat(executor.execute(command, () -> { })).as(command.kind().name())
              .isEqualTo(CommandExecutor.Outcome.DONE);
        }
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
        "policy/poddisruptionbudgets", "apps/daemonsets");
    assertThat(used.get("core/pods")).contains("delete", "list", "watch");
    assertThat(used.get("core/nodes")).contains("patch", "delete");
    // all of it cluster-wide or in the pods' namespace: the chart's Role, in the forwarder's own, holds only its Lease
    Map<String, TreeSet<String>> granted = HelmChartTest.grantedByRoles();
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
