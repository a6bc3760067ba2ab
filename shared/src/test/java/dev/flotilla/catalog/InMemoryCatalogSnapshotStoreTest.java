package dev.flotilla.catalog;

class InMemoryCatalogSnapshotStoreTest extends CatalogSnapshotStoreContract {
  private final CatalogSnapshotStore store = new InMemoryCatalogSnapshotStore();

  @Override
  protected CatalogSnapshotStore store() {
    return store;
  }
}
