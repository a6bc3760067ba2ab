package dev.flotilla.nodepool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Decisions plan with the cluster's stored NodePools, read again only when their version moves. */
class ClusterNodePoolsTest {

  private final AtomicInteger reads = new AtomicInteger();
  private final InMemoryNodePoolStore backing = new InMemoryNodePoolStore();
  private final NodePoolStore store = new NodePoolStore() {
    @Override
    public void replace(Map<String, String> documents) {
      backing.replace(documents);
    }

    @Override
    public String version() {
      return backing.version();
    }

    @Override
    public Stored read() {
      reads.incrementAndGet();
      return backing.read();
    }
  };
  private final ClusterNodePools pools = new ClusterNodePools(store, () -> List.of(NodePool.defaultPool()));

  @Test
  void aClusterWithNoPoolsPlansWithTheSeed() {
    assertThat(pools.get()).extracting(NodePool::name).containsExactly("default");

    backing.replace(Map.of());
    assertThat(pools.get()).extracting(NodePool::name).containsExactly("default");
  }

  @Test
  void storedPoolsReplaceTheSeedAndAreParsedOncePerVersion() {
    backing.replace(Map.of("general", NodePoolStoreContract.GENERAL, "gpu", NodePoolStoreContract.GPU));

    assertThat(pools.get()).extracting(NodePool::name).containsExactly("general", "gpu");
    assertThat(pools.get()).extracting(NodePool::name).containsExactly("general", "gpu");
    assertThat(reads).hasValue(1);

    backing.replace(Map.of("general", NodePoolStoreContract.GENERAL_BIGGER));
    assertThat(pools.get()).singleElement().satisfies(p -> assertThat(p.limits().get("cpu")).isEqualTo(200_000));
    assertThat(reads).hasValue(2);
  }

  @Test
  void aStoredPoolThisReaderRejectsIsLeftOutAndTheOthersPlan() {
    backing.replace(Map.of("general", NodePoolStoreContract.GENERAL,
        "broken", NodePoolStoreContract.GPU.replace("\"gpu\"", "\"broken\"").replace("10", "500")));

    assertThat(pools.get()).extracting(NodePool::name).containsExactly("general");
  }
}
