package dev.flotilla.catalog;

import dev.flotilla.claims.ClaimStore;

/** A fixed catalog, less what the claim store marks unavailable: the twin of the EC2-backed source. */
public final class StaticOfferingSource implements OfferingSource {

  private final OfferingCatalog catalog;
  private final ClaimStore store;

  public StaticOfferingSource(OfferingCatalog catalog, ClaimStore store) {
    this.catalog = catalog;
    this.store = store;
  }

  @Override
  public OfferingCatalog catalog() {
    return catalog.without(store.unavailable());
  }
}
