package dev.flotilla.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.model.CapacityType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A catalog's fingerprint tells whether two catalogs offer the same: what keeps a consolidation plan from one pass to
 * the next only while nothing it could buy has changed.
 */
class OfferingCatalogFingerprintTest {

  private final OfferingCatalog catalog = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.ratio(0.35));

  @Test
  void theSameOfferingsInAnotherOrderGiveTheSameFingerprint() {
    List<Offering> offerings = new ArrayList<>();
    catalog.types().forEach(t -> offerings.addAll(catalog.offerings(t)));
    Collections.reverse(offerings);
    List<InstanceType> types = new ArrayList<>(catalog.types());
    Collections.reverse(types);

    OfferingCatalog rebuilt = new OfferingCatalog(catalog.region(), types, offerings);

    assertThat(rebuilt).isNotSameAs(catalog);
    assertThat(rebuilt.fingerprint()).isEqualTo(catalog.fingerprint());
  }

  @Test
  void anOfferingGoneOrPricedAnewChangesIt() {
    Offering one = catalog.offerings(catalog.type("m7i.large")).stream()
        .filter(o -> o.capacityType() == CapacityType.SPOT).findFirst().orElseThrow();
    List<Offering> repriced = new ArrayList<>();
    catalog.types().forEach(t -> catalog.offerings(t).forEach(o -> repriced.add(o.equals(one)
        ? new Offering(o.type(), o.zone(), o.capacityType(), o.pricePerHour() * 1.1) : o)));

    assertThat(catalog.without(Set.of(one.key())).fingerprint()).isNotEqualTo(catalog.fingerprint());
    assertThat(new OfferingCatalog(catalog.region(), catalog.types(), repriced).fingerprint())
        .isNotEqualTo(catalog.fingerprint());
  }
}
