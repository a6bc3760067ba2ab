package dev.flotilla.forwarder;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.flotilla.manifest.Manifest;
import dev.flotilla.manifest.NodePoolReader;
import dev.flotilla.nodepool.NodePoolStore;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the table's NodePools those of the cluster: an informer on {@code nodepools.flotilla.dev} (Karpenter's
 * {@code karpenter.sh} NodePools are left to Karpenter), and on every change, once listed, each pool read by the
 * functions' own reader; those it accepts are stored together, the others are not, and each pool's status says
 * which (condition {@code Ready}), with an Event for a pool rejected. The status also carries what the pool's nodes
 * add up to, from {@code usage}.
 */
final class NodePoolSync implements AutoCloseable {

  static final ResourceDefinitionContext NODEPOOLS = new ResourceDefinitionContext.Builder().withGroup("flotilla.dev")
      .withVersion("v1").withKind("NodePool").withPlural("nodepools").withNamespaced(false).build();
  /** Events about cluster-scoped objects go to the default namespace, as the API server's own do. */
  static final String EVENT_NAMESPACE = "default";

  private static final Logger LOG = LoggerFactory.getLogger(NodePoolSync.class);
  // keys sorted, so that the same pool always makes the same document and a resync moves no version
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private final KubernetesClient client;
  private final NodePoolStore store;
  private final Duration resync;
  private final Clock clock;
  private final Supplier<Map<String, PoolUsage>> usage;
  private Map<String, PoolUsage> lastUsage = Map.of();
  /** The rejection last reported per pool, so that a resync repeats no Event. */
  private final Map<String, String> reported = new HashMap<>();
  /** Per pool, the last status written and what the server kept of it; passes run one at a time. */
  private final Map<String, Written> written = new HashMap<>();
  private final java.util.concurrent.atomic.AtomicBoolean writeAgain = new java.util.concurrent.atomic.AtomicBoolean();
  /** The pools whose pruned status was warned about, so that each is warned about once. */
  private final java.util.Set<String> prunedReported = new java.util.HashSet<>();
  private SharedIndexInformer<GenericKubernetesResource> informer;
  private volatile boolean closed;
  // the work calls the API server and the table: never on the informer's or the HTTP client's threads, which the
  // answers to those calls need
  private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "nodepool-sync");
    t.setDaemon(true);
    return t;
  });
  private final AtomicBoolean due = new AtomicBoolean();
  // read by the node labeller, on the same worker, and by the commands' threads
  private volatile Map<String, Map<String, String>> templateLabels = Map.of();
  private final java.util.concurrent.CompletableFuture<Void> firstPass = new java.util.concurrent.CompletableFuture<>();
  private final Duration statusInterval;

  /**
   * @param usage          what each pool's nodes add up to now, by pool name
   * @param statusInterval how often the status is brought up to date with the nodes when no pool changes
   */
  NodePoolSync(KubernetesClient client, NodePoolStore store, Duration resync, Clock clock,
      Supplier<Map<String, PoolUsage>> usage, Duration statusInterval) {
    this.client = client;
    this.store = store;
    this.resync = resync;
    this.clock = clock;
    this.usage = usage;
    this.statusInterval = statusInterval;
  }

  NodePoolSync start() {
    informer = client.genericKubernetesResources(NODEPOOLS).runnableInformer(resync.toMillis())
        .exceptionHandler((started, t) -> {
          // a cluster without the CRD yet: keep trying, with the client's backoff, rather than stop watching
          if (!closed) {
            LOG.atWarn().setMessage("watching NodePools failed; trying again").addKeyValue("error", t.getMessage())
                .log();
          }
          return !closed;
        });
    informer.addEventHandler(new OnAnyChange<>(this::request));
    // until the first list is complete, the informer's view is partial: storing it would delete pools
    informer.start().thenRun(this::request);
    worker.scheduleWithFixedDelay(() -> {
      // a status the server pruned is tried once more each interval: the CRD may have been upgraded since, which
      // brings no event on the pools
      writeAgain.set(true);
      request();
    }, statusInterval.toMillis(), statusInterval.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /** Asks for one pass; passes asked for while one is queued make no more. */
  private void request() {
    if (!closed && due.compareAndSet(false, true)) {
      worker.execute(() -> {
        due.set(false);
        try {
          changed();
        } catch (RuntimeException e) {
          LOG.atWarn().setMessage("NodePool pass failed").addKeyValue("error", e.getMessage()).log();
        }
      });
    }
  }

  boolean synced() {
    return informer != null && informer.hasSynced();
  }

  /** Stores every readable pool and writes each pool's status; called on every change and every resync. */
  synchronized void changed() {
    if (closed || !synced()) {
      return;
    }
    Map<String, String> valid = new TreeMap<>();
    Map<String, String> rejected = new LinkedHashMap<>();
    Map<String, Map<String, String>> labels = new HashMap<>();
    List<GenericKubernetesResource> pools = informer.getStore().list();
    for (GenericKubernetesResource pool : pools) {
      String name = pool.getMetadata().getName();
      String document = document(pool);
      try {
        labels.put(name, NodePoolReader.read(Manifest.parse("NodePool " + name, document)).stream().findFirst()
            .map(dev.flotilla.nodepool.NodePool::labels).orElse(Map.of()));
        valid.put(name, document);
      } catch (IllegalArgumentException e) {
        rejected.put(name, e.getMessage());
      }
    }
    String stored = null;
    try {
      store.replace(valid);
    } catch (RuntimeException e) {
      // the next change or resync writes again
      stored = "NodePools not written to the table: " + e.getMessage();
      LOG.atWarn().setMessage("NodePools not stored").addKeyValue("error", e.getMessage()).log();
    }
    templateLabels = Map.copyOf(labels);
    firstPass.complete(null);
    reported.keySet().retainAll(rejected.keySet());
    written.keySet().retainAll(pools.stream().map(p -> p.getMetadata().getName()).toList());
    if (writeAgain.getAndSet(false)) {
      // what was sent and kept is forgotten, so a pruned status is tried once more; the version each went out over
      // stays, so a tick pass queued just after a write does not send it again over the same version
      written.replaceAll((name, w) -> new Written(null, null, w.over(), w.answered()));
    }
    Map<String, PoolUsage> used = usage();
    for (GenericKubernetesResource pool : pools) {
      String name = pool.getMetadata().getName();
      String reason = rejected.get(name);
      if (reason != null && !reason.equals(reported.get(name))) {
        warn(pool, reason);
        reported.put(name, reason);
      }
      writeStatus(pool, used.getOrDefault(name, PoolUsage.NONE), reason == null ? stored : reason,
          reason != null ? "Invalid" : stored != null ? "NotStored" : "Stored");
    }
  }

  /** Done once a pass has read the cluster's NodePools whole: their template labels are known from then on. */
  java.util.concurrent.CompletableFuture<Void> firstPass() {
    return firstPass;
  }

  /** A valid pool's template labels, as of the last pass; empty for a pool not known or not valid. */
  Map<String, String> templateLabels(String pool) {
    return templateLabels.getOrDefault(pool, Map.of());
  }

  /** The pool as the functions read it: what the reader looks at, without status or server-side metadata. */
  static String document(GenericKubernetesResource pool) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("apiVersion", pool.getApiVersion());
    doc.put("kind", pool.getKind());
    doc.put("metadata", Map.of("name", pool.getMetadata().getName()));
    Object spec = pool.getAdditionalProperties().get("spec");
    doc.put("spec", spec == null ? Map.of() : spec);
    try {
      return JSON.writeValueAsString(doc);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("NodePool " + pool.getMetadata().getName() + " cannot be written as JSON", e);
    }
  }

  /** What the pools use now; when that cannot be read, what was read last rather than zeros. */
  private Map<String, PoolUsage> usage() {
    try {
      lastUsage = usage.get();
    } catch (RuntimeException e) {
      LOG.atWarn().setMessage("NodePool usage not read; the status keeps the last").addKeyValue("error",
          e.getMessage()).log();
    }
    return lastUsage;
  }

  private void writeStatus(GenericKubernetesResource pool, PoolUsage used, String problem, String reason) {
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("resources", used.resources());
    status.put("pricePerHour", used.pricePerHourText());
    if (!used.claims().isEmpty()) {
      status.put("claims", used.claims());
    }
    boolean ready = problem == null;
    Map<String, Object> condition = new LinkedHashMap<>();
    condition.put("type", "Ready");
    condition.put("status", ready ? "True" : "False");
    condition.put("reason", reason);
    condition.put("message", ready ? "stored for the functions to plan with" : problem);
    condition.put("lastTransitionTime", transitionTime(pool, ready ? "True" : "False"));
    if (pool.getMetadata().getGeneration() != null) {
      condition.put("observedGeneration", pool.getMetadata().getGeneration());
    }
    status.put("conditions", List.of(condition));
    String wanted = comparable(status);
    String have = comparable(pool.getAdditionalProperties().get("status"));
    if (Objects.equals(wanted, have)) {
      return;
    }
    Written last = written.get(pool.getMetadata().getName());
    if (last != null && Objects.equals(last.wanted(), wanted) && Objects.equals(last.kept(), have)) {
      // the server kept less of this very status than was sent: sending it again would only answer the same, and
      // the write's own update event would bring it back here, round after round
      return;
    }
    if (last != null && Objects.equals(last.over(), pool.getMetadata().getResourceVersion())
        && last.answered() != null && !last.answered().equals(last.over())) {
      // a status went out over this version of the pool and made a newer one, which the informer has not brought yet
      // (a pass queued before the write ran): that version's update event brings the pool back here, to be compared
      // then. Written again now it would conflict, or with a condition stamped anew (its transition time is now's
      // where the version read has no status yet) overwrite the first with a status that differs by that time only.
      // A write the server answered without a new version (nothing changed) brings no event, and is not waited on
      return;
    }
    try {
      GenericKubernetesResource next = new GenericKubernetesResource();
      next.setApiVersion(pool.getApiVersion());
      next.setKind(pool.getKind());
      next.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
          .withName(pool.getMetadata().getName())
          .withResourceVersion(pool.getMetadata().getResourceVersion()).build());
      next.setAdditionalProperty("spec", pool.getAdditionalProperties().get("spec"));
      next.setAdditionalProperty("status", status);
      GenericKubernetesResource answer = client.genericKubernetesResources(NODEPOOLS).resource(next).updateStatus();
      String kept = comparable(answer == null ? null : answer.getAdditionalProperties().get("status"));
      String answered = answer == null || answer.getMetadata() == null ? null
          : answer.getMetadata().getResourceVersion();
      written.put(pool.getMetadata().getName(), new Written(wanted, kept, pool.getMetadata().getResourceVersion(),
          answered));
      if (!wanted.equals(kept) && prunedReported.add(pool.getMetadata().getName())) {
        LOG.atWarn().setMessage("the API server drops part of the NodePool status: the NodePool CRD in the cluster is"
            + " older than this forwarder; apply the chart's crds/ (helm upgrade does not update CRDs)")
            .addKeyValue("nodePool", pool.getMetadata().getName()).addKeyValue("sent", wanted)
            .addKeyValue("kept", kept).log();
      }
    } catch (KubernetesClientException e) {
      // a conflict means the pool changed meanwhile: its update event writes the status again
      LOG.atDebug().setMessage("NodePool status not written").addKeyValue("nodePool", pool.getMetadata().getName())
          .addKeyValue("error", e.getMessage()).log();
    }
  }

  /**
   * A status sent to a pool and what the server kept of it, as {@link #comparable} text (null once a tick asks for
   * the status again), the pool's resource version it was written over and the one the server answered with.
   */
  private record Written(String wanted, String kept, String over, String answered) {}

  /** The condition's transition time stays while its status does, as Kubernetes conditions keep it. */
  private String transitionTime(GenericKubernetesResource pool, String conditionStatus) {
    Object status = pool.getAdditionalProperties().get("status");
    if (status instanceof Map<?, ?> s && s.get("conditions") instanceof List<?> conditions) {
      for (Object c : conditions) {
        if (c instanceof Map<?, ?> m && "Ready".equals(m.get("type")) && conditionStatus.equals(m.get("status"))
            && m.get("lastTransitionTime") != null) {
          return m.get("lastTransitionTime").toString();
        }
      }
    }
    return clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
  }

  /** A status as JSON text with sorted keys, so that one read back from the server compares equal to one built. */
  private static String comparable(Object status) {
    if (status == null) {
      return null;
    }
    try {
      return JSON.writeValueAsString(JSON.readTree(JSON.writeValueAsString(status)));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return null;
    }
  }

  private void warn(GenericKubernetesResource pool, String reason) {
    LOG.atWarn().setMessage("NodePool rejected").addKeyValue("nodePool", pool.getMetadata().getName())
        .addKeyValue("reason", reason).log();
    String now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    try {
      client.v1().events().inNamespace(EVENT_NAMESPACE).resource(new EventBuilder()
          // named as kubectl's events are, the object's name and a unique suffix
          .withNewMetadata().withName(pool.getMetadata().getName() + "." + Long.toHexString(System.nanoTime()))
          .withNamespace(EVENT_NAMESPACE).endMetadata()
          .withNewInvolvedObject().withApiVersion(pool.getApiVersion()).withKind(pool.getKind())
          .withName(pool.getMetadata().getName()).withUid(pool.getMetadata().getUid())
          .withResourceVersion(pool.getMetadata().getResourceVersion()).endInvolvedObject()
          .withType("Warning").withReason("InvalidNodePool").withMessage(reason)
          .withNewSource().withComponent("flotilla-forwarder").endSource()
          .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
          .build()).create();
    } catch (KubernetesClientException e) {
      LOG.atWarn().setMessage("Event not recorded").addKeyValue("nodePool", pool.getMetadata().getName())
          .addKeyValue("error", e.getMessage()).log();
    }
  }

  @Override
  public void close() {
    closed = true;
    worker.shutdownNow();
    if (informer != null) {
      informer.close();
    }
    // a status write under way finishes (its calls have timeouts) before the client it uses may be closed
    try {
      worker.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
