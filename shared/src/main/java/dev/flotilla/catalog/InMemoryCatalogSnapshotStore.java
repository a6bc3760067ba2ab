package dev.flotilla.catalog;

import java.util.Optional;

/** The catalog snapshot in memory, kept as the same gzipped bytes DynamoDB holds: the twin of the table's store. */
public final class InMemoryCatalogSnapshotStore implements CatalogSnapshotStore {

  private byte[] latest;
  private java.time.Instant builtAt;

  @Override
  public synchronized Optional<CatalogSnapshot> latest() {
    return latest == null ? Optional.empty() : Optional.of(CatalogSnapshot.gunzip(latest));
  }

  @Override
  public synchronized boolean put(CatalogSnapshot snapshot) {
    if (builtAt != null && !snapshot.builtAt().isAfter(builtAt)) {
      return false;
    }
    latest = snapshot.gzip();
    builtAt = snapshot.builtAt();
    return true;
  }
}
