package dev.flotilla.forwarder;

import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The zones a pending pod's bound persistent volumes live in, as kube-scheduler's VolumeBinding reads them: each bound
 * claim's volume's required node affinity on a zone key (EBS volumes carry {@code topology.ebs.csi.aws.com/zone} or
 * {@code topology.kubernetes.io/zone}). A node elsewhere would never take the pod, so the plan must put it in one of
 * these zones. Claims not yet bound (WaitForFirstConsumer) and volumes without zone affinity constrain nothing.
 */
final class VolumeZones {

  static final Set<String> ZONE_KEYS = Set.of("topology.kubernetes.io/zone", "topology.ebs.csi.aws.com/zone",
      "failure-domain.beta.kubernetes.io/zone");

  static final String NO_COMMON_ZONE = "(no zone holds all its volumes)";

  private final Function<String, PersistentVolumeClaim> claims;
  private final Function<String, PersistentVolume> volumes;

  /**
   * @param claims a claim by {@code namespace/name}, null when unknown
   * @param volumes a volume by name, null when unknown
   */
  VolumeZones(Function<String, PersistentVolumeClaim> claims, Function<String, PersistentVolume> volumes) {
    this.claims = claims;
    this.volumes = volumes;
  }

  /** The zones every bound volume of the pod allows (each volume's terms ORed, the volumes ANDed); empty for any. */
  Set<String> of(Pod pod) {
    if (pod.getSpec() == null || pod.getSpec().getVolumes() == null) {
      return Set.of();
    }
    Set<String> zones = null;
    for (Volume v : pod.getSpec().getVolumes()) {
      if (v.getPersistentVolumeClaim() == null || v.getPersistentVolumeClaim().getClaimName() == null) {
        continue;
      }
      PersistentVolumeClaim claim = claims.apply(pod.getMetadata().getNamespace() + "/"
          + v.getPersistentVolumeClaim().getClaimName());
      String volumeName = claim == null || claim.getSpec() == null ? null : claim.getSpec().getVolumeName();
      PersistentVolume volume = volumeName == null || volumeName.isEmpty() ? null : volumes.apply(volumeName);
      Set<String> allowed = volume == null ? Set.of() : zonesOf(volume);
      if (allowed.isEmpty()) {
        continue;
      }
      if (zones == null) {
        zones = new TreeSet<>(allowed);
      } else {
        zones.retainAll(allowed);
      }
    }
    // volumes in no common zone: no node can take the pod, and a zone no node has says so to the plan
    return zones == null ? Set.of() : zones.isEmpty() ? Set.of(NO_COMMON_ZONE) : Set.copyOf(zones);
  }

  /** A volume's zones: the union over its required node affinity's terms of their zone values; empty for any. */
  static Set<String> zonesOf(PersistentVolume volume) {
    if (volume.getSpec() == null || volume.getSpec().getNodeAffinity() == null
        || volume.getSpec().getNodeAffinity().getRequired() == null) {
      return Set.of();
    }
    Set<String> zones = new TreeSet<>();
    for (NodeSelectorTerm term : volume.getSpec().getNodeAffinity().getRequired().getNodeSelectorTerms()) {
      Set<String> termZones = null;
      for (NodeSelectorRequirement r : term.getMatchExpressions()) {
        if (ZONE_KEYS.contains(r.getKey()) && "In".equals(r.getOperator()) && r.getValues() != null) {
          termZones = termZones == null ? new TreeSet<>(r.getValues()) : termZones;
          termZones.retainAll(r.getValues());
        }
      }
      if (termZones == null) {
        // a term with no zone in it allows every zone
        return Set.of();
      }
      zones.addAll(termZones);
    }
    return zones;
  }
}
