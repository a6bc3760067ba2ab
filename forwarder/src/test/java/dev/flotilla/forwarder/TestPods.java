package dev.flotilla.forwarder;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/** Pods in namespace "shop" the forwarder's tests make through the API: labelled app=agent or app=web by name. */
final class TestPods {

  private TestPods() {
  }

  /** A pod bound to {@code node}, controlled by an owner of {@code ownerKind}. */
  static void bound(KubernetesClient client, String name, String node, String ownerKind) {
    client.pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName(name)
        .withNamespace("shop").addToLabels("app", name.startsWith("agent") ? "agent" : "web")
        .addNewOwnerReference().withKind(ownerKind).withName("o").withApiVersion("apps/v1").withUid("u")
        .withController(true).endOwnerReference().endMetadata()
        .withNewSpec().withNodeName(node).addNewContainer().withName("c").withImage("x").endContainer().endSpec()
        .build()).create();
  }

  /** A pod the scheduler found no node for. */
  static void pending(KubernetesClient client, String name) {
    Pod pod = client.pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName(name)
        .withNamespace("shop").addToLabels("app", "web").endMetadata()
        .withNewSpec().addNewContainer().withName("c").withImage("x").endContainer().endSpec().build()).create();
    pod.setStatus(new PodStatusBuilder().withPhase("Pending").withConditions(new PodConditionBuilder()
        .withType("PodScheduled").withStatus("False").withReason("Unschedulable").build()).build());
    client.pods().inNamespace("shop").resource(pod).updateStatus();
  }
}
