package dev.flotilla.catalog;

import dev.flotilla.claims.ClaimStore;
import dev.flotilla.claims.InMemoryClaimStore;
import java.time.Clock;

class StaticOfferingSourceTest extends OfferingSourceContract {
  private final InMemoryClaimStore store = new InMemoryClaimStore(Clock.systemUTC());
  private final StaticOfferingSource source =
      new StaticOfferingSource(OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.ratio(0.35)), store);

  @Override
  protected OfferingSource source() {
    return source;
  }

  @Override
  protected ClaimStore store() {
    return store;
  }
}
