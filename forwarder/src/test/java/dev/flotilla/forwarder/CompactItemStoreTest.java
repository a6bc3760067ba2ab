package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.model.WellKnownLabels;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The informers' compact store gives back everything the forwarder reads from a pod or a node, and little else. */
class CompactItemStoreTest {

  private final KubernetesSerialization serialization = new KubernetesSerialization();

  /** A pod as a real cluster serves it: scheduling constraints, and the bulk Flotilla never reads. */
  private static Pod richPod() {
    return new PodBuilder()
        .withNewMetadata().withName("web-7f9c-x2x4q").withNamespace("shop").withUid("9d2c").withResourceVersion("812")
        .addToLabels(Map.of("app", "web", "tier", "front"))
        .addToAnnotations(WellKnownLabels.KARPENTER_DO_NOT_DISRUPT, "true")
        .addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", "{\"a\":\"" + "x".repeat(4000) + "\"}")
        .addNewOwnerReference().withApiVersion("apps/v1").withKind("ReplicaSet").withName("web-7f9c").withUid("r1")
        .withController(true).endOwnerReference()
        .addNewManagedField().withManager("kube-controller-manager").withOperation("Update").endManagedField()
        .endMetadata()
        .withNewSpec()
        .addToNodeSelector("kubernetes.io/arch", "arm64")
        .addNewToleration().withKey("dedicated").withOperator("Equal").withValue("web").withEffect("NoSchedule")
        .endToleration()
        .withNewAffinity().withNewNodeAffinity().withNewRequiredDuringSchedulingIgnoredDuringExecution()
        .addNewNodeSelectorTerm().addNewMatchExpression().withKey("topology.kubernetes.io/zone").withOperator("In")
        .withValues("us-east-1a", "us-east-1b").endMatchExpression().endNodeSelectorTerm()
        .endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity()
        .withNewPodAntiAffinity().addNewRequiredDuringSchedulingIgnoredDuringExecution()
        .withTopologyKey("kubernetes.io/hostname").withNewLabelSelector().addToMatchLabels("app", "web")
        .endLabelSelector().endRequiredDuringSchedulingIgnoredDuringExecution().endPodAntiAffinity().endAffinity()
        .addNewTopologySpreadConstraint().withMaxSkew(1).withTopologyKey("topology.kubernetes.io/zone")
        .withWhenUnsatisfiable("DoNotSchedule").withNewLabelSelector().addToMatchLabels("app", "web")
        .endLabelSelector().endTopologySpreadConstraint()
        .addToOverhead("cpu", new Quantity("50m"))
        .addNewInitContainer().withName("proxy").withImage("envoy:1.31").withRestartPolicy("Always")
        .withNewResources().addToRequests("cpu", new Quantity("100m")).addToRequests("memory", new Quantity("64Mi"))
        .endResources().endInitContainer()
        .addNewContainer().withName("web").withImage("registry.example.com/shop/web:2.14.3")
        .addNewEnv().withName("JAVA_OPTS").withValue("-Xmx1g").endEnv()
        .addNewPort().withContainerPort(8080).withHostPort(8080).endPort()
        .addNewVolumeMount().withName("cache").withMountPath("/cache").endVolumeMount()
        .withNewResources().addToRequests("cpu", new Quantity("500m")).addToRequests("memory", new Quantity("1Gi"))
        .endResources().endContainer()
        .addNewVolume().withName("cache").withNewEmptyDir().endEmptyDir().endVolume()
        .addNewVolume().withName("data").withNewPersistentVolumeClaim().withClaimName("data-web")
        .endPersistentVolumeClaim().endVolume()
        .endSpec()
        .withNewStatus().withPhase("Pending")
        .addNewCondition().withType("PodScheduled").withStatus("False").withReason("Unschedulable")
        .withMessage("0/40 nodes are available: " + "insufficient cpu, ".repeat(40)).endCondition()
        .endStatus()
        .build();
  }

  @Test
  void aPodComesBackWithEveryFactTheForwarderReads() {
    CompactItemStore<Pod> store = CompactItemStore.pods(serialization);
    Pod pod = richPod();
    store.put("shop/web-7f9c-x2x4q", pod);
    Pod back = store.get("shop/web-7f9c-x2x4q");

    assertThat(PodFacts.provisionable(back, node -> true)).isTrue();
    assertThat(PodFacts.pending(back)).isEqualTo(PodFacts.pending(pod));
    assertThat(PodFacts.ownerKind(back)).isEqualTo("ReplicaSet");
    PodDisruptionBudget budget = new PodDisruptionBudgetBuilder().withNewMetadata().withName("web")
        .withNamespace("shop").endMetadata().withNewSpec().withNewSelector().addToMatchLabels("app", "web")
        .endSelector().endSpec().withNewStatus().withDisruptionsAllowed(0).endStatus().build();
    // a pending pod's eviction checks no budget; running, the budget over its labels guards it
    assertThat(PodFacts.disruptionsAllowed(back, List.of(budget))).isEqualTo(-1);
    assertThat(PodFacts.disruptionsAllowed(new io.fabric8.kubernetes.api.model.PodBuilder(back).editStatus()
        .withPhase("Running").endStatus().build(), List.of(budget))).isZero();
    assertThat(back.getMetadata().getResourceVersion()).isEqualTo("812");
    // what no part of the forwarder reads is left out
    assertThat(back.getMetadata().getManagedFields()).isEmpty();
    assertThat(back.getMetadata().getAnnotations()).containsOnlyKeys(WellKnownLabels.KARPENTER_DO_NOT_DISRUPT);
    assertThat(back.getSpec().getContainers().getFirst().getImage()).isNull();
    // of its volumes, their names and claims only: a bound claim's volume holds the pod to its zone (VolumeZones)
    assertThat(back.getSpec().getVolumes()).extracting(io.fabric8.kubernetes.api.model.Volume::getName)
        .containsExactly("cache", "data");
    assertThat(back.getSpec().getVolumes().getFirst().getEmptyDir()).isNull();
    assertThat(back.getSpec().getVolumes().get(1).getPersistentVolumeClaim().getClaimName()).isEqualTo("data-web");
    assertThat(store.compact(pod))
        .hasSizeLessThan(serialization.asJson(pod).getBytes(StandardCharsets.UTF_8).length / 4);
  }

  @Test
  void mirrorPodsAndFinishedPodsStayRecognisable() {
    CompactItemStore<Pod> store = CompactItemStore.pods(serialization);
    Pod mirror = new PodBuilder(richPod()).editMetadata().withName("kube-proxy-ip-1")
        .addToAnnotations("kubernetes.io/config.mirror", "abc").endMetadata()
        .editStatus().withPhase("Succeeded").endStatus().build();
    store.put("shop/kube-proxy-ip-1", mirror);
    Pod back = store.get("shop/kube-proxy-ip-1");
    assertThat(back.getMetadata().getAnnotations()).containsKey("kubernetes.io/config.mirror");
    assertThat(back.getStatus().getPhase()).isEqualTo("Succeeded");
  }

  @Test
  void aNodeComesBackWithoutItsImageList() {
    CompactItemStore<Node> store = CompactItemStore.nodes(serialization);
    NodeBuilder builder = new NodeBuilder().withNewMetadata().withName("ip-10-0-1-5").withResourceVersion("77")
        .addToLabels("flotilla.dev/cluster", "prod").endMetadata()
        .withNewSpec().withProviderID("aws:///us-east-1a/i-0abc123def4567890").withUnschedulable(true)
        .addNewTaint().withKey("flotilla.dev/disrupted").withEffect("NoSchedule").endTaint().endSpec()
        .withNewStatus().addToAllocatable("cpu", new Quantity("3920m")).addToAllocatable("memory",
            new Quantity("14Gi")).addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus();
    for (int i = 0; i < 40; i++) {
      builder.editStatus().addNewImage().withNames("registry.example.com/team/service-" + i + ":1.0")
          .withSizeBytes(100_000_000L).endImage().endStatus();
    }
    Node node = builder.build();
    store.put("ip-10-0-1-5", node);
    Node back = store.get("ip-10-0-1-5");
    assertThat(NodeEvents.instanceId(back)).contains("i-0abc123def4567890");
    assertThat(NodeEvents.ready(back)).isTrue();
    assertThat(back.getStatus().getAllocatable()).isEqualTo(node.getStatus().getAllocatable());
    assertThat(back.getSpec().getTaints()).isEqualTo(node.getSpec().getTaints());
    assertThat(back.getSpec().getUnschedulable()).isTrue();
    assertThat(back.getMetadata().getLabels()).isEqualTo(node.getMetadata().getLabels());
    assertThat(back.getStatus().getImages()).isEmpty();
  }

  @Test
  void valuesAreIdentitiesWhileLookupsAreWhole() {
    CompactItemStore<Pod> store = CompactItemStore.pods(serialization);
    store.put("shop/web-7f9c-x2x4q", richPod());
    Pod identity = store.values().findFirst().orElseThrow();
    assertThat(store.getKey(identity)).isEqualTo("shop/web-7f9c-x2x4q");
    assertThat(identity.getSpec()).isNull();
    assertThat(store.get("shop/web-7f9c-x2x4q").getSpec().getContainers()).hasSize(1);
    assertThat(store.remove("shop/web-7f9c-x2x4q").getMetadata().getLabels()).containsEntry("tier", "front");
    assertThat(store.size()).isZero();
  }

  @Test
  void aHostNetworkPodKeepsTheContainerPortsItBindsOnTheHost() {
    CompactItemStore<Pod> store = CompactItemStore.pods(serialization);
    Pod pod = new PodBuilder().withNewMetadata().withName("exporter-1").withNamespace("monitoring").endMetadata()
        .withNewSpec().withHostNetwork(true).addNewContainer().withName("exporter").withImage("exporter")
        .addNewPort().withContainerPort(9100).endPort().endContainer().endSpec()
        .withNewStatus().withPhase("Pending").endStatus().build();
    store.put("monitoring/exporter-1", pod);

    assertThat(PodFacts.pending(store.get("monitoring/exporter-1")).hostPorts()).containsExactly("TCP/9100");
  }
}
