package dev.flotilla.aws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.nodepool.NodePoolStore;
import dev.flotilla.nodepool.NodePoolStoreContract;
import dev.flotilla.testing.AwsIntegrationTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** The NodePool store contract against DynamoDB in the emulator, through the real SDK client. */
@AwsIntegrationTest
class DynamoNodePoolStoreIT extends NodePoolStoreContract {

  private AwsClients aws;
  private NodePoolStore store;

  @BeforeEach
  void table(AwsClients aws) {
    this.aws = aws;
    ClaimTable.createIfMissing(aws.dynamo(), "flotilla-it");
    store = new DynamoNodePoolStore(aws.dynamo(), "flotilla-it", "it-cluster");
  }

  @Override
  protected NodePoolStore store() {
    return store;
  }

  @Override
  protected NodePoolStore restartedWriter() {
    return new DynamoNodePoolStore(aws.dynamo(), "flotilla-it", "it-cluster");
  }

  @Test
  void everyItemLiesInTheNodePoolPartitionOnly() {
    store.replace(Map.of("general", GENERAL, "gpu", GPU));

    List<String> partitions = new ArrayList<>();
    aws.dynamo().scanPaginator(r -> r.tableName("flotilla-it")).items()
        .forEach(item -> partitions.add(item.get(ClaimTable.PK).s()));
    assertThat(partitions).hasSize(3).containsOnly("NODEPOOLS#it-cluster");
  }

  @Test
  void anotherClustersPoolsAreNotRead() {
    new DynamoNodePoolStore(aws.dynamo(), "flotilla-it", "other").replace(Map.of("gpu", GPU));

    assertThat(store.read()).isEqualTo(NodePoolStore.Stored.NONE);
    assertThat(aws.dynamo().getItem(r -> r.tableName("flotilla-it").key(Map.of(
        ClaimTable.PK, AttributeValue.fromS("NODEPOOLS#other"), ClaimTable.SK, AttributeValue.fromS("POOL#gpu"))))
        .item()).containsKey("doc");
  }
}
