package dev.flotilla.forwarder;

import dev.flotilla.contracts.Envelope;
import dev.flotilla.events.BusEvent;
import dev.flotilla.events.EventPublisher;
import dev.flotilla.model.PendingPod;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The forwarder's eyes: informers on pods (all namespaces) and nodes, with a periodic resync; with a table to mirror
 * into, also budgets (for the node states) and DaemonSets (for every plan's per-node room). Provisionable pods go
 * to the pending batch (and, with a table, to the pending pods' mirror); a pod that stops being provisionable leaves
 * it. Because an informer lists everything when it starts and again on every resync, whatever is still pending after
 * a restart or a lost watch is sent again; the provisioner drops pods already reserved, so a resend never launches
 * twice.
 */
public final class ClusterWatch implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterWatch.class);

  private final KubernetesClient client;
  private final String cluster;
  private final EventPublisher publisher;
  private final PendingBatch batch;
  private final Duration resync;
  private SharedIndexInformer<Pod> pods;
  private SharedIndexInformer<Node> nodes;
  private SharedIndexInformer<io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget> budgets;
  private SharedIndexInformer<io.fabric8.kubernetes.api.model.apps.DaemonSet> daemonSets;
  private SharedIndexInformer<io.fabric8.kubernetes.api.model.PersistentVolumeClaim> claims;
  private SharedIndexInformer<io.fabric8.kubernetes.api.model.PersistentVolume> volumes;
  /** A pending pod's bound volumes' zones, from the claims' and volumes' caches. */
  private final VolumeZones volumeZones = new VolumeZones(key -> claims.getStore().getByKey(key),
      name -> volumes.getStore().getByKey(name));
  private final dev.flotilla.claims.ClaimStore mirrorTo;
  private NodeMirror mirror;
  /** The pods pending, mirrored for consolidation's check; null without a table. */
  private volatile PendingMirror pendingMirror;
  private volatile CompletableFuture<Void> listed = new CompletableFuture<>();
  private volatile boolean closed;
  private final PodEvents events;
  /** The pods told already that their spec cannot be read, with the reason they were told. */
  private final Map<String, String> unreadableNoticed = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.concurrent.ExecutorService notices = java.util.concurrent.Executors.newSingleThreadExecutor(
      r -> {
        Thread t = new Thread(r, "pod-notices");
        t.setDaemon(true);
        return t;
      });

  public ClusterWatch(KubernetesClient client, String cluster, EventPublisher publisher, Duration idle, Duration max,
      Duration resync) {
    this(client, cluster, publisher, idle, max, resync, null);
  }

  /** @param mirrorTo where each node's state is mirrored for consolidation; null for none */
  public ClusterWatch(KubernetesClient client, String cluster, EventPublisher publisher, Duration idle, Duration max,
      Duration resync, dev.flotilla.claims.ClaimStore mirrorTo) {
    this.mirrorTo = mirrorTo;
    this.client = client;
    this.cluster = cluster;
    this.publisher = publisher;
    this.batch = new PendingBatch(cluster, publisher, idle, max);
    this.resync = resync;
    this.events = PodEvents.ofThisPod(client, java.time.Clock.systemUTC());
  }

  static final String BY_NODE = "byNode";
  static final String BY_NOMINATED = "byNominatedNode";

  /** How often the node mirror writes one node at most. */
  public static final Duration MIRROR_INTERVAL = Duration.ofSeconds(10);
  /** How often the node mirror looks for nodes changed since it last wrote them. */
  public static final Duration MIRROR_TICK = Duration.ofSeconds(1);
  /** How often the pending pods' mirror is written at most; a pod pending for less may be missed by a check. */
  public static final Duration PENDING_INTERVAL = Duration.ofSeconds(5);

  public ClusterWatch start() {
    return start(MIRROR_INTERVAL, MIRROR_TICK);
  }

  /** Starts with the node mirror writing a node at most every {@code mirrorInterval}, checking every {@code tick}. */
  ClusterWatch start(Duration mirrorInterval, Duration tick) {
    if (mirrorTo != null) {
      // before any pod is judged: each provisionable pod is the mirror's as it is the batch's. Written only once the
      // first list is done; the handlers may still be going through the pods it listed, so the document says when
      // that was, and a reader trusts an absence only in a document written well after
      pendingMirror = new PendingMirror(mirrorTo, java.time.Clock.systemUTC(),
          () -> listed.isDone() && !listed.isCompletedExceptionally(), PENDING_INTERVAL, tick);
    }
    budgets = client.policy().v1().podDisruptionBudget().inAnyNamespace().runnableInformer(resync.toMillis())
        .exceptionHandler(this::retry);
    budgets.addEventHandler(new OnAnyChange<>(this::allNodesChanged));
    CompletableFuture<Void> budgetsListed = budgets.start().toCompletableFuture();
    // a pending pod's bound volumes hold it to their zones: claims and volumes are listed before any pod is judged
    claims = client.persistentVolumeClaims().inAnyNamespace().runnableInformer(resync.toMillis())
        .exceptionHandler(this::retry);
    volumes = client.persistentVolumes().runnableInformer(resync.toMillis()).exceptionHandler(this::retry);
    CompletableFuture<Void> volumesListed = CompletableFuture.allOf(claims.start().toCompletableFuture(),
        volumes.start().toCompletableFuture());
    // listed in pages, so that the first list of a big cluster never holds every pod twice
    pods = client.pods().inAnyNamespace().withLimit(500L).runnableInformer(resync.toMillis())
        .itemStore(CompactItemStore.pods(client.getKubernetesSerialization())).removeNamespaceIndex()
        .exceptionHandler(this::retry);
    pods.addIndexers(java.util.Map.of(BY_NODE, pod -> pod.getSpec() == null || pod.getSpec().getNodeName() == null
        ? List.of() : List.of(pod.getSpec().getNodeName()),
        BY_NOMINATED, pod -> pod.getStatus() == null || pod.getStatus().getNominatedNodeName() == null
            || pod.getStatus().getNominatedNodeName().isEmpty()
            ? List.of() : List.of(pod.getStatus().getNominatedNodeName())));
    pods.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod pod) {
        consider(pod);
        nodeChanged(pod);
      }

      @Override
      public void onUpdate(Pod before, Pod after) {
        if (before == after) {
          // a resync: the store handed out the pod's identity, the whole pod is read one at a time
          Pod whole = pods.getStore().getByKey(key(after));
          if (whole != null) {
            consider(whole);
            nodeChanged(whole);
          }
          return;
        }
        consider(after);
        nodeChanged(before);
        nodeChanged(after);
      }

      @Override
      public void onDelete(Pod pod, boolean finalStateUnknown) {
        synchronized (considering) {
          batch.remove(key(pod));
          notPending(key(pod));
        }
        nodeChanged(pod);
      }
    });
    nodes = client.nodes().runnableInformer(resync.toMillis())
        .itemStore(CompactItemStore.nodes(client.getKubernetesSerialization())).exceptionHandler(this::retry);
    nodes.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Node node) {
        if (mirror != null) {
          mirror.changed(node.getMetadata().getName());
        }
        NodeEvents.instanceId(node).ifPresent(id -> {
          publish(NodeEvents.event(Envelope.NODE_REGISTERED, cluster, node, id));
          if (NodeEvents.ready(node)) {
            publish(NodeEvents.event(Envelope.NODE_READY, cluster, node, id));
          }
        });
      }

      // a resync hands each node's identity twice: the mirror looks again, and no node becomes Ready from it
      @Override
      public void onUpdate(Node before, Node after) {
        if (mirror != null) {
          mirror.changed(after.getMetadata().getName());
        }
        if (!NodeEvents.ready(before) && NodeEvents.ready(after)) {
          NodeEvents.instanceId(after).ifPresent(id ->
              publish(NodeEvents.event(Envelope.NODE_READY, cluster, after, id)));
        }
      }

      @Override
      public void onDelete(Node node, boolean finalStateUnknown) {
        if (mirror != null) {
          mirror.deleted(node.getMetadata().getName());
        }
        NodeEvents.instanceId(node).ifPresent(id ->
            publish(NodeEvents.event(Envelope.NODE_DELETED, cluster, node, id)));
        // the pods nominated to it wait for nothing now
        pods.getIndexer().byIndex(BY_NOMINATED, node.getMetadata().getName()).forEach(p -> reconsider(key(p)));
      }
    });
    // nodes first: a pod nominated to a node is judged by whether the cluster has the node, so pods are listed only
    // once the node cache answers for the whole cluster
    CompletableFuture<Void> podsListed = CompletableFuture.allOf(nodes.start().toCompletableFuture(), volumesListed)
        .thenComposeAsync(v -> closed
        ? CompletableFuture.<Void>failedFuture(new java.util.concurrent.CancellationException("closed before pods were listed"))
        : pods.start().toCompletableFuture());
    listed = CompletableFuture.allOf(budgetsListed, podsListed);
    if (mirrorTo != null) {
      daemonSets = client.apps().daemonSets().inAnyNamespace().runnableInformer(resync.toMillis());
      DaemonSetMirror daemonSetMirror = new DaemonSetMirror(mirrorTo, () -> daemonSets.getStore().list());
      daemonSets.addEventHandler(new OnAnyChange<>(daemonSetMirror::changed));
      daemonSets.start();
      mirror = new NodeMirror(mirrorTo, name -> nodes.getStore().getByKey(name), this::podsOn,
          () -> budgets.getStore().list(), this::synced, volumeZones::of, mirrorInterval, tick);
      nodes.getStore().listKeys().forEach(mirror::changed);
    }
    return this;
  }

  /**
   * An informer whose first list fails tries again (with the client's backoff) rather than stopping with an empty
   * cache: a drain reading an empty cache would find the node empty. Once started, fabric8's own rule holds.
   */
  private boolean retry(boolean started, Throwable t) {
    if (started) {
      return !(t instanceof io.fabric8.kubernetes.client.WatcherException);
    }
    if (!closed) {
      LOG.atWarn().setMessage("listing the cluster failed; trying again").addKeyValue("error", t.getMessage()).log();
    }
    return !closed;
  }

  /**
   * Whether pods, nodes, budgets, volume claims and volumes have all been listed, so that the caches answer for the
   * whole cluster.
   */
  public boolean synced() {
    return budgets != null && budgets.hasSynced() && pods != null && pods.hasSynced() && nodes != null
        && nodes.hasSynced() && claims != null && claims.hasSynced() && volumes != null && volumes.hasSynced();
  }

  /**
   * Completes once budgets, nodes, volume claims, volumes and pods have first been listed; fails if the watch is
   * closed before.
   */
  public CompletableFuture<Void> listed() {
    return listed;
  }

  /** How many pending pods wait in the open batch, not yet sent. */
  int batched() {
    return batch.size();
  }

  private void nodeChanged(Pod pod) {
    if (mirror != null && pod.getSpec() != null && pod.getSpec().getNodeName() != null) {
      mirror.changed(pod.getSpec().getNodeName());
    }
  }

  private void allNodesChanged() {
    if (mirror != null && nodes != null) {
      nodes.getStore().listKeys().forEach(mirror::changed);
    }
  }

  /** The pods bound to a node, from the informer's cache (an index, not a list call). */
  public List<Pod> podsOn(String node) {
    return pods.getIndexer().byIndex(BY_NODE, node);
  }

  /** A node from the informer's cache, or null when the cluster has none of that name. */
  public Node node(String name) {
    return nodes.getStore().getByKey(name);
  }

  private final Object considering = new Object();

  /** A nomination to this node holds a pod back: the node is in the cache (pods are listed only after nodes). */
  private boolean nominationStands(String node) {
    return node(node) != null;
  }

  /** How many pods the watch holds, without rebuilding them. */
  public int podCount() {
    return pods.getIndexer().listKeys().size();
  }

  /**
   * Adds the pod to the batch or takes it out. Pod events and node deletions call it from different threads: each
   * decision is made and applied under one lock, so one made on an older copy of the pod never lands after one made on
   * a newer ({@link #reconsider} reads the pod afresh inside it; the informer stores a pod before its handlers run).
   */
  private void consider(Pod pod) {
    synchronized (considering) {
      if (PodFacts.provisionable(pod, this::nominationStands)) {
        try {
          PendingPod pending = PodFacts.pending(pod, volumeZones.of(pod));
          batch.add(pending);
          if (pendingMirror != null) {
            pendingMirror.pending(pending);
          }
        } catch (IllegalArgumentException e) {
          LOG.atWarn().setMessage("pod not forwarded: its spec cannot be read").addKeyValue("pod", key(pod))
              .addKeyValue("reason", e.getMessage()).log();
          notPending(key(pod));
          noticeUnreadable(pod, e.getMessage());
        }
      } else {
        batch.remove(key(pod));
        notPending(key(pod));
      }
    }
  }

  private void notPending(String key) {
    if (pendingMirror != null) {
      pendingMirror.gone(key);
    }
  }

  /**
   * Tells the pod's user why Flotilla plans nothing for it: a {@code FailedProvisioning} Warning naming the field,
   * once per pod and reason (the pod's updates and resyncs bring it here again and again). Recorded off the
   * informer's thread, which must never wait on the API server.
   */
  private void noticeUnreadable(Pod pod, String reason) {
    String key = key(pod) + "/" + pod.getMetadata().getUid();
    if (reason.equals(unreadableNoticed.put(key, reason))) {
      return;
    }
    if (unreadableNoticed.size() > 10_000) {
      unreadableNoticed.clear();
    }
    notices.execute(() -> {
      try {
        events.record(pod, "Warning", "FailedProvisioning", "Flotilla cannot plan for the pod: " + reason, reason);
      } catch (RuntimeException e) {
        LOG.atWarn().setMessage("FailedProvisioning event not recorded").addKeyValue("pod", key(pod))
            .addKeyValue("error", e.getMessage()).log();
      }
    });
  }

  /** {@link #consider} for the pod as the cache holds it now; gone from the cache, it leaves the batch. */
  private void reconsider(String key) {
    synchronized (considering) {
      Pod now = pods.getStore().getByKey(key);
      if (now == null) {
        batch.remove(key);
        notPending(key);
      } else {
        consider(now);
      }
    }
  }

  private void publish(BusEvent event) {
    try {
      publisher.publish(List.of(event));
    } catch (RuntimeException e) {
      // the next resync's list brings the node again; registration events are idempotent downstream
      LOG.atWarn().setMessage("node event not sent").addKeyValue("detailType", event.detailType())
          .addKeyValue("error", e.getMessage()).log();
    }
  }

  private static String key(Pod pod) {
    return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
  }

  /** Stops watching and sends the open batch (graceful shutdown). */
  @Override
  public void close() {
    closed = true;
    notices.shutdown();
    if (mirror != null) {
      mirror.close();
    }
    if (pendingMirror != null) {
      pendingMirror.close();
    }
    if (budgets != null) {
      budgets.close();
    }
    if (claims != null) {
      claims.close();
    }
    if (volumes != null) {
      volumes.close();
    }
    if (daemonSets != null) {
      daemonSets.close();
    }
    if (pods != null) {
      pods.close();
    }
    if (nodes != null) {
      nodes.close();
    }
    batch.close();
  }
}
