package dev.flotilla.forwarder;

import dev.flotilla.contracts.PodsPending;
import dev.flotilla.events.BusEvent;
import dev.flotilla.events.EventPublisher;
import dev.flotilla.model.PendingPod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects pending pods into batches: a batch closes after {@code idle} without a new pod or {@code max} in all,
 * then goes out as one {@code Pods Pending} event (see {@link PodsPending}: pod kinds with their pods' names, under
 * EventBridge's 256 KB entry limit). A pod added twice in
 * one batch is sent once; a batch that cannot be published is kept and sent with the next one, so no pod is lost.
 */
public final class PendingBatch implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PendingBatch.class);

  private final String cluster;
  private final EventPublisher publisher;
  private final Duration idle;
  private final Duration max;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "pending-batch");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, PendingPod> open = new LinkedHashMap<>();
  private long openedAt;
  private ScheduledFuture<?> flush;

  PendingBatch(String cluster, EventPublisher publisher, Duration idle, Duration max) {
    this.cluster = cluster;
    this.publisher = publisher;
    this.idle = idle;
    this.max = max;
  }

  synchronized void add(PendingPod pod) {
    long now = System.nanoTime();
    if (open.isEmpty()) {
      openedAt = now;
    }
    open.put(pod.name(), pod);
    if (flush != null) {
      flush.cancel(false);
    }
    long untilMax = openedAt + max.toNanos() - now;
    flush = timer.schedule(this::flush, Math.max(0, Math.min(idle.toNanos(), untilMax)), TimeUnit.NANOSECONDS);
  }

  synchronized void remove(String podName) {
    open.remove(podName);
  }

  /** How many pods the open batch holds. */
  synchronized int size() {
    return open.size();
  }

  /** Sends the open batch now. */
  void flush() {
    List<PendingPod> pods;
    synchronized (this) {
      if (open.isEmpty()) {
        return;
      }
      pods = new ArrayList<>(open.values());
    }
    List<BusEvent> events = events(cluster, pods);
    try {
      publisher.publish(events);
      synchronized (this) {
        pods.forEach(p -> open.remove(p.name(), p));
      }
      LOG.atInfo().setMessage("pods pending sent").addKeyValue("pods", pods.size())
          .addKeyValue("events", events.size()).log();
    } catch (RuntimeException e) {
      // kept: the next batch carries them
      LOG.atWarn().setMessage("pods pending not sent; kept for the next batch").addKeyValue("pods", pods.size())
          .addKeyValue("error", e.getMessage()).log();
    }
  }

  /**
   * The batch as Pods Pending events: one event, pod kinds with their pods' names, so that the provisioner plans the
   * batch as one. Only a batch whose kinds exceed an entry together is split, between whole kinds, and logged: its
   * parts are planned apart, each kind whole in one of them.
   */
  public static List<BusEvent> events(String cluster, List<PendingPod> pods) {
    String batch = UUID.randomUUID().toString();
    List<BusEvent> events = PodsPending.events(cluster, batch, pods);
    if (events.size() > 1) {
      LOG.atWarn().setMessage("pods pending batch exceeds one entry; sent in parts of whole kinds, planned apart")
          .addKeyValue("batchId", batch).addKeyValue("pods", pods.size()).addKeyValue("parts", events.size()).log();
    }
    return events;
  }

  @Override
  public void close() {
    flush();
    timer.shutdownNow();
  }
}
