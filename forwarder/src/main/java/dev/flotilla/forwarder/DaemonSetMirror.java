package dev.flotilla.forwarder;

import dev.flotilla.claims.ClaimStore;
import dev.flotilla.contracts.DaemonSets;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mirrors the cluster's DaemonSets into the table as one document, rewritten when any of them changes: every function
 * that plans a node reads it, so that a plan leaves the room they take on each node they match.
 */
final class DaemonSetMirror {

  private static final Logger LOG = LoggerFactory.getLogger(DaemonSetMirror.class);

  private final ClaimStore store;
  private final Supplier<List<DaemonSet>> daemonSets;
  private String written;

  DaemonSetMirror(ClaimStore store, Supplier<List<DaemonSet>> daemonSets) {
    this.store = store;
    this.daemonSets = daemonSets;
  }

  synchronized void changed() {
    String json;
    try {
      json = new DaemonSets(LiveCluster.templates(daemonSets.get())).toJson();
    } catch (IllegalArgumentException e) {
      LOG.atWarn().setMessage("DaemonSets not mirrored: one cannot be read").addKeyValue("reason", e.getMessage())
          .log();
      return;
    }
    if (json.equals(written)) {
      return;
    }
    try {
      store.putDaemonSets(json);
      written = json;
    } catch (RuntimeException e) {
      // the informer's next resync calls again
      LOG.atWarn().setMessage("DaemonSets not mirrored").addKeyValue("error", e.getMessage()).log();
    }
  }
}
