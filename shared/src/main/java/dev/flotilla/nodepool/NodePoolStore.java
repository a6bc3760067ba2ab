package dev.flotilla.nodepool;

import java.util.Map;

/**
 * The cluster's NodePools as the forwarder last saw them in the cluster, each kept as its manifest (JSON, the shape
 * {@link dev.flotilla.manifest.NodePoolReader} reads), with a version that changes whenever they do. The forwarder
 * writes; the functions read the version on every decision and the documents only when it moved.
 */
public interface NodePoolStore {

  /** The stored pools: manifests by pool name, and the version they were written under ("" when none ever was). */
  record Stored(String version, Map<String, String> documents) {
    public static final Stored NONE = new Stored("", Map.of());

    public Stored {
      documents = Map.copyOf(documents);
    }
  }

  /**
   * Makes the stored pools exactly {@code documents} (name to manifest JSON), from the writer's complete view of the
   * cluster: a pool absent here is gone, whatever an earlier writer (before a restart) stored.
   */
  void replace(Map<String, String> documents);

  /** The current version alone, cheaper than {@link #read()}: what a cached read is checked against. */
  String version();

  Stored read();
}
