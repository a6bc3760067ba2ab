package dev.flotilla.claims;

class InMemoryClaimStoreTest extends ClaimStoreContract {
  private final ClaimStore store = new InMemoryClaimStore(clock);

  @Override
  protected ClaimStore store() {
    return store;
  }
}
