package dev.flotilla.functions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.aws.Ec2OfferingSource;
import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.CatalogSnapshot;
import dev.flotilla.catalog.InMemoryCatalogSnapshotStore;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SnapshotOfferingSource;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.cloud.InMemoryCloud;
import dev.flotilla.commands.InMemoryCommandQueue;
import dev.flotilla.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The SnapStart hooks over the in-memory ports: what runs before the snapshot, and after a restore. */
class SnapStartPrimingTest {

  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T12:00:00Z"));
  private final InMemoryClaimStore store = new InMemoryClaimStore(clock);
  private final OfferingCatalog catalog = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.ratio(0.35));
  private final InMemoryCatalogSnapshotStore snapshots = new InMemoryCatalogSnapshotStore();
  private final AtomicInteger builds = new AtomicInteger();
  private final SnapshotOfferingSource offerings = new SnapshotOfferingSource(snapshots, () -> {
    builds.incrementAndGet();
    return snapshotAt(clock.instant());
  }, CatalogFile.bundled(), store, clock, Ec2OfferingSource.REFRESH);
  private final FlotillaServices services = new FlotillaServices(
      new FunctionConfig("shop-prod", "flotilla", "", Map.of(), List.of(), Duration.ofMinutes(15),
          Duration.ofMinutes(2)),
      store, new InMemoryCloud("shop-prod", catalog, store, clock), offerings,
      new InMemoryCommandQueue(clock, Duration.ofMinutes(6)), clock);
  private final SnapStartPriming priming = new SnapStartPriming(services);

  private CatalogSnapshot snapshotAt(Instant builtAt) {
    return CatalogSnapshot.of(catalog, List.of("EC2 APIs"), builtAt);
  }

  @Test
  void beforeTheSnapshotTheCatalogIsReadAndPlansRunWithoutWritingAClaim() {
    priming.beforeCheckpoint(null);

    assertThat(builds).hasValue(1);
    assertThat(offerings.snapshot()).isPresent();
    assertThat(store.claims()).isEmpty();
  }

  @Test
  void thePrimingDecisionRunsThroughTheAdaptersAnsweredLocally() {
    PrimingTransport transport = new PrimingTransport();

    dev.flotilla.provisioning.Provisioner.Decision decision = SnapStartPriming.decide(catalog,
        dev.flotilla.provisioning.Fanout.bounded(4, "test-priming"), transport, true);

    // every claim was written, launched and recorded through DynamoClaimStore and Ec2CloudProvider
    assertThat(decision.failures()).isEmpty();
    assertThat(decision.launched()).isNotEmpty().allSatisfy(c -> {
      assertThat(c.instanceId()).startsWith("i-priming");
      assertThat(c.instanceTypes()).contains(c.instanceType());
    });
    assertThat(transport.answered()).containsKeys("DynamoDB_20120810.BatchGetItem", "DynamoDB_20120810.Query",
        "DynamoDB_20120810.TransactWriteItems", "DynamoDB_20120810.UpdateItem", "CreateFleet");
    assertThat(transport.answered().get("DynamoDB_20120810.TransactWriteItems"))
        .isGreaterThanOrEqualTo(decision.launched().size());
    // the second decision found the first one's reservations and read their claims back, in one batched read:
    // reservations of the first decision, then of the second, then the claims holding them
    assertThat(transport.answered().get("DynamoDB_20120810.BatchGetItem")).isGreaterThanOrEqualTo(3);
    // nothing reached the services' own ports
    assertThat(store.claims()).isEmpty();
  }

  @Test
  void afterARestoreTheCatalogIsReadAgainOnlyWhenOlderThanItsRefresh() {
    snapshots.put(snapshotAt(clock.instant()));
    priming.beforeCheckpoint(null);
    snapshots.put(snapshotAt(clock.instant().plusSeconds(60)));

    clock.advance(Duration.ofMinutes(2));
    priming.afterRestore(null);
    assertThat(offerings.snapshot().orElseThrow().builtAt()).isEqualTo(Instant.parse("2026-12-01T12:00:00Z"));

    clock.advance(Duration.ofMinutes(3));
    priming.afterRestore(null);
    assertThat(offerings.snapshot().orElseThrow().builtAt()).isEqualTo(Instant.parse("2026-12-01T12:01:00Z"));
    assertThat(builds).hasValue(0);
  }
}
