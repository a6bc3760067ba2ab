package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.Resources;
import dev.flotilla.nodepool.InMemoryNodePoolStore;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.FileInputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code flotilla status}: from a cluster, against fabric8's mock API server holding what the forwarder writes; and
 * from Flotilla's records.
 */
@EnableKubernetesMockClient(crud = true)
class StatusCommandTest {

  static KubernetesClient client;

  @TempDir
  Path dir;

  private Path kubeconfig() throws Exception {
    return MockServerKubeconfig.write(dir, client, "default");
  }

  @Test
  void printsThePoolsTheirStatusTheClaimsTheNodesAndTheFleetPrice() throws Exception {
    try (FileInputStream crd = new FileInputStream(Path.of("..", "forwarder", "chart", "crds",
        "nodepools.flotilla.dev.yaml").toFile())) {
      client.apiextensions().v1().customResourceDefinitions().load(crd).createOr(c -> c.update());
    }
    GenericKubernetesResource pool = client.genericKubernetesResources(StatusCommand.NODEPOOLS).resource(
        new GenericKubernetesResourceBuilder().withApiVersion("flotilla.dev/v1").withKind("NodePool")
            .withNewMetadata().withName("general").endMetadata().addToAdditionalProperties("spec", Map.of()).build())
        .create();
    pool.getAdditionalProperties().put("status", Map.of(
        "resources", Map.of("cpu", "6", "memory", "24Gi", "nodes", "2"), "pricePerHour", "0.1206",
        "claims", Map.of("Initialized", 2, "Launching", 1),
        "conditions", List.of(Map.of("type", "Ready", "status", "True"))));
    client.genericKubernetesResources(StatusCommand.NODEPOOLS).resource(pool).updateStatus();
    for (String[] n : new String[][] {{"ip-10-0-1-5", "c1", "m7i.xlarge", "0.0706"},
        {"ip-10-0-2-9", "c2", "m7g.large", "0.0500"}}) {
      client.nodes().resource(new NodeBuilder().withNewMetadata().withName(n[0])
          .addToLabels(Map.of("flotilla.dev/claim", n[1], "flotilla.dev/nodepool", "general",
              "flotilla.dev/capacity-type", "spot", "node.kubernetes.io/instance-type", n[2]))
          .addToAnnotations(Map.of("flotilla.dev/price-per-hour", n[3],
              "flotilla.dev/launched-at", "2026-12-01T12:00:00Z")).endMetadata().build()).create();
    }
    client.nodes().resource(new NodeBuilder().withNewMetadata().withName("system-1").endMetadata().build()).create();
    // what the fleet runs: two web pods on its nodes; a DaemonSet's pod there and a pod on another node do not count
    pod("web-1", "ip-10-0-1-5", "ReplicaSet", "2");
    pod("web-2", "ip-10-0-2-9", "ReplicaSet", "2");
    pod("agent-1", "ip-10-0-1-5", "DaemonSet", "1");
    pod("system-pod", "system-1", "ReplicaSet", "8");

    CommandRun run = CommandRun.of(Map.of(), "status", "--kubeconfig", kubeconfig().toString());

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).containsPattern("general\\s+2\\s+6\\s+24Gi\\s+0.1206\\s+True")
        .contains("CLAIMS Launching 1, Initialized 2")
        .containsPattern("ip-10-0-1-5\\s+general\\s+m7i.xlarge\\s+spot\\s+0.0706\\s+2026-12-01T12:00:00Z\\s+c1")
        .contains("ip-10-0-2-9").doesNotContain("system-1")
        .contains("FLEET 2 node(s), $0.1206/h");
    var pools = dev.flotilla.forwarder.LiveCluster.read(client).nodePools();
    double bound = FleetBound.of(List.of(webPod("shop/web-1"), webPod("shop/web-2")), pools, List.of());
    double withTheOthers = FleetBound.of(List.of(webPod("shop/web-1"), webPod("shop/web-2"),
        webPod("shop/system-pod").toBuilder().requests(Resources.of(8_000, 8L << 30)).build()), pools, List.of());
    assertThat(bound).isPositive().isLessThan(withTheOthers);
    assertThat(run.out()).contains(String.format(java.util.Locale.ROOT, "BOUND $%.4f/h", bound));
  }

  private static dev.flotilla.model.PendingPod webPod(String name) {
    return dev.flotilla.model.PendingPod.builder(name).requests(Resources.of(2_000, 2L << 30)).build();
  }

  private static void pod(String name, String node, String owner, String cpu) {
    client.pods().inNamespace("shop").resource(new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata()
        .withName(name).withNamespace("shop").addNewOwnerReference().withKind(owner).withName(name + "-owner")
        .withApiVersion("apps/v1").withUid(name).withController(true).endOwnerReference().endMetadata()
        .withNewSpec().withNodeName(node).addNewContainer().withName("c").withNewResources()
        .addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity(cpu))
        .addToRequests("memory", new io.fabric8.kubernetes.api.model.Quantity(cpu + "Gi")).endResources()
        .endContainer().endSpec().withNewStatus().withPhase("Running").endStatus().build()).create();
  }

  @Test
  void withNeitherSourceItSaysWhatToGive() {
    CommandRun run = CommandRun.of(Map.of(), "status");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--kubeconfig FILE or --table NAME --cluster NAME");
  }

  @Test
  void fromTheRecordsEveryLiveClaimWithAnInstanceIsANodeOfItsPool() {
    Instant at = Instant.parse("2026-12-01T12:00:00Z");
    InMemoryNodePoolStore pools = new InMemoryNodePoolStore();
    pools.replace(Map.of("general", "{}", "gpu", "{}"));
    List<Claim> claims = List.of(
        new Claim("c1", "general", ClaimState.Initialized, 3, List.of("m7i.xlarge"), List.of("us-east-1a"),
            CapacityType.SPOT, List.of(), "i-1", "m7i.xlarge", "us-east-1a", 0.0706, "ip-10-0-1-5", Resources.NONE,
            at, at, List.of(), List.of(), Map.of()),
        new Claim("c2", "general", ClaimState.Launching, 1, List.of("m7i.xlarge"), List.of("us-east-1a"),
            CapacityType.SPOT, List.of(), null, null, null, 0.07, null, Resources.NONE, at, at, List.of(),
            List.of(), Map.of()),
        new Claim("c3", "general", ClaimState.Terminated, 5, List.of("m7i.xlarge"), List.of("us-east-1a"),
            CapacityType.SPOT, List.of(), "i-3", "m7i.xlarge", "us-east-1a", 0.07, "gone", Resources.NONE, at, at,
            List.of(), List.of(), Map.of()));

    FleetStatus status = FleetStatus.fromRecords(pools.read(), claims, 0.05);

    assertThat(status.claimsByState()).containsExactlyInAnyOrderEntriesOf(Map.of("Initialized", 1, "Launching", 1));
    assertThat(status.nodes()).singleElement().satisfies(n -> {
      assertThat(n.name()).isEqualTo("ip-10-0-1-5");
      assertThat(n.claim()).isEqualTo("c1");
    });
    assertThat(status.pools()).extracting(FleetStatus.Pool::name, FleetStatus.Pool::nodes)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("general", "1"), org.assertj.core.groups.Tuple.tuple(
            "gpu", "0"));
    assertThat(status.pricePerHour()).isEqualTo(0.0706);
  }

  @Test
  void fromTheRecordsTheBoundCountsThePodsTheMirrorShowsButNotDaemonSetPods() {
    dev.flotilla.claims.InMemoryClaimStore store = new dev.flotilla.claims.InMemoryClaimStore(
        java.time.Clock.systemUTC());
    dev.flotilla.model.PendingPod web = webPod("shop/web-1");
    dev.flotilla.model.PendingPod agent = dev.flotilla.model.PendingPod.builder("kube-system/agent-1")
        .requests(Resources.of(1_000, 1L << 30)).ownerKind("DaemonSet").build();
    store.putNodeState("ip-10-0-1-5", new dev.flotilla.disruption.NodeState("ip-10-0-1-5", "i-1", Map.of(), false,
        Resources.of(4_000, 16L << 30), List.of(), List.of(new dev.flotilla.disruption.NodeState.NodePod(web, -1),
        new dev.flotilla.disruption.NodeState.NodePod(agent, -1))).toJson());

    assertThat(FleetStatus.running(store)).extracting(dev.flotilla.model.PendingPod::name)
        .containsExactly("shop/web-1");
  }
}
