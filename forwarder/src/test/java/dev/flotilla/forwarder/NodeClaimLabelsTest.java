package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.Resources;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.extension.ExtendWith;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each Flotilla node carries its claim's facts, against fabric8's mock API server. */
@EnableKubernetesMockClient(crud = true)
@ExtendWith(MockApiServerAnswers.class)
class NodeClaimLabelsTest {

  static KubernetesClient client;
  private static final dev.flotilla.catalog.CatalogFile CATALOG = dev.flotilla.catalog.CatalogFile.bundled();

  private static NodeClaimLabels labeller() {
    return new NodeClaimLabels(client, name -> CATALOG.instanceTypes().stream().filter(t -> t.name().equals(name))
        .findFirst().orElse(null), pool -> pool.equals("general") ? java.util.Map.of("team", "payments")
        : java.util.Map.of());
  }

  private static Claim claim(String id, ClaimState state, String node) {
    Instant at = Instant.parse("2026-12-01T12:00:00Z");
    return new Claim(id, "general", state, 1, List.of("m7i.xlarge"), List.of("us-east-1a"), CapacityType.SPOT,
        List.of(), "i-" + id, "m7i.xlarge", "us-east-1a", 0.0706, node, Resources.NONE, at, at, List.of(), List.of(), java.util.Map.of());
  }

  @Test
  void aClaimsNodeGetsItsClaimPoolCapacityTypePriceAndLaunchTimeAndKeepsItsOwnLabels() {
    client.nodes().resource(new NodeBuilder().withNewMetadata().withName("node-1")
        .addToLabels("kubernetes.io/hostname", "node-1").endMetadata().build()).create();
    client.nodes().resource(new NodeBuilder().withNewMetadata().withName("foreign").endMetadata().build()).create();
    NodeClaimLabels labels = labeller();

    labels.apply(List.of(claim("c1", ClaimState.Initialized, "node-1"), claim("c2", ClaimState.Terminated, "foreign")),
        name -> client.nodes().withName(name).get());

    Node node = client.nodes().withName("node-1").get();
    assertThat(node.getMetadata().getLabels()).containsEntry("flotilla.dev/claim", "c1")
        .containsEntry("flotilla.dev/nodepool", "general").containsEntry("karpenter.sh/nodepool", "general")
        .containsEntry("flotilla.dev/capacity-type", "spot").containsEntry("karpenter.sh/capacity-type", "spot")
        .containsEntry("kubernetes.io/hostname", "node-1");
    // what the plan placed pods by: the instance type's facts in both spellings, and the pool's template labels
    assertThat(node.getMetadata().getLabels()).containsEntry("karpenter.k8s.aws/instance-family", "m7i")
        .containsEntry("flotilla.dev/instance-family", "m7i").containsEntry("karpenter.k8s.aws/instance-cpu", "4")
        .containsEntry("karpenter.k8s.aws/instance-hypervisor", "nitro")
        .containsEntry("karpenter.k8s.aws/instance-cpu-manufacturer", "intel")
        .containsEntry("node.kubernetes.io/instance-type", "m7i.xlarge").containsEntry("team", "payments");
    assertThat(node.getMetadata().getAnnotations()).containsEntry("flotilla.dev/price-per-hour", "0.0706")
        .containsEntry("flotilla.dev/launched-at", "2026-12-01T12:00:00Z");
    assertThat(client.nodes().withName("foreign").get().getMetadata().getLabels()).isNullOrEmpty();

    // nothing differs: no second patch
    String version = node.getMetadata().getResourceVersion();
    labels.apply(List.of(claim("c1", ClaimState.Initialized, "node-1")), name -> client.nodes().withName(name).get());
    assertThat(client.nodes().withName("node-1").get().getMetadata().getResourceVersion()).isEqualTo(version);
  }

  @Test
  void aNodeIsLabelledOnlyWithTheClaimOfTheInstanceItRuns() {
    // the name an earlier instance had, now another's: the earlier claim, still draining, names it too
    client.nodes().resource(new NodeBuilder().withNewMetadata().withName("ip-10-0-1-23").endMetadata()
        .withNewSpec().withProviderID("aws:///us-east-1a/i-new").endSpec().build()).create();

    labeller().apply(List.of(claim("new", ClaimState.Initialized, "ip-10-0-1-23"),
        claim("old", ClaimState.Draining, "ip-10-0-1-23")), name -> client.nodes().withName(name).get());

    assertThat(client.nodes().withName("ip-10-0-1-23").get().getMetadata().getLabels())
        .containsEntry("flotilla.dev/claim", "new");
  }

  @Test
  void aTypeTheBundledCatalogLacksIsLabelledWithWhatItsNameSays() {
    client.nodes().resource(new NodeBuilder().withNewMetadata().withName("node-9").endMetadata().build()).create();
    Instant at = Instant.parse("2026-12-01T12:00:00Z");
    Claim newer = new Claim("c9", "general", ClaimState.Initialized, 1, List.of("z9q.4xlarge"),
        List.of("us-east-1a"), CapacityType.SPOT, List.of(), "i-c9", "z9q.4xlarge", "us-east-1a", 0.2, "node-9",
        Resources.NONE, at, at, List.of(), List.of(), java.util.Map.of());

    labeller().apply(List.of(newer), name -> client.nodes().withName(name).get());

    assertThat(client.nodes().withName("node-9").get().getMetadata().getLabels())
        .containsEntry("karpenter.k8s.aws/instance-family", "z9q")
        .containsEntry("karpenter.k8s.aws/instance-category", "z")
        .containsEntry("karpenter.k8s.aws/instance-generation", "9")
        .containsEntry("karpenter.k8s.aws/instance-size", "4xlarge")
        .containsEntry("flotilla.dev/claim", "c9").doesNotContainKey("karpenter.k8s.aws/instance-cpu");
  }
}
