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
import dev.flotilla.contracts.DaemonSets;
import dev.flotilla.manifest.Manifest;
import dev.flotilla.manifest.NodePoolReader;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The composition root the handlers and the simulator share, over the in-memory ports. */
class FlotillaServicesTest {

  private static final String POOL = """
      apiVersion: flotilla.dev/v1
      kind: NodePool
      metadata: {name: general}
      spec:
        template:
          spec:
            requirements:
              - {key: node.kubernetes.io/instance-type, operator: In, values: [m5.large, m5.xlarge]}
              - {key: flotilla.dev/capacity-type, operator: In, values: [on-demand]}
      """;

  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
  private final InMemoryClaimStore store = new InMemoryClaimStore(clock);
  private final OfferingCatalog catalog = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.ratio(0.35));
  private final FlotillaServices services = new FlotillaServices(
      new FunctionConfig("shop-prod", "flotilla", "", Map.of(), NodePoolReader.read(Manifest.parse("pool", POOL)),
          Duration.ofMinutes(15), Duration.ofMinutes(2)),
      store, new InMemoryCloud("shop-prod", catalog, store, clock), new StaticOfferingSource(catalog, store),
      new InMemoryCommandQueue(clock, Duration.ofMinutes(6)), clock);

  /** A pod that fills an m5.large (1,930m allocatable) on its own, but not beside 300m of DaemonSets. */
  private static final PendingPod WORKER = PendingPod.builder("shop/worker-0")
      .requests(Resources.of(1_800, 2L << 30)).build();

  private String launchedType() {
    List<Claim> launched = services.provisioner().provision("evt-1", List.of(WORKER)).launched();
    assertThat(launched).hasSize(1);
    return launched.getFirst().instanceType();
  }

  @Test
  void plansLeaveTheRoomTheMirroredDaemonSetsTake() {
    store.putDaemonSets(new DaemonSets(List.of(PendingPod.builder("kube-system/aws-node").ownerKind("DaemonSet")
        .requests(Resources.of(300, 256L << 20)).build())).toJson());

    assertThat(launchedType()).isEqualTo("m5.xlarge");
  }

  @Test
  void withoutDaemonSetsTheSmallerNodeHoldsThePod() {
    assertThat(launchedType()).isEqualTo("m5.large");
  }

  @Test
  void primingRunsARepresentativePlanWithoutWritingAnythingTheServicesSee() {
    services.prime();
    SnapStartPriming.plan(catalog);
    SnapStartPriming.decide(catalog, dev.flotilla.provisioning.Fanout.SEQUENTIAL, true);

    assertThat(store.claims()).isEmpty();
    assertThat(services.catalogSnapshots()).isEmpty();
    assertThat(launchedType()).isEqualTo("m5.large");
  }
}
