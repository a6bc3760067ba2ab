package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which zones a pod's bound volumes hold it to, as kube-scheduler's VolumeBinding reads their node affinity. */
class VolumeZonesTest {

  private static PersistentVolume volume(String name, List<List<String>> termsZones) {
    PersistentVolumeBuilder b = new PersistentVolumeBuilder().withNewMetadata().withName(name).endMetadata();
    var required = b.withNewSpec().withNewNodeAffinity().withNewRequired();
    for (List<String> zones : termsZones) {
      var term = required.addNewNodeSelectorTerm();
      if (!zones.isEmpty()) {
        term.addNewMatchExpression().withKey("topology.kubernetes.io/zone").withOperator("In").withValues(zones)
            .endMatchExpression();
      } else {
        term.addNewMatchExpression().withKey("kubernetes.io/os").withOperator("In").withValues("linux")
            .endMatchExpression();
      }
      term.endNodeSelectorTerm();
    }
    return required.endRequired().endNodeAffinity().endSpec().build();
  }

  private static PersistentVolumeClaim claim(String name, String volume) {
    return new PersistentVolumeClaimBuilder().withNewMetadata().withName(name).withNamespace("db").endMetadata()
        .withNewSpec().withVolumeName(volume).endSpec().build();
  }

  private static Pod pod(String... claims) {
    PodBuilder b = new PodBuilder().withNewMetadata().withName("db-0").withNamespace("db").endMetadata()
        .withNewSpec().endSpec();
    for (String c : claims) {
      b.editSpec().addNewVolume().withName(c).withNewPersistentVolumeClaim().withClaimName(c)
          .endPersistentVolumeClaim().endVolume().endSpec();
    }
    return b.build();
  }

  private static VolumeZones zones(Map<String, PersistentVolumeClaim> claims, Map<String, PersistentVolume> volumes) {
    return new VolumeZones(claims::get, volumes::get);
  }

  @Test
  void eachBoundVolumeNarrowsTheZonesAndEachOfItsTermsWidensThem() {
    VolumeZones zones = zones(
        Map.of("db/a", claim("a", "pv-a"), "db/b", claim("b", "pv-b"), "db/c", claim("c", "pv-c")),
        Map.of("pv-a", volume("pv-a", List.of(List.of("us-east-1a"), List.of("us-east-1b"))),
            "pv-b", volume("pv-b", List.of(List.of("us-east-1b", "us-east-1c"))),
            "pv-c", volume("pv-c", List.of(List.of("us-east-1c")))));

    assertThat(zones.of(pod("a"))).containsExactlyInAnyOrder("us-east-1a", "us-east-1b");
    assertThat(zones.of(pod("a", "b"))).containsExactly("us-east-1b");
    // no zone holds both: no node can take the pod, and the plan is told so
    assertThat(zones.of(pod("a", "c"))).containsExactly(VolumeZones.NO_COMMON_ZONE);
  }

  @Test
  void unboundClaimsUnknownClaimsAndVolumesWithoutZoneAffinityHoldNothing() {
    VolumeZones zones = zones(
        Map.of("db/unbound", claim("unbound", null), "db/anywhere", claim("anywhere", "pv-any")),
        Map.of("pv-any", volume("pv-any", List.of(List.of()))));

    assertThat(zones.of(pod("unbound"))).isEmpty();
    assertThat(zones.of(pod("missing"))).isEmpty();
    assertThat(zones.of(pod("anywhere"))).isEmpty();
    assertThat(zones.of(pod())).isEmpty();
  }
}
