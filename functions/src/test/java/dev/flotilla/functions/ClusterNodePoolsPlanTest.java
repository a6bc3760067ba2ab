package dev.flotilla.functions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.catalog.StaticOfferingSource;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.cloud.InMemoryCloud;
import dev.flotilla.commands.InMemoryCommandQueue;
import dev.flotilla.manifest.Manifest;
import dev.flotilla.manifest.NodePoolReader;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.nodepool.InMemoryNodePoolStore;
import dev.flotilla.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Decisions plan with the NodePools the forwarder stored from the cluster, follow an edit at the next plan, and fall
 * back to the shipped seed when the cluster has none.
 */
class ClusterNodePoolsPlanTest {

  private static String pool(String name, String types) {
    return """
        {"apiVersion": "flotilla.dev/v1", "kind": "NodePool", "metadata": {"name": "%s"},
         "spec": {"template": {"spec": {"requirements": [
           {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": [%s]},
           {"key": "flotilla.dev/capacity-type", "operator": "In", "values": ["on-demand"]}]}}}}
        """.formatted(name, types);
  }

  private static final String SEED = """
      apiVersion: flotilla.dev/v1
      kind: NodePool
      metadata: {name: seed}
      spec:
        template:
          spec:
            requirements:
              - {key: node.kubernetes.io/instance-type, operator: In, values: [m5.large]}
              - {key: flotilla.dev/capacity-type, operator: In, values: [on-demand]}
      """;

  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
  private final InMemoryClaimStore store = new InMemoryClaimStore(clock);
  private final InMemoryNodePoolStore nodePools = new InMemoryNodePoolStore();
  private final OfferingCatalog catalog = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.ratio(0.35));
  private final AtomicInteger ids = new AtomicInteger();
  private final FlotillaServices services = new FlotillaServices(
      new FunctionConfig("shop-prod", "flotilla", "", Map.of(), NodePoolReader.read(Manifest.parse("seed", SEED)),
          Duration.ofMinutes(15), Duration.ofMinutes(2)),
      store, nodePools, new InMemoryCloud("shop-prod", catalog, store, clock), new StaticOfferingSource(catalog, store),
      new InMemoryCommandQueue(clock, Duration.ofMinutes(6)), clock, () -> "claim-" + ids.incrementAndGet());

  private Claim launch(String pod) {
    List<Claim> launched = services.provisioner().provision("evt-" + pod, List.of(PendingPod.builder("shop/" + pod)
        .requests(Resources.of(500, 1L << 30)).build())).launched();
    assertThat(launched).hasSize(1);
    return launched.getFirst();
  }

  @Test
  void aClusterWithoutNodePoolsPlansWithTheSeed() {
    assertThat(launch("web-0")).satisfies(c -> {
      assertThat(c.nodePool()).isEqualTo("seed");
      assertThat(c.instanceType()).isEqualTo("m5.large");
    });
  }

  @Test
  void theClustersNodePoolsReplaceTheSeedAndAnEditReachesTheNextPlan() {
    nodePools.replace(Map.of("general", pool("general", "\"c5.large\"")));
    assertThat(launch("web-0")).satisfies(c -> {
      assertThat(c.nodePool()).isEqualTo("general");
      assertThat(c.instanceType()).isEqualTo("c5.large");
    });

    nodePools.replace(Map.of("general", pool("general", "\"r5.large\"")));
    assertThat(launch("web-1").instanceType()).isEqualTo("r5.large");

    nodePools.replace(Map.of());
    assertThat(launch("web-2").nodePool()).isEqualTo("seed");
  }
}
