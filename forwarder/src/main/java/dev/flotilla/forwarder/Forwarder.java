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
 * SIGTERM stops watching and sends the open batch first.
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
  private volatile ClusterWatch watch;

  Forwarder(KubernetesClient client, Settings settings, EventPublisher publisher, CommandQueue queue,
      dev.flotilla.claims.ClaimStore mirrorTo) {
    this.mirrorTo = mirrorTo;
    this.client = client;
    this.settings = settings;
    this.publisher = publisher;
    this.queue = queue;
  }

  boolean leading() {
    return leading.get();
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
    LOG.atInfo().setMessage("leading: watching the cluster").addKeyValue("identity", settings.identity()).log();
    watch = new ClusterWatch(client, settings.cluster(), publisher, settings.idle(), settings.max(),
        Duration.ofMinutes(5), mirrorTo).start();
    leading.set(true);
    CommandExecutor executor = new CommandExecutor(client, settings.cluster(), queue, publisher, Clock.systemUTC(),
        Duration.ofMillis(500), watch::podsOn);
    Thread.ofPlatform().name("command-executor").daemon().start(() -> {
      while (leading.get() && !stopping.get()) {
        try {
          executor.pollOnce(Duration.ofSeconds(20));
        } catch (RuntimeException e) {
          LOG.atWarn().setMessage("command poll failed").addKeyValue("error", e.getMessage()).log();
          sleep(Duration.ofSeconds(2));
        }
      }
    });
  }

  private void standDown() {
    leading.set(false);
    stop();
    if (!stopping.get()) {
      LOG.atWarn().setMessage("lost leadership; exiting so that a standby takes over").log();
      System.exit(1);
    }
  }

  /** Stops watching and sends the open batch. */
  void stop() {
    stopping.set(true);
    ClusterWatch w = watch;
    if (w != null) {
      w.close();
    }
  }

  public static void main(String[] args) throws Exception {
    Settings settings = Settings.fromEnvironment(System.getenv());
    AwsClients aws = AwsClients.fromEnvironment();
    KubernetesClient client = new KubernetesClientBuilder().build();
    Forwarder forwarder = new Forwarder(client, settings, new EventBridgePublisher(aws.events(), settings.bus()),
        new SqsCommandQueue(aws.sqs(), settings.commandQueueUrl()), new dev.flotilla.aws.DynamoClaimStore(
            aws.dynamo(), System.getenv().getOrDefault("FLOTILLA_TABLE", "flotilla"), settings.cluster(),
            Clock.systemUTC()));
    try (HealthServer health = new HealthServer(8081, () -> true)) {
      Runtime.getRuntime().addShutdownHook(new Thread(forwarder::stop, "forwarder-shutdown"));
      LOG.atInfo().setMessage("forwarder started").addKeyValue("cluster", settings.cluster())
          .addKeyValue("health", health.port()).log();
      forwarder.run().join();
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
