package dev.flotilla.functions;

import dev.flotilla.aws.AwsClients;
import dev.flotilla.aws.DynamoCatalogSnapshotStore;
import dev.flotilla.aws.DynamoClaimStore;
import dev.flotilla.aws.DynamoNodePoolStore;
import dev.flotilla.aws.Ec2CloudProvider;
import dev.flotilla.aws.Ec2OfferingSource;
import dev.flotilla.aws.PriceListOnDemandPrices;
import dev.flotilla.aws.SqsCommandQueue;
import dev.flotilla.commands.Command;
import dev.flotilla.commands.CommandQueue;
import dev.flotilla.disruption.ConsolidationService;
import dev.flotilla.interruption.InterruptionService;
import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.cloud.CloudProvider;
import dev.flotilla.catalog.OfferingSource;
import dev.flotilla.catalog.SnapshotOfferingSource;
import dev.flotilla.lifecycle.GarbageCollector;
import dev.flotilla.lifecycle.Lifecycle;
import dev.flotilla.provisioning.Fanout;
import dev.flotilla.provisioning.Provisioner;
import dev.flotilla.provisioning.StaticCapacity;
import dev.flotilla.contracts.DaemonSets;
import dev.flotilla.model.PendingPod;
import dev.flotilla.nodepool.ClusterNodePools;
import dev.flotilla.nodepool.InMemoryNodePoolStore;
import dev.flotilla.nodepool.NodePoolStore;
import java.time.Clock;
import java.util.List;
import java.util.function.Supplier;

/**
 * The composition root: the services a function runs over its ports, built once per execution environment (and so
 * once per SnapStart snapshot). Lambda builds it over the AWS adapters ({@link #aws}); the simulator builds it over
 * the in-memory ports, so that what it runs is what Lambda runs. Nothing here calls AWS while it is built.
 */
public final class FlotillaServices {

  /**
   * How many of a decision's AWS calls run at once: enough for the claims of a typical burst to go out together,
   * few enough that a large plan does not meet EC2's request rate limits all at once.
   */
  static final int LAUNCH_CONCURRENCY = 8;

  /**
   * One pool per execution environment for the decisions' AWS calls that may overlap (and for the priming decision
   * that warms them); its threads are made on first use and idle between invocations.
   */
  private static final Fanout AWS_CALLS = Fanout.bounded(LAUNCH_CONCURRENCY, "flotilla-aws");

  private static volatile FlotillaServices fromEnvironment;
  /** Held here: CRaC keeps registered resources only weakly. */
  private static SnapStartPriming priming;

  final FunctionConfig config;
  final ClaimStore store;
  final CloudProvider cloud;
  final OfferingSource offerings;
  final Provisioner provisioner;
  final Lifecycle lifecycle;
  final GarbageCollector collector;
  final InterruptionService interruption;
  final ConsolidationService consolidation;
  final Fanout fanout;
  /** The NodePools every decision plans with. */
  final ClusterNodePools pools;

  public FlotillaServices(FunctionConfig config, ClaimStore store, CloudProvider cloud, OfferingSource offerings,
      CommandQueue commands, Clock clock) {
    this(config, store, cloud, offerings, commands, clock, () -> java.util.UUID.randomUUID().toString());
  }

  /** @param claimIds where new claims' ids come from: random in Lambda, a sequence where a run must replay */
  public FlotillaServices(FunctionConfig config, ClaimStore store, CloudProvider cloud, OfferingSource offerings,
      CommandQueue commands, Clock clock, Supplier<String> claimIds) {
    this(config, store, new InMemoryNodePoolStore(), cloud, offerings, commands, clock, claimIds, Fanout.SEQUENTIAL,
        dev.flotilla.cloud.NodeImages.NONE);
  }

  /**
   * @param fanout how a decision's independent port calls run (each claim's write and record, the reads before a
   *     plan): side by side in Lambda, where they wait on AWS; one by one where a run must replay
   */
  public FlotillaServices(FunctionConfig config, ClaimStore store, CloudProvider cloud, OfferingSource offerings,
      CommandQueue commands, Clock clock, Supplier<String> claimIds, Fanout fanout) {
    this(config, store, new InMemoryNodePoolStore(), cloud, offerings, commands, clock, claimIds, fanout,
        dev.flotilla.cloud.NodeImages.NONE);
  }

  /** @param images the node image each architecture launches with now: noted at launch, compared for drift */
  public FlotillaServices(FunctionConfig config, ClaimStore store, CloudProvider cloud, OfferingSource offerings,
      CommandQueue commands, Clock clock, Supplier<String> claimIds, dev.flotilla.cloud.NodeImages images) {
    this(config, store, new InMemoryNodePoolStore(), cloud, offerings, commands, clock, claimIds, Fanout.SEQUENTIAL,
        images);
  }

  public FlotillaServices(FunctionConfig config, ClaimStore store, NodePoolStore nodePools, CloudProvider cloud,
      OfferingSource offerings, CommandQueue commands, Clock clock, Supplier<String> claimIds) {
    this(config, store, nodePools, cloud, offerings, commands, clock, claimIds, Fanout.SEQUENTIAL,
        dev.flotilla.cloud.NodeImages.NONE);
  }

  /**
   * @param nodePools the cluster's NodePools as the forwarder stores them; while it holds none, decisions plan with
   *                  the configuration's (the file the stack shipped, else the default pool)
   */
  public FlotillaServices(FunctionConfig config, ClaimStore store, NodePoolStore nodePools, CloudProvider cloud,
      OfferingSource offerings, CommandQueue commands, Clock clock, Supplier<String> claimIds, Fanout fanout,
      dev.flotilla.cloud.NodeImages images) {
    this.config = config;
    this.fanout = fanout;
    this.store = store;
    this.cloud = cloud;
    this.offerings = offerings;
    // only zones the cluster has subnets in can be launched into
    OfferingSource launchable = config.subnets().isEmpty() ? offerings
        : () -> offerings.catalog().inZones(config.subnets().keySet());
    // every plan counts the room the cluster's DaemonSets take on a new node, as the forwarder last mirrored them
    Supplier<List<PendingPod>> daemonSets = () -> store.daemonSets().map(d -> DaemonSets.parse(d).templates())
        .orElse(List.of());
    this.pools = new ClusterNodePools(nodePools, config::nodePools);
    // pending pods never buy a static pool's nodes: consolidation's pass keeps those at their count
    this.provisioner = new Provisioner(store, cloud, launchable, () -> StaticCapacity.dynamic(pools.get()),
        daemonSets, clock, claimIds, fanout, commands, images, config.schedulerScoring());
    this.lifecycle = new Lifecycle(store, cloud, commands, clock, config.launchTimeout());
    this.collector = new GarbageCollector(store, cloud, lifecycle, clock, config.gcGrace());
    this.interruption = new InterruptionService(store, commands, provisioner, pools, clock);
    this.consolidation = new ConsolidationService(store, commands, provisioner, launchable, pools,
        daemonSets, images, config.network(), clock);
  }

  /** The catalog snapshot behind the offerings, where they come from one (in AWS; not over a fixed catalog). */
  java.util.Optional<SnapshotOfferingSource> catalogSnapshots() {
    return offerings instanceof SnapshotOfferingSource s ? java.util.Optional.of(s) : java.util.Optional.empty();
  }

  public Provisioner provisioner() {
    return provisioner;
  }

  public Lifecycle lifecycle() {
    return lifecycle;
  }

  public GarbageCollector collector() {
    return collector;
  }

  public InterruptionService interruption() {
    return interruption;
  }

  public ConsolidationService consolidation() {
    return consolidation;
  }

  /** The AWS-backed services for this environment: region, endpoint and names from environment variables. */
  public static FlotillaServices aws(FunctionConfig config, AwsClients aws, Clock clock) {
    // the bundled catalog is parsed only where it serves: no snapshot, or a type the snapshot lacks
    Supplier<CatalogFile> bundled = memoized(CatalogFile::bundled);
    ClaimStore store = new DynamoClaimStore(aws.dynamo(), config.table(), config.cluster(), clock);
    // the catalog APIs build the snapshot on the garbage collector's schedule (and once where none is stored), on
    // their own source: on-demand prices from the Price List for this region, the bundled us-east-1 table for what
    // it lacks; the EC2-side source and the pricing client are built on the first build, not here. Decisions read
    // the stored snapshot.
    Supplier<Ec2OfferingSource> apis = memoized(() -> new Ec2OfferingSource(aws.ec2(), bundled.get(),
        region -> new PriceListOnDemandPrices(aws.pricing()).usdPerHour(region), aws.settings().region().id(),
        store, clock));
    SnapshotOfferingSource offerings = new SnapshotOfferingSource(
        new DynamoCatalogSnapshotStore(aws.dynamo(), config.table(), config.cluster()), () -> apis.get().snapshot(),
        bundled, store, clock, Ec2OfferingSource.REFRESH);
    // a decision's claims are written, launched and recorded side by side, their waits on AWS overlapping instead
    // of adding up
    Fanout fanout = AWS_CALLS;
    // the node images as the stack's SSM parameters name them now (the deployed ones until a read succeeds): what
    // instances launch with, what their claims note, what drift compares them with
    dev.flotilla.cloud.NodeImages images = config.imageParameterByArch().isEmpty()
        ? dev.flotilla.cloud.NodeImages.of(config.imageByArch())
        : new dev.flotilla.aws.SsmNodeImages(aws.ssm(), config.imageParameterByArch(), config.imageByArch(), clock,
            dev.flotilla.aws.SsmNodeImages.REFRESH);
    CloudProvider cloud = new Ec2CloudProvider(aws.ec2(),
        new Ec2CloudProvider.Settings(config.cluster(), config.launchTemplateId(), config.subnets(),
            config.imageByArch(), type -> offerings.type(type).orElseGet(() -> bundled.get().require(type)).arch(),
            images, config.securityGroups()),
        // the price of an instance just bought: its offering was available to buy, so no read of the marks
        (type, zone, capacityType) -> offerings.catalogWithUnavailable().price(type, zone, capacityType), store,
        fanout);
    CommandQueue commands = config.commandQueueUrl().isBlank() ? new Unconfigured()
        : new SqsCommandQueue(aws.sqs(), config.commandQueueUrl());
    return new FlotillaServices(config, store, new DynamoNodePoolStore(aws.dynamo(), config.table(),
        config.cluster()), cloud, offerings, commands, clock, () -> java.util.UUID.randomUUID().toString(), fanout,
        images);
  }

  private static <T> Supplier<T> memoized(Supplier<T> make) {
    return new Supplier<>() {
      private T value;

      @Override
      public synchronized T get() {
        if (value == null) {
          value = make.get();
        }
        return value;
      }
    };
  }

  /** Without a command queue, the functions that send commands fail with the setting to fix. */
  private static final class Unconfigured implements CommandQueue {
    @Override
    public void send(List<Command> commands) {
      throw new IllegalStateException("FLOTILLA_COMMAND_QUEUE_URL is not set: commands cannot be sent");
    }

    @Override
    public List<Received> receive(int max, java.time.Duration wait) {
      throw new IllegalStateException("FLOTILLA_COMMAND_QUEUE_URL is not set");
    }

    @Override
    public void delete(String receipt) {
      throw new IllegalStateException("FLOTILLA_COMMAND_QUEUE_URL is not set");
    }

    @Override
    public void extendVisibility(String receipt, java.time.Duration visibility) {
      throw new IllegalStateException("FLOTILLA_COMMAND_QUEUE_URL is not set");
    }
  }

  /**
   * Reads the catalog snapshot (at init, so that the first decision finds it; where none is stored yet, this builds
   * and stores it, once). Never fails init: the first decision retries what failed here.
   */
  void readCatalog() {
    try {
      offerings.catalog();
    } catch (RuntimeException e) {
      org.slf4j.LoggerFactory.getLogger(FlotillaServices.class)
          .warn("catalog read at init failed ({}); the first decision retries it", e.getMessage());
    }
  }

  /**
   * Init's share of the first decision's work, on both cores: the catalog snapshot read on this thread while the
   * scheduler's paths run a representative plan over in-memory ports on another.
   */
  void prime() {
    Thread plan = startPlan();
    readCatalog();
    join(plan);
  }

  private static Thread startPlan() {
    return Thread.ofPlatform().name("flotilla-priming").start(() -> {
      try {
        SnapStartPriming.decide(SnapStartPriming.synthetic(), AWS_CALLS, false);
      } catch (RuntimeException e) {
        org.slf4j.LoggerFactory.getLogger(FlotillaServices.class).warn("priming plan failed: {}", e.toString());
      }
    });
  }

  private static void join(Thread thread) {
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The environment's services, primed for decisions (the provisioner, interruption and consolidation handlers):
   * the catalog snapshot read and the scheduler's paths run at init, and again before a SnapStart snapshot. The
   * bookkeeping functions, which read no catalog, take {@link #fromEnvironment} as it is.
   */
  static FlotillaServices forDecisions() {
    synchronized (FlotillaServices.class) {
      if (priming == null) {
        // the representative plan runs on the other core from the start of init, beside the clients' build and the
        // catalog read on this one
        long start = System.nanoTime();
        Thread plan = startPlan();
        FlotillaServices s = fromEnvironment();
        s.readCatalog();
        join(plan);
        priming = SnapStartPriming.register(s);
        // also the first use of the log's JSON encoder, which the first decision's line would otherwise pay for
        org.slf4j.LoggerFactory.getLogger(FlotillaServices.class).info("ready for decisions in {} ms: {}",
            (System.nanoTime() - start) / 1_000_000, s.catalogSnapshots().flatMap(SnapshotOfferingSource::snapshot)
                .map(snap -> "the catalog snapshot of " + snap.instanceTypes().size() + " instance types built at "
                    + snap.builtAt())
                .orElse("no catalog snapshot, the bundled catalog"));
      }
    }
    return fromEnvironment();
  }

  /** One set per execution environment, shared by the handlers a function's jar holds. */
  static FlotillaServices fromEnvironment() {
    FlotillaServices s = fromEnvironment;
    if (s == null) {
      synchronized (FlotillaServices.class) {
        if (fromEnvironment == null) {
          FlotillaServices built = aws(FunctionConfig.fromEnvironment(System.getenv()),
              AwsClients.fromEnvironment(), Clock.systemUTC());
          fromEnvironment = built;
        }
        s = fromEnvironment;
      }
    }
    return s;
  }
}
