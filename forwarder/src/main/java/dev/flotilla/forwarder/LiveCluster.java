package dev.flotilla.forwarder;

import dev.flotilla.manifest.Manifest;
import dev.flotilla.manifest.NodePoolReader;
import dev.flotilla.manifest.Workloads;
import dev.flotilla.model.PendingPod;
import dev.flotilla.nodepool.NodePool;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.List;

/**
 * What a live cluster asks of Flotilla right now: its provisionable pods, the DaemonSets every node will run, and
 * its NodePools ({@code flotilla.dev/v1} only: Karpenter's are Karpenter's). Read once, for {@code flotilla plan}.
 */
public record LiveCluster(List<PendingPod> pendingPods, List<PendingPod> daemonSets, List<NodePool> nodePools) {

  public static LiveCluster read(KubernetesClient client) {
    java.util.Set<String> nodes = new java.util.HashSet<>();
    client.nodes().list().getItems().forEach(n -> nodes.add(n.getMetadata().getName()));
    List<PendingPod> pods = new ArrayList<>();
    VolumeZones volumeZones = volumeZones(client);
    for (Pod pod : client.pods().inAnyNamespace().list().getItems()) {
      if (PodFacts.provisionable(pod, nodes::contains)) {
        pods.add(PodFacts.pending(pod, volumeZones.of(pod)));
      }
    }
    List<PendingPod> daemonSets = templates(client.apps().daemonSets().inAnyNamespace().list().getItems());
    // Karpenter's karpenter.sh NodePools are Karpenter's: Flotilla plans with its own, as its forwarder stores them
    return new LiveCluster(pods, daemonSets, nodePools(client, "flotilla.dev/v1"));
  }

  /** The cluster's volume claims and volumes, read once: the zones pods' bound volumes hold them to. */
  private static VolumeZones volumeZones(KubernetesClient client) {
    java.util.Map<String, io.fabric8.kubernetes.api.model.PersistentVolumeClaim> claims = new java.util.HashMap<>();
    client.persistentVolumeClaims().inAnyNamespace().list().getItems()
        .forEach(c -> claims.put(c.getMetadata().getNamespace() + "/" + c.getMetadata().getName(), c));
    java.util.Map<String, io.fabric8.kubernetes.api.model.PersistentVolume> volumes = new java.util.HashMap<>();
    client.persistentVolumes().list().getItems().forEach(v -> volumes.put(v.getMetadata().getName(), v));
    return new VolumeZones(claims::get, volumes::get);
  }

  /** The pods running or starting on these nodes, DaemonSets' pods apart, with the facts a plan reads. */
  public static List<PendingPod> podsOn(KubernetesClient client, java.util.Set<String> nodes) {
    List<PendingPod> pods = new ArrayList<>();
    VolumeZones volumeZones = volumeZones(client);
    for (Pod pod : client.pods().inAnyNamespace().list().getItems()) {
      String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
      if (pod.getSpec() != null && nodes.contains(pod.getSpec().getNodeName())
          && !"Succeeded".equals(phase) && !"Failed".equals(phase)
          && !"DaemonSet".equals(PodFacts.ownerKind(pod))) {
        pods.add(PodFacts.placed(pod, volumeZones.of(pod)));
      }
    }
    return pods;
  }

  /** Each DaemonSet's pod template, as the scheduler counts it on every node it matches. */
  static List<PendingPod> templates(List<DaemonSet> daemonSets) {
    List<Manifest> manifests = new ArrayList<>();
    for (DaemonSet ds : daemonSets) {
      manifests.addAll(Manifest.parse("DaemonSet " + ds.getMetadata().getNamespace() + "/"
          + ds.getMetadata().getName(), Serialization.asJson(ds)));
    }
    return Workloads.read(manifests).daemonSets();
  }

  /** NodePools are cluster-scoped custom resources, {@code nodepools.<group>}. */
  static io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext nodePoolContext(String apiVersion) {
    String[] gv = apiVersion.split("/");
    return new io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext.Builder().withGroup(gv[0])
        .withVersion(gv[1]).withKind("NodePool").withPlural("nodepools").withNamespaced(false).build();
  }

  private static List<NodePool> nodePools(KubernetesClient client, String apiVersion) {
    List<GenericKubernetesResource> items;
    try {
      items = client.genericKubernetesResources(nodePoolContext(apiVersion)).list().getItems();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return List.of();
      }
      throw e;
    }
    List<Manifest> manifests = new ArrayList<>();
    for (GenericKubernetesResource r : items) {
      manifests.addAll(Manifest.parse("NodePool " + r.getMetadata().getName(), Serialization.asJson(r)));
    }
    return NodePoolReader.read(manifests);
  }
}
