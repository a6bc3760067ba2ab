package dev.flotilla.nodepool;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/** The NodePool store in memory: the simulator's and the tests' twin of the DynamoDB one. */
public final class InMemoryNodePoolStore implements NodePoolStore {

  private Stored stored = Stored.NONE;

  @Override
  public synchronized void replace(Map<String, String> documents) {
    String version = versionOf(documents);
    if (!version.equals(stored.version())) {
      stored = new Stored(version, documents);
    }
  }

  @Override
  public synchronized String version() {
    return stored.version();
  }

  @Override
  public synchronized Stored read() {
    return stored;
  }

  /**
   * A digest of the pools' names and documents: equal sets give equal versions, so a writer that restarts and writes
   * the same pools again moves nothing, and any change moves it.
   */
  public static String versionOf(Map<String, String> documents) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (Map.Entry<String, String> e : new TreeMap<>(documents).entrySet()) {
        digest.update(e.getKey().getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
        digest.update(e.getValue().getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
      }
      return HexFormat.of().formatHex(digest.digest(), 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
