package dev.flotilla.nodepool;

class InMemoryNodePoolStoreTest extends NodePoolStoreContract {
  private final InMemoryNodePoolStore store = new InMemoryNodePoolStore();

  @Override
  protected NodePoolStore store() {
    return store;
  }

  @Override
  protected NodePoolStore restartedWriter() {
    return store;
  }
}
