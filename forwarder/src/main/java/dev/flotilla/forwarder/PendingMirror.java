package dev.flotilla.forwarder;

import dev.flotilla.claims.ClaimStore;
import dev.flotilla.contracts.PendingPods;
import dev.flotilla.model.PendingPod;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mirrors the pods pending in the cluster into the table as one document ({@link PendingPods}): consolidation's check
 * queues them ahead of the pods an action displaces, as kube-scheduler does. A pod is in it once kube-scheduler has
 * marked it Unschedulable and the forwarder has seen that; the document is written at the next tick after the set
 * changed, at most once an interval ({@link ClusterWatch#PENDING_INTERVAL}; a document can hold thousands of pods),
 * and at least once every {@link PendingPods#REFRESH} even if unchanged, so that a reader can tell a quiet forwarder
 * from one gone ({@link PendingPods#STALE_AFTER}). Nothing is written before the watch's first list is done (a partial
 * set would pass for the whole); the first write after that goes out even if empty. The handlers may still be going
 * through the pods that list brought, so each document says when it was done ({@link PendingPods#listedAt}), and a
 * reader trusts the absence of a pod only in a document written well after.
 */
final class PendingMirror implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PendingMirror.class);

  private final ClaimStore store;
  private final Clock clock;
  private final BooleanSupplier listed;
  private final Map<String, PendingPod> pending = new LinkedHashMap<>();
  private boolean changed = true;
  private final long interval;
  private final long refresh;
  /** When the document was last written ({@link System#nanoTime}); none yet when null. */
  private Long written;
  /** When the pods were first found listed. */
  private java.time.Instant listedAt;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "pending-mirror");
    t.setDaemon(true);
    return t;
  });

  PendingMirror(ClaimStore store, Clock clock, BooleanSupplier listed, Duration interval, Duration tick) {
    this(store, clock, listed, interval, tick, PendingPods.REFRESH);
  }

  PendingMirror(ClaimStore store, Clock clock, BooleanSupplier listed, Duration interval, Duration tick,
      Duration refresh) {
    this.store = store;
    this.clock = clock;
    this.listed = listed;
    this.interval = interval.toNanos();
    this.refresh = refresh.toNanos();
    timer.scheduleWithFixedDelay(this::write, tick.toMillis(), tick.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The pod is pending (named {@code namespace/name}, as {@link PendingPod#name()}). */
  synchronized void pending(PendingPod pod) {
    if (!pod.equals(pending.put(pod.name(), pod))) {
      changed = true;
    }
  }

  /** The pod is no longer pending: bound, nominated, deleted, or no longer one Flotilla provisions for. */
  synchronized void gone(String key) {
    if (pending.remove(key) != null) {
      changed = true;
    }
  }

  /**
   * Writes the document if the set changed since it was last written, or to refresh it. A write that fails is made
   * again once the interval has passed, as a changed set would be (a throttled table is not written every tick).
   */
  void write() {
    List<PendingPod> pods;
    java.time.Instant since;
    synchronized (this) {
      long now = System.nanoTime();
      boolean due = written == null || changed && now - written >= interval || now - written >= refresh;
      if (!due || !listed.getAsBoolean()) {
        return;
      }
      if (listedAt == null) {
        listedAt = clock.instant();
      }
      pods = new ArrayList<>(pending.values());
      changed = false;
      written = now;
      since = listedAt;
    }
    try {
      store.putPendingPods(PendingPods.of(since, clock.instant(), pods).toJson());
    } catch (RuntimeException e) {
      // caught whatever failed: an exception would end the timer's task for good
      synchronized (this) {
        changed = true;
      }
      LOG.atWarn().setMessage("pending pods not mirrored").addKeyValue("pods", pods.size())
          .addKeyValue("error", e.getMessage()).log();
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
