package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.commands.Command;
import dev.flotilla.commands.InMemoryCommandQueue;
import dev.flotilla.events.InMemoryEventBus;
import dev.flotilla.model.Taint;
import dev.flotilla.model.WellKnownLabels;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.TaintBuilder;
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
      bound(client, "web-0", "ReplicaSet");
      bound(client, "web-1", "ReplicaSet");
      bound(client, "agent-0", "DaemonSet");
      client.pods().inNamespace("shop").withName("web-1").edit(p -> {
        p.getMetadata().setAnnotations(new HashMap<>(Map.of(WellKnownLabels.KARPENTER_DO_NOT_DISRUPT, "true")));
        return p;
      });
      client.policy().v1().podDisruptionBudget().inNamespace("shop").resource(new PodDisruptionBudgetBuilder()
          .withNewMetadata().withName("agent").withNamespace("shop").endMetadata().withNewSpec().withNewSelector()
          .addToMatchLabels("app", "agent").endSelector().endSpec().build()).create();
      pending(client, "web-2");
      dispatcher.served.clear();

      try (ClusterWatch watch = new ClusterWatch(client, "shop-prod", new InMemoryEventBus(), Duration.ofMinutes(1),
          Duration.ofMinutes(1), Duration.ofMinutes(5)).start();
          CommandExecutor executor = new CommandExecutor(client, "shop-prod",
              new InMemoryCommandQueue(Clock.systemUTC(), Duration.ofSeconds(30)), new InMemoryEventBus(),
              Clock.systemUTC(), Duration.ofMillis(50), watch::podsOn)) {
        Await.until("the watch's cache holds the node's three pods", () -> watch.podsOn("ip-1").size() == 3);
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
        String[] asked = asked(request);
        used.computeIfAbsent(asked[0], k -> new TreeSet<>()).add(asked[1]);
      }
    } finally {
      MockApiServerAnswers.awaitAnswering(client);
      client.close();
      server.destroy();
    }

    assertThat(used).as("what was asked, so that the check below checks something").containsKeys(
        "core/pods", "core/pods/eviction", "core/pods/status", "core/events", "core/nodes");
    assertThat(used.get("core/pods")).contains("delete", "list", "watch");
    assertThat(used.get("core/nodes")).contains("patch", "delete");
    Map<String, TreeSet<String>> granted = HelmChartTest.grantedByClusterRole();
    used.forEach((resource, verbs) -> assertThat(granted.getOrDefault(resource, new TreeSet<>()))
        .as("the chart's grants on " + resource).containsAll(verbs));
  }

  /** A served request as the authorizer sees it: "group/resource[/subresource]" and the verb. */
  private static String[] asked(String request) {
    String method = request.substring(0, request.indexOf(' '));
    String url = request.substring(request.indexOf(' ') + 1);
    String query = url.contains("?") ? url.substring(url.indexOf('?') + 1) : "";
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
      case "GET" -> named ? "get" : query.contains("watch=true") ? "watch" : "list";
      case "POST" -> "create";
      case "PUT" -> "update";
      case "PATCH" -> "patch";
      case "DELETE" -> named ? "delete" : "deletecollection";
      default -> throw new IllegalArgumentException("request: unexpected method in " + request);
    };
    return new String[] {resource, verb};
  }

  private static void node(KubernetesClient client, String name) {
    client.nodes().resource(new NodeBuilder().withNewMetadata().withName(name)
        .addToLabels(WellKnownLabels.CLUSTER, "shop-prod").endMetadata().withNewSpec()
        .withTaints(new TaintBuilder().withKey(Taint.INITIALIZING.key()).withValue(Taint.INITIALIZING.value())
            .withEffect(Taint.INITIALIZING.effect()).build())
        .endSpec().build()).create();
  }

  private static void bound(KubernetesClient client, String name, String ownerKind) {
    client.pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName(name)
        .withNamespace("shop").addToLabels("app", name.startsWith("agent") ? "agent" : "web")
        .addNewOwnerReference().withKind(ownerKind).withName("o").withApiVersion("apps/v1").withUid("u")
        .withController(true).endOwnerReference().endMetadata()
        .withNewSpec().withNodeName("ip-1").addNewContainer().withName("c").withImage("x").endContainer().endSpec()
        .build()).create();
  }

  private static void pending(KubernetesClient client, String name) {
    Pod pod = client.pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName(name)
        .withNamespace("shop").addToLabels("app", "web").endMetadata()
        .withNewSpec().addNewContainer().withName("c").withImage("x").endContainer().endSpec().build()).create();
    pod.setStatus(new PodStatusBuilder().withPhase("Pending").withConditions(new PodConditionBuilder()
        .withType("PodScheduled").withStatus("False").withReason("Unschedulable").build()).build());
    client.pods().inNamespace("shop").resource(pod).updateStatus();
  }
}
