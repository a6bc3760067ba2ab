package dev.flotilla.forwarder;

import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/** An EBS-like volume in one zone and the claim bound to it, on the mock API server. */
final class ZonalVolumes {

  private ZonalVolumes() {}

  static void bound(KubernetesClient client, String namespace, String claim, String volume, String zone) {
    client.persistentVolumes().resource(new PersistentVolumeBuilder().withNewMetadata().withName(volume).endMetadata()
        .withNewSpec().withNewNodeAffinity().withNewRequired().addNewNodeSelectorTerm().addNewMatchExpression()
        .withKey("topology.ebs.csi.aws.com/zone").withOperator("In").withValues(zone).endMatchExpression()
        .endNodeSelectorTerm().endRequired().endNodeAffinity().endSpec().build()).create();
    client.persistentVolumeClaims().inNamespace(namespace).resource(new PersistentVolumeClaimBuilder()
        .withNewMetadata().withName(claim).withNamespace(namespace).endMetadata()
        .withNewSpec().withVolumeName(volume).endSpec().build()).create();
  }

  static void removeAll(KubernetesClient client) {
    client.persistentVolumeClaims().inAnyNamespace().delete();
    client.persistentVolumes().delete();
  }
}
