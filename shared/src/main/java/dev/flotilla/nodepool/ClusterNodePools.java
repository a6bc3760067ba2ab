package dev.flotilla.nodepool;

import dev.flotilla.manifest.Manifest;
import dev.flotilla.manifest.NodePoolReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The NodePools a decision plans with: the cluster's, as the forwarder last stored them, or the seed (the file the
 * stack shipped, else the default pool) while the cluster has none. Each call reads the store's version only; the
 * pools are read and parsed again when it moved.
 */
public final class ClusterNodePools implements Supplier<List<NodePool>> {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterNodePools.class);

  private final NodePoolStore store;
  private final Supplier<List<NodePool>> seed;
  private String readVersion;
  private List<NodePool> read = List.of();

  public ClusterNodePools(NodePoolStore store, Supplier<List<NodePool>> seed) {
    this.store = store;
    this.seed = seed;
  }

  @Override
  public synchronized List<NodePool> get() {
    String version = store.version();
    if (!version.equals(readVersion)) {
      NodePoolStore.Stored stored = store.read();
      read = parse(stored.documents());
      readVersion = stored.version();
    }
    return read.isEmpty() ? seed.get() : read;
  }

  /**
   * Pools in name order. The forwarder stores only what this reader accepted, but a newer forwarder may store what an
   * older function cannot read: that pool is left out, not every decision failed.
   */
  private static List<NodePool> parse(Map<String, String> documents) {
    List<NodePool> pools = new ArrayList<>();
    documents.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
      try {
        for (Manifest m : Manifest.parse("NodePool " + e.getKey() + " (table)", e.getValue())) {
          pools.add(NodePoolReader.read(m));
        }
      } catch (IllegalArgumentException invalid) {
        LOG.atWarn().setMessage("stored NodePool left out: it cannot be read").addKeyValue("nodePool", e.getKey())
            .addKeyValue("reason", invalid.getMessage()).log();
      }
    });
    return List.copyOf(pools);
  }
}
