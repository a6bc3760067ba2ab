package dev.flotilla.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.model.CapacityType;
import dev.flotilla.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class SnapshotOfferingSourceTest {

  private static final Duration REFRESH = Duration.ofMinutes(5);
  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T12:00:00Z"));
  private final InMemoryClaimStore claims = new InMemoryClaimStore(clock);
  private final InMemoryCatalogSnapshotStore snapshots = new InMemoryCatalogSnapshotStore();
  private final AtomicInteger builds = new AtomicInteger();
  private final Supplier<CatalogSnapshot> apis = () -> {
    builds.incrementAndGet();
    return snapshotAt(clock.instant(), "EC2 APIs");
  };

  private static CatalogSnapshot snapshotAt(Instant builtAt, String source) {
    return CatalogSnapshot.of(OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.ratio(0.4)), List.of(source),
        builtAt);
  }

  private SnapshotOfferingSource source(Supplier<CatalogSnapshot> builder) {
    return new SnapshotOfferingSource(snapshots, builder, CatalogFile.bundled(), claims, clock, REFRESH);
  }

  @Test
  void theFirstFunctionOnAnEmptyStoreBuildsOnceAndStoresWhatTheNextOnesRead() {
    SnapshotOfferingSource first = source(apis);

    first.catalog();
    first.catalog();
    source(apis).catalog();

    assertThat(builds).hasValue(1);
    assertThat(snapshots.latest().orElseThrow().sources()).containsExactly("EC2 APIs");
  }

  @Test
  void aStoredSnapshotServesWithoutTheApisAndIsReadAgainOnceOlderThanTheRefresh() {
    snapshots.put(snapshotAt(clock.instant(), "first"));
    SnapshotOfferingSource source = source(() -> {
      throw new AssertionError("a decision never calls the catalog APIs");
    });

    assertThat(source.catalog().types()).isNotEmpty();
    snapshots.put(snapshotAt(clock.instant().plusSeconds(60), "second"));
    clock.advance(Duration.ofMinutes(4));
    source.catalog();
    assertThat(source.snapshot().orElseThrow().sources()).containsExactly("first");

    clock.advance(Duration.ofMinutes(1));
    source.catalog();
    assertThat(source.snapshot().orElseThrow().sources()).containsExactly("second");
  }

  @Test
  void aStaleSnapshotStillServes() {
    snapshots.put(snapshotAt(clock.instant(), "old"));
    clock.advance(Duration.ofHours(3));
    SnapshotOfferingSource source = source(() -> {
      throw new IllegalStateException("throttled");
    });

    OfferingCatalog catalog = source.catalog();

    assertThat(source.snapshot().orElseThrow().sources()).containsExactly("old");
    assertThat(source.snapshotAge()).contains(Duration.ofHours(3));
    assertThat(catalog.price("m7i.large", catalog.type("m7i.large").zones().get(0), CapacityType.SPOT))
        .isEqualTo(snapshotAt(Instant.EPOCH, "x").catalog()
            .price("m7i.large", catalog.type("m7i.large").zones().get(0), CapacityType.SPOT));
  }

  @Test
  void theBundledCatalogServesOnlyWhenNoSnapshotExistsNorCanBeBuilt() {
    AtomicInteger failures = new AtomicInteger();
    SnapshotOfferingSource source = source(() -> {
      failures.incrementAndGet();
      throw new IllegalStateException("EC2 unreachable");
    });

    OfferingCatalog catalog = source.catalog();
    source.catalog();

    assertThat(catalog.types()).hasSameSizeAs(CatalogFile.bundled().instanceTypes());
    assertThat(source.snapshot()).isEmpty();
    assertThat(failures).hasValue(1);

    snapshots.put(snapshotAt(clock.instant(), "later"));
    clock.advance(REFRESH);
    source.catalog();
    assertThat(source.snapshot().orElseThrow().sources()).containsExactly("later");
  }

  @Test
  void theScheduleRebuildsOnlyASnapshotOlderThanTheRefresh() {
    SnapshotOfferingSource source = source(apis);
    source.catalog();

    clock.advance(Duration.ofMinutes(2));
    assertThat(source.refreshIfOlderThan(REFRESH)).isFalse();
    clock.advance(Duration.ofMinutes(3));
    assertThat(source.refreshIfOlderThan(REFRESH)).isTrue();

    assertThat(builds).hasValue(2);
    assertThat(snapshots.latest().orElseThrow().builtAt()).isEqualTo(clock.instant());
    assertThat(source.snapshotAge()).contains(Duration.ZERO);
  }

  @Test
  void aFailedRebuildKeepsServingTheSnapshot() {
    snapshots.put(snapshotAt(clock.instant(), "kept"));
    SnapshotOfferingSource source = source(() -> {
      throw new IllegalStateException("throttled");
    });
    clock.advance(Duration.ofMinutes(10));

    assertThatThrownBy(() -> source.refreshIfOlderThan(REFRESH)).hasMessage("throttled");

    assertThat(source.catalog().types()).isNotEmpty();
    assertThat(source.snapshot().orElseThrow().sources()).containsExactly("kept");
  }

  @Test
  void offeringsMarkedUnavailableAreLeftOut() {
    SnapshotOfferingSource source = source(apis);
    InstanceType m7i = source.catalog().type("m7i.large");
    String zone = m7i.zones().get(0);

    claims.markUnavailable(new Offering.Key("m7i.large", zone, CapacityType.SPOT), "capacity", Duration.ofMinutes(3));

    assertThat(source.catalog().price("m7i.large", zone, CapacityType.SPOT)).isNaN();
    assertThat(source.catalog().price("m7i.large", zone, CapacityType.ON_DEMAND)).isPositive();
    assertThat(source.catalogWithUnavailable().price("m7i.large", zone, CapacityType.SPOT)).isPositive();
  }
}
