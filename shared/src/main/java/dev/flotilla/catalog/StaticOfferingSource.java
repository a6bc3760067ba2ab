package dev.flotilla.catalog;

import dev.flotilla.claims.ClaimStore;
import java.util.Set;

/** A fixed catalog, less what the claim store marks unavailable: the twin of the EC2-backed source. */
public final class StaticOfferingSource implements OfferingSource {

  /** A catalog less some offerings, kept while the same offerings are unavailable. */
  private record Without(Set<Offering.Key> unavailable, OfferingCatalog catalog) {}

  private final OfferingCatalog catalog;
  private final ClaimStore store;
  private Without last;

  public StaticOfferingSource(OfferingCatalog catalog, ClaimStore store) {
    this.catalog = catalog;
    this.store = store;
  }

  /**
   * The catalog less the offerings unavailable now. While the same offerings stay unavailable the same catalog is
   * handed back: rebuilding it on every read cost each decision, and a decision that sees the same catalog instance
   * reuses the node shapes built from it.
   */
  @Override
  public synchronized OfferingCatalog catalog() {
    Set<Offering.Key> unavailable = store.unavailable();
    if (unavailable.isEmpty()) {
      return catalog;
    }
    if (last == null || !last.unavailable().equals(unavailable)) {
      last = new Without(Set.copyOf(unavailable), catalog.without(unavailable));
    }
    return last.catalog();
  }
}
