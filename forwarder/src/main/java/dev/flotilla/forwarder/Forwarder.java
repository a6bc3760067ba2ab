package dev.flotilla.forwarder;

import dev.flotilla.aws.AwsClients;
import dev.flotilla.aws.EventBridgePublisher;
import dev.flotilla.aws.SqsCommandQueue;
import dev.flotilla.commands.CommandQueue;
import dev.flotilla.events.EventPublisher;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The forwarder process: replicas elect a leader over a Lease, and only the leader watches, forwards and executes
 * commands; the others wait to take over. Losing the lease ends the process, so Kubernetes restarts it as a standby.
 * SIGTERM gives the commands in hand back to the queue, stops watching and sends the open batch first. The leader
 * takes commands only once its watch has listed the cluster (a drain reads the pods on its node from the watch), and
 * is ready ({@code /readyz}) only from then on; a standby is ready while it waits for the lease.
 */
public final class Forwarder {

  private static final Logger LOG = LoggerFactory.getLogger(Forwarder.class);

  /** The forwarder's settings, from its environment (the Helm chart sets them). */
  record Settings(String cluster, String bus, String commandQueueUrl, String namespace, String identity,
      Duration idle, Duration max) {

    static Settings fromEnvironment(Map<String, String> env) {
      return new Settings(require(env, "FLOTILLA_CLUSTER"), env.getOrDefault("FLOTILLA_BUS", "flotilla"),
          require(env, "FLOTILLA_COMMAND_QUEUE_URL"), env.getOrDefault("POD_NAMESPACE", "flotilla"),
          env.getOrDefault("POD_NAME", "forwarder-" + ProcessHandle.current().pid()),
          Duration.ofSeconds(Long.parseLong(env.getOrDefault("FLOTILLA_BATCH_IDLE_SECONDS", "1"))),
          Duration.ofSeconds(Long.parseLong(env.getOrDefault("FLOTILLA_BATCH_MAX_SECONDS", "10"))));
    }

    private static String require(Map<String, String> env, String name) {
      String v = env.get(name);
      if (v == null || v.isBlank()) {
        throw new IllegalStateException(name + " is not set");
      }
      return v;
    }
  }

  private final KubernetesClient client;
  private final Settings settings;
  private final EventPublisher publisher;
  private final CommandQueue queue;
  private final dev.flotilla.claims.ClaimStore mirrorTo;
  private final AtomicBoolean leading = new AtomicBoolean();
  private final AtomicBoolean stopping = new AtomicBoolean();
  /** The leader's command loop is receiving. */
  private final AtomicBoolean taking = new AtomicBoolean();
  private volatile ClusterWatch watch;
  private volatile CommandExecutor executor;
  /** Where the cluster's NodePools are stored for the functions; null for none. */
  private final dev.flotilla.nodepool.NodePoolStore nodePools;
  private volatile NodePoolSync nodePoolSync;

  Forwarder(KubernetesClient client, Settings settings, EventPublisher publisher, CommandQueue queue,
      dev.flotilla.claims.ClaimStore mirrorTo) {
    this(client, settings, publisher, queue, mirrorTo, null);
  }

  Forwarder(KubernetesClient client, Settings settings, EventPublisher publisher, CommandQueue queue,
      dev.flotilla.claims.ClaimStore mirrorTo, dev.flotilla.nodepool.NodePoolStore nodePools) {
    this.nodePools = nodePools;
    this.mirrorTo = mirrorTo;
    this.client = client;
    this.settings = settings;
    this.publisher = publisher;
    this.queue = queue;
  }

  boolean leading() {
    return leading.get();
  }

  /**
   * Whether this replica can do its job: the leader once its watch has listed the cluster and its command loop runs;
   * a standby as long as it runs for the lease. The chart's readiness probe asks this; liveness asks only that the
   * process answers, so a leader still listing is not restarted.
   */
  boolean ready() {
    if (stopping.get()) {
      return false;
    }
    if (!leading.get()) {
      return true;
    }
    ClusterWatch w = watch;
    return w != null && w.synced() && taking.get();
  }

  /** Runs for leadership; returns a future that completes when this replica stops leading or standing by. */
  CompletableFuture<?> run() {
    return client.leaderElector().withConfig(new LeaderElectionConfigBuilder()
            .withName("flotilla-forwarder")
            .withLock(new LeaseLock(settings.namespace(), "flotilla-forwarder", settings.identity()))
            .withLeaseDuration(Duration.ofSeconds(15))
            .withRenewDeadline(Duration.ofSeconds(10))
            .withRetryPeriod(Duration.ofSeconds(2))
            .withReleaseOnCancel(true)
            .withLeaderCallbacks(new LeaderCallbacks(this::lead, this::standDown,
                leader -> LOG.atInfo().setMessage("leader").addKeyValue("identity", leader).log()))
            .build())
        .build().start();
  }

  private void lead() {
    leading.set(true);
    LOG.atInfo().setMessage("leading: watching the cluster").addKeyValue("identity", settings.identity()).log();
    ClusterWatch w = new ClusterWatch(client, settings.cluster(), publisher, settings.idle(), settings.max(),
        Duration.ofMinutes(5), mirrorTo).start();
    watch = w;
    CommandExecutor e = new CommandExecutor(client, settings.cluster(), queue, publisher, Clock.systemUTC(),
        Duration.ofMillis(500), w::podsOn);
    if (nodePools != null) {
      // every 30 s, one read of the claims counts each pool's for its status and puts each claim's facts on its node
      // an instance type's facts are the same in every region: the bundled catalog's, or its name's for a type it
      // lacks
      Map<String, dev.flotilla.catalog.InstanceType> types = new java.util.HashMap<>();
      dev.flotilla.catalog.CatalogFile.bundled().instanceTypes().forEach(t -> types.put(t.name(), t));
      NodeClaimLabels labels = new NodeClaimLabels(client, types::get, pool -> nodePoolSync.templateLabels(pool));
      nodePoolSync = new NodePoolSync(client, nodePools, Duration.ofMinutes(5), Clock.systemUTC(), () -> {
        java.util.List<dev.flotilla.claims.Claim> claims = mirrorTo == null ? java.util.List.of() : mirrorTo.claims();
        labels.apply(claims, w::node);
        return PoolUsages.of(claims, w::node);
      }, Duration.ofSeconds(30)).start();
      if (mirrorTo != null) {
        // a node carries its claim's labels before its taint goes: pods selecting them land at once
        e.labelBeforeLift((claimId, node) -> labels.applyNow(mirrorTo.claim(claimId), node));
      }
    }
    executor = e;
    NodePoolSync pools = nodePoolSync;
    Thread.ofPlatform().name("command-loop").daemon().start(() -> {
      try {
        w.listed().join();
      } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException stopped) {
        LOG.atInfo().setMessage("watch stopped before it listed the cluster; no commands taken").log();
        return;
      }
      if (pools != null) {
        // a Nominate labels its node with its pool's template labels: after a failover the Ready nodes' Nominates
        // wait for the pools to be read, a while at most (a cluster without the CRD has none to read)
        try {
          pools.firstPass().get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException notYet) {
          LOG.atWarn().setMessage("NodePools not read yet; commands taken without their template labels").log();
        } catch (InterruptedException stopped) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      taking.set(!stopping.get());
      try {
        while (leading.get() && !stopping.get()) {
          try {
            e.pollOnce(Duration.ofSeconds(20));
          } catch (RuntimeException failed) {
            LOG.atWarn().setMessage("command poll failed").addKeyValue("error", failed.getMessage()).log();
            sleep(Duration.ofSeconds(2));
          }
        }
      } finally {
        taking.set(false);
      }
    });
  }

  /**
   * Leadership lost: stops watching and taking commands. The elector's run then ends, and with it {@link #main}, so
   * that the kubelet starts this replica again as a standby.
   */
  private void standDown() {
    boolean shuttingDown = stopping.get();
    leading.set(false);
    stop();
    if (!shuttingDown) {
      LOG.atWarn().setMessage("lost leadership; stopping so that a standby takes over").log();
    }
  }

  /** Gives the commands in hand back, stops watching and sends the open batch. */
  void stop() {
    stopping.set(true);
    CommandExecutor e = executor;
    if (e != null) {
      e.close();
    }
    ClusterWatch w = watch;
    if (w != null) {
      w.close();
    }
    NodePoolSync pools = nodePoolSync;
    if (pools != null) {
      pools.close();
    }
  }

  public static void main(String[] args) throws Exception {
    Settings settings = Settings.fromEnvironment(System.getenv());
    AwsClients aws = AwsClients.fromEnvironment();
    KubernetesClient client = new KubernetesClientBuilder().build();
    Forwarder forwarder = new Forwarder(client, settings, new EventBridgePublisher(aws.events(), settings.bus()),
        new SqsCommandQueue(aws.sqs(), settings.commandQueueUrl()), new dev.flotilla.aws.DynamoClaimStore(
            aws.dynamo(), System.getenv().getOrDefault("FLOTILLA_TABLE", "flotilla"), settings.cluster(),
            Clock.systemUTC()), new dev.flotilla.aws.DynamoNodePoolStore(aws.dynamo(),
            System.getenv().getOrDefault("FLOTILLA_TABLE", "flotilla"), settings.cluster()));
    try (HealthServer health = new HealthServer(8081, forwarder::ready)) {
      Runtime.getRuntime().addShutdownHook(new Thread(forwarder::stop, "forwarder-shutdown"));
      LOG.atInfo().setMessage("forwarder started").addKeyValue("cluster", settings.cluster())
          .addKeyValue("health", health.port()).log();
      forwarder.run().join();
    } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
      LOG.atError().setMessage("leader election failed").addKeyValue("error", String.valueOf(e.getCause())).log();
      System.exit(1);
    }
    // the elector ran out, leadership lost: end the process whatever threads the clients left running
    System.exit(0);
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
