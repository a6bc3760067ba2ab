package dev.flotilla.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.model.CapacityType;
import dev.flotilla.scheduling.SyntheticWorkloads;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What every catalog snapshot store does, in memory or in DynamoDB. */
public abstract class CatalogSnapshotStoreContract {

  protected static final Instant T0 = Instant.parse("2026-12-01T12:00:00Z");

  protected abstract CatalogSnapshotStore store();

  protected static CatalogSnapshot snapshot(Instant builtAt) {
    return CatalogSnapshot.of(OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.ratio(0.35)),
        List.of("EC2 APIs", "AWS Price List"), builtAt);
  }

  /** A snapshot of thousands of types, several chunks where chunks are small. */
  protected static CatalogSnapshot large(Instant builtAt) {
    return CatalogSnapshot.of(OfferingCatalog.of(SyntheticWorkloads.karpenterCatalog(3000), SpotPrices.ratio(0.5)),
        List.of("synthetic"), builtAt);
  }

  @Test
  void anEmptyStoreHasNoSnapshot() {
    assertThat(store().latest()).isEmpty();
  }

  @Test
  void aStoredSnapshotReadsBackWhole() {
    CatalogSnapshot stored = snapshot(T0);

    assertThat(store().put(stored)).isTrue();

    CatalogSnapshot read = store().latest().orElseThrow();
    assertThat(read).isEqualTo(stored);
    OfferingCatalog catalog = read.catalog();
    OfferingCatalog original = stored.catalog();
    assertThat(catalog.types()).isEqualTo(original.types());
    assertThat(catalog.zones()).isEqualTo(original.zones());
    InstanceType m7i = original.type("m7i.large");
    assertThat(catalog.offerings(catalog.type("m7i.large"))).isEqualTo(original.offerings(m7i));
    assertThat(catalog.price("m7i.large", m7i.zones().get(0), CapacityType.SPOT))
        .isEqualTo(original.price("m7i.large", m7i.zones().get(0), CapacityType.SPOT));
  }

  @Test
  void aLargeSnapshotReadsBackWhole() {
    CatalogSnapshot stored = large(T0);

    store().put(stored);

    assertThat(store().latest()).contains(stored);
  }

  @Test
  void aNewerSnapshotReplacesTheOlder() {
    store().put(snapshot(T0));

    assertThat(store().put(large(T0.plusSeconds(300)))).isTrue();

    assertThat(store().latest().orElseThrow().builtAt()).isEqualTo(T0.plusSeconds(300));
    assertThat(store().latest().orElseThrow().sources()).containsExactly("synthetic");
  }

  @Test
  void anOlderSnapshotNeverReplacesANewerOne() {
    store().put(snapshot(T0.plusSeconds(300)));

    assertThat(store().put(large(T0))).isFalse();

    assertThat(store().latest().orElseThrow().builtAt()).isEqualTo(T0.plusSeconds(300));
  }
}
