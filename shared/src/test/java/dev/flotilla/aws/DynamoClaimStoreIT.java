package dev.flotilla.aws;

import dev.flotilla.claims.ClaimStore;
import dev.flotilla.claims.ClaimStoreContract;
import dev.flotilla.testing.AwsIntegrationTest;
import org.junit.jupiter.api.BeforeEach;

/** The claim store contract against DynamoDB in the emulator, through the real SDK client. */
@AwsIntegrationTest
class DynamoClaimStoreIT extends ClaimStoreContract {

  private ClaimStore store;

  @BeforeEach
  void table(AwsClients aws) {
    ClaimTable.createIfMissing(aws.dynamo(), "flotilla-it");
    store = new DynamoClaimStore(aws.dynamo(), "flotilla-it", "it-cluster", clock);
  }

  @Override
  protected ClaimStore store() {
    return store;
  }
}
