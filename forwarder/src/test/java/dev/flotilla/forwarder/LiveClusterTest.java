package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.model.PendingPod;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.extension.ExtendWith;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
@ExtendWith(MockApiServerAnswers.class)
class LiveClusterTest {

  static KubernetesClient client;

  @Test
  void readsPendingPodsDaemonSetsAndNodePoolsFromTheCluster() {
    Pod pod = client.pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName("web-0")
        .withNamespace("shop").endMetadata().withNewSpec().addNewContainer().withName("web").withImage("nginx")
        .withNewResources().addToRequests("cpu", new Quantity("2")).endResources().endContainer().endSpec()
        .build()).create();
    pod.setStatus(new PodStatusBuilder().withConditions(new PodConditionBuilder().withType("PodScheduled")
        .withStatus("False").withReason("Unschedulable").build()).build());
    client.pods().inNamespace("shop").resource(pod).updateStatus();
    // nominated: to a node the cluster has (waiting there), and to one it no longer has (waiting for nothing)
    client.nodes().resource(new io.fabric8.kubernetes.api.model.NodeBuilder().withNewMetadata().withName("n1")
        .endMetadata().build()).create();
    for (String[] nomination : new String[][] {{"web-1", "n1"}, {"web-2", "n-gone"}}) {
      Pod nominated = client.pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata()
          .withName(nomination[0]).withNamespace("shop").endMetadata().withNewSpec().addNewContainer()
          .withName("web").withImage("nginx").endContainer().endSpec().build()).create();
      nominated.setStatus(new PodStatusBuilder().withNominatedNodeName(nomination[1]).withConditions(
          new PodConditionBuilder().withType("PodScheduled").withStatus("False").withReason("Unschedulable")
              .build()).build());
      client.pods().inNamespace("shop").resource(nominated).updateStatus();
    }
    client.pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName("running-0")
        .withNamespace("shop").endMetadata().withNewSpec().withNodeName("n1").addNewContainer().withName("c")
        .withImage("x").endContainer().endSpec().build()).create();
    client.apps().daemonSets().inNamespace("monitoring").resource(new DaemonSetBuilder().withNewMetadata()
        .withName("node-exporter").withNamespace("monitoring").endMetadata().withNewSpec().withNewSelector()
        .addToMatchLabels("app", "ne").endSelector().withNewTemplate().withNewMetadata().addToLabels("app", "ne")
        .endMetadata().withNewSpec().addNewContainer().withName("ne").withImage("ne").withNewResources()
        .addToRequests("cpu", new Quantity("50m")).endResources().endContainer().endSpec().endTemplate().endSpec()
        .build()).create();
    client.genericKubernetesResources(LiveCluster.nodePoolContext("flotilla.dev/v1")).resource(new GenericKubernetesResourceBuilder()
        .withApiVersion("flotilla.dev/v1").withKind("NodePool").withNewMetadata().withName("general").endMetadata()
        .addToAdditionalProperties("spec", Map.of("weight", 10, "template", Map.of("spec", Map.of("requirements",
            List.of(Map.of("key", "kubernetes.io/arch", "operator", "In", "values", List.of("arm64")))))))
        .build()).create();

    LiveCluster cluster = LiveCluster.read(client);

    assertThat(cluster.pendingPods()).extracting(PendingPod::name).containsExactlyInAnyOrder("shop/web-0",
        "shop/web-2");
    assertThat(cluster.pendingPods()).filteredOn(p -> p.name().equals("shop/web-0")).singleElement()
        .satisfies(p -> assertThat(p.requests().cpuMillis()).isEqualTo(2000));
    assertThat(cluster.daemonSets()).singleElement()
        .satisfies(d -> assertThat(d.requests().cpuMillis()).isEqualTo(50));
    assertThat(cluster.nodePools()).singleElement().satisfies(p -> {
      assertThat(p.name()).isEqualTo("general");
      assertThat(p.weight()).isEqualTo(10);
    });
  }
}
