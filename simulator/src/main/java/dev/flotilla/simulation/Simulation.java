package dev.flotilla.simulation;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.InstanceType;
import dev.flotilla.catalog.NodeCapacity;
import dev.flotilla.catalog.NodeLabels;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.catalog.OfferingSource;
import dev.flotilla.catalog.StaticOfferingSource;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimNodeLabels;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.cloud.CloudProvider;
import dev.flotilla.cloud.LaunchResult;
import dev.flotilla.commands.Command;
import dev.flotilla.commands.CommandQueue;
import dev.flotilla.commands.InMemoryCommandQueue;
import dev.flotilla.contracts.DaemonSets;
import dev.flotilla.contracts.PendingPods;
import dev.flotilla.contracts.Envelope;
import dev.flotilla.contracts.InterruptionEvent;
import dev.flotilla.contracts.NodeEvent;
import dev.flotilla.contracts.PodsPending;
import dev.flotilla.disruption.ConsolidationPlan;
import dev.flotilla.disruption.ConsolidationService;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.events.BusEvent;
import dev.flotilla.events.EventPublisher;
import dev.flotilla.forwarder.ClusterWatch;
import dev.flotilla.forwarder.PendingBatch;
import dev.flotilla.functions.FunctionConfig;
import dev.flotilla.interruption.InterruptionService;
import dev.flotilla.lifecycle.GarbageCollector;
import dev.flotilla.lifecycle.Lifecycle;
import dev.flotilla.manifest.Manifest;
import dev.flotilla.manifest.NodePoolReader;
import dev.flotilla.manifest.Workloads;
import dev.flotilla.binding.StartupTaint;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Taint;
import dev.flotilla.model.Toleration;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.provisioning.Provisioner;
import dev.flotilla.scheduling.Scheduler;
import dev.flotilla.scheduling.SchedulingInput;
import dev.flotilla.simulation.SimulatedCluster.Node;
import dev.flotilla.simulation.SimulatedCluster.Pod;
import dev.flotilla.time.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Runs a scenario on a discrete-event clock: the simulated cluster and EC2, the forwarder's batching windows, and the
 * real function services (provisioner, lifecycle, interruption, consolidation, garbage collector) over the in-memory
 * claim store and command queue. Events reach the services in the formats the real ones carry (the forwarder's own
 * {@code Pods Pending} chunking, the interruption events), so the run exercises what production does.
 */
public final class Simulation {

  /** Where the run reports as it goes. */
  public interface Listener {
    void notable(Duration at, String line);

    default void progress(Duration at, Duration total) {}
  }

  /** One point of the run's charts. */
  public record Sample(long second, int pending, int spotNodes, int onDemandNodes, double pricePerHour,
      double lowerBoundPerHour) {}

  /** One decision on the timeline. */
  public record Decision(long second, String text) {}

  /** An instance EC2 launched. */
  public record Launch(long second, String instanceType, CapacityType capacityType) {}

  static final String CLUSTER = "simulated";
  static final Duration BATCH_IDLE = Duration.ofSeconds(1);
  static final Duration BATCH_MAX = Duration.ofSeconds(10);
  /** How long a pod stays unsent after the forwarder sent it: the scheduler's retry updates its status. */
  static final Duration RESEND_AFTER = Duration.ofSeconds(30);
  static final Duration CONSOLIDATION_EVERY = dev.flotilla.disruption.ConsolidationService.EVERY;
  static final Duration GC_EVERY = GarbageCollector.EVERY;
  static final Duration DRAIN_TAKES = Duration.ofSeconds(15);
  /** How long one Drain command evicts for before the forwarder reports it failed (pods its budgets still hold). */
  static final Duration DRAIN_LASTS = Duration.ofMinutes(10);
  /** How soon an eviction a disruption budget refused is tried again. */
  static final Duration EVICTION_RETRY = Duration.ofSeconds(5);
  /** The forwarder lifts a node's startup taint this long after it is Ready whatever became of its nominations. */
  static final Duration STARTUP_TAINT_FALLBACK = Duration.ofSeconds(30);
  static final Duration SAMPLE_EVERY = Duration.ofSeconds(15);
  static final Duration BOUND_EVERY = Duration.ofMinutes(5);
  private static final ObjectMapper JSON = new ObjectMapper();

  private record Timed(long at, long seq, Runnable action) {}

  /** A scalable workload: its template and how many replicas it wants. */
  private static final class Workload {
    final String key;
    final PendingPod template;
    int replicas;
    int next;

    Workload(String key, PendingPod template, int replicas) {
      this.key = key;
      this.template = template;
      this.replicas = replicas;
    }
  }

  private final Scenario scenario;
  private final Listener listener;
  private final Map<String, Integer> evicted = new java.util.HashMap<>();
  private final Instant start = Instant.parse("2026-01-05T08:00:00Z");
  private final ManualClock clock = new ManualClock(start);
  private final PriorityQueue<Timed> queue = new PriorityQueue<>((a, b) -> a.at != b.at
      ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
  private long seq;
  private final SimulatedCluster cluster;
  private final InMemoryClaimStore store = new InMemoryClaimStore(clock);
  private final OfferingCatalog catalog;
  private final SimulatedEc2 ec2;
  private final CommandQueue commands = new InMemoryCommandQueue(clock, Duration.ofMinutes(6));
  private final List<NodePool> pools;
  /** When each NodePool was last edited by the scenario. */
  private final Map<String, Instant> poolEditedAt = new HashMap<>();
  private final List<PendingPod> daemonSets;
  /** What the pending pods' mirror last wrote. */
  private List<PendingPod> pendingMirrored;
  private Instant pendingMirroredAt;
  /** When the forwarder listed the cluster: the run's start, or its last restart. */
  private Instant forwarderListedAt = start;
  private boolean pendingMirrorScheduled;
  private final Autoscaler autoscaler;
  private final Lifecycle lifecycle;
  private final GarbageCollector collector;
  private final Map<String, Workload> workloads = new LinkedHashMap<>();
  private final Map<String, String> nodeByInstance = new HashMap<>();
  private final Map<String, Mirrored> mirrored = new HashMap<>();
  private final Map<String, PendingPod> batch = new LinkedHashMap<>();
  private final Random random = new Random(7);
  private final List<Sample> samples = new ArrayList<>();
  private final List<Decision> decisions = new ArrayList<>();
  private Instant batchOpenedAt;
  private long batchGeneration;
  private boolean bindScheduled;
  /** Whether the forwarder's mirror tick is due (see {@link #mirrorTick}). */
  private boolean mirrorScheduled;
  /** When the mirror last wrote each node. */
  private final Map<String, Instant> mirroredAt = new java.util.HashMap<>();
  /** Since when each node has had a change its document does not show yet. */
  private final Map<String, Instant> unmirroredSince = new java.util.HashMap<>();
  private int podsCreated;
  private int instancesLaunched;
  private int instancesTerminated;
  private int interruptions;
  private int consolidationActions;
  private int doubleReservations;
  private int nodesAtPeak;
  private int nominated;
  /** Pending pods by the claims that planned them: a pod planned by two waited for a second round of launches. */
  private final Map<String, Set<String>> plannedBy = new HashMap<>();
  /** Pods created in place of those a consolidation drain evicted. */
  private final Set<String> displacedByConsolidation = new java.util.HashSet<>();
  private final Set<String> consolidationRelaunched = new java.util.HashSet<>();
  private int eventSeq;
  private int claimSeq;
  private double lastBound;
  /** The pods the last bound was computed for, and that bound. */
  private List<PendingPod> boundPods = List.of();
  private double boundPerHour;
  /** What a plan of those pods from scratch costs: the fleet a perfect consolidation could reach. */
  private double planPerHour;
  /** The scheduler's plan of the pods running at the end: its nodes start the whole-pod bound's program. */
  private List<dev.flotilla.scheduling.NodeClaim> finalPlan = List.of();
  private final FaultInjection faults;
  private final EventPublisher bus;
  private final Invariants invariants = new Invariants(start);
  private boolean reclaiming;
  private final Map<String, Instant> drainedAt = new HashMap<>();
  private final Set<String> spotWarningsExempt = new java.util.HashSet<>();
  private final Set<String> spotWarningsRun = new java.util.HashSet<>();
  private final Set<String> unschedulable = new java.util.HashSet<>();
  private final List<String> foreignInstances = new ArrayList<>();
  private final Deliveries deliveries;
  // ---- node lifetime: the pools' manifests (a scenario may change them), the node images, what was disrupted
  private final Map<String, Manifest> poolManifests = new LinkedHashMap<>();
  private final dev.flotilla.nodepool.InMemoryNodePoolStore nodePoolStore =
      new dev.flotilla.nodepool.InMemoryNodePoolStore();
  private final Map<String, String> images = new java.util.TreeMap<>(Map.of("amd64", "ami-amd64-v1",
      "arm64", "ami-arm64-v1"));
  private final Map<dev.flotilla.disruption.DisruptionReason, Integer> disrupted = new java.util.EnumMap<>(
      dev.flotilla.disruption.DisruptionReason.class);
  private int budgetViolations;

  public Simulation(Scenario scenario, Listener listener) {
    this(scenario, listener, CatalogFile.bundled(), Autoscaler.flotilla());
  }

  /** A run whose decisions are {@code decisions}'s, in the same simulated cluster, cloud and binder. */
  public Simulation(Scenario scenario, Listener listener, Autoscaler.Factory decisions) {
    this(scenario, listener, CatalogFile.bundled(), decisions);
  }

  /**
   * @param catalogFile the region whose instance types, zones and on-demand prices the simulated EC2 sells and the
   *     services plan with (spot at the scenario's ratio of them)
   */
  public Simulation(Scenario scenario, Listener listener, CatalogFile catalogFile) {
    this(scenario, listener, catalogFile, Autoscaler.flotilla());
  }

  public Simulation(Scenario scenario, Listener listener, CatalogFile catalogFile, Autoscaler.Factory decisions) {
    this.scenario = scenario;
    this.listener = listener;
    this.cluster = new SimulatedCluster(scenario.cluster().scoring(), DisruptionBudget.of(scenario.manifests()));
    this.catalog = OfferingCatalog.of(catalogFile, SpotPrices.ratio(scenario.ec2().spotPriceRatio()));
    StaticOfferingSource offerings = new StaticOfferingSource(catalog, store);
    this.ec2 = new SimulatedEc2(CLUSTER, catalog, store, clock, this::launched, this::terminated);
    if (scenario.faults().any()) {
      // another team's instances in the same account: nothing Flotilla does may touch them
      foreignInstances.add(ec2.startForeign(Map.of()));
      foreignInstances.add(ec2.startForeign(Map.of(WellKnownLabels.CLUSTER, "another-cluster")));
    }
    List<Manifest> manifests = scenario.manifests();
    // the cluster's pools as they are now (the scenario's NodePool changes write to it); the functions plan with what
    // the forwarder stored of them in the table, the manifests at the start being their seed
    this.pools = new ArrayList<>(NodePoolReader.read(manifests));
    List<NodePool> seed = List.copyOf(pools);
    manifests.stream().filter(NodePoolReader::isNodePool).forEach(m -> poolManifests.put(m.name(), m));
    storeNodePools();
    Workloads read = Workloads.read(manifests);
    this.daemonSets = read.daemonSets();
    // the forwarder mirrors the cluster's DaemonSets into the table, where the functions read them
    store.putDaemonSets(new DaemonSets(daemonSets).toJson());
    this.faults = new FaultInjection(scenario.faults(), clock, start);
    this.deliveries = new Deliveries(scenario.faults(), faults, new Deliveries.Timeline() {
      @Override
      public void at(Duration after, Runnable action) {
        Simulation.this.at(after, action);
      }

      @Override
      public Duration elapsed() {
        return Simulation.this.elapsed();
      }
    }, this::failed, this::note, () -> {
      processCommands();
      checkInvariants();
      changed();
    });
    // the bus takes what EventBridge takes (it refuses an entry over 256 KB) and hands each event to its rule
    EventPublisher eventBridge = EventPublisher::chunks;
    this.bus = scenario.faults().any() ? faults.port(EventPublisher.class, eventBridge) : eventBridge;
    // the decisions over the in-memory ports, by default the functions' own composition root: what runs here is what
    // Lambda runs; with faults,
    // the ports a function sees are the faulty ones, while the simulation's own bookkeeping reads the real ones
    boolean faulty = scenario.faults().any();
    ClaimStore functionStore = faulty ? faults.port(ClaimStore.class, store) : store;
    // the functions are told how the cluster's scheduler scores, as an operator sets FLOTILLA_SCHEDULER_SCORING
    this.autoscaler = decisions.build(new Autoscaler.Ports(new FunctionConfig(CLUSTER, CLUSTER, "", Map.of(), seed,
        Lifecycle.LAUNCH_TIMEOUT, GarbageCollector.GRACE, Map.of(), "", Map.of(), List.of(),
        scenario.cluster().scoring()), functionStore,
        faulty ? faults.port(CloudProvider.class, ec2) : ec2,
        faulty ? faults.port(OfferingSource.class, offerings) : offerings,
        faulty ? faults.port(CommandQueue.class, commands) : commands, clock,
        () -> String.format(java.util.Locale.ROOT, "claim-%06d", ++claimSeq),
        () -> functionStore.daemonSets().map(d -> DaemonSets.parse(d).templates()).orElse(List.of()),
        arch -> java.util.Optional.ofNullable(images.get(arch)), nodePoolStore, pools, this::taint));
    this.lifecycle = autoscaler.lifecycle();
    this.collector = autoscaler.collector();
    for (Manifest m : manifests) {
      if (Scenario.REPLICATED.containsKey(m.kind())) {
        int replicas = Scenario.replicas(m);
        PendingPod template = Workloads.replicas(m, 1).getFirst();
        workloads.put(m.namespace() + "/" + m.name(), new Workload(m.namespace() + "/" + m.name(), template, 0));
        workloads.get(m.namespace() + "/" + m.name()).replicas = replicas;
      }
    }
  }

  /** The region whose catalog (instance types, zones, on-demand prices) this run sells and plans with. */
  public String pricesRegion() {
    return catalog.region();
  }

  public List<Sample> samples() {
    return List.copyOf(samples);
  }

  public List<Decision> decisions() {
    return List.copyOf(decisions);
  }

  public List<Launch> launches() {
    return ec2.bills().stream().map(b -> new Launch(Duration.between(start, b.launched()).toSeconds(),
        b.instanceType(), b.capacityType())).toList();
  }

  /** How many of a workload's pods drains evicted ({@code namespace/name}). */
  public int podsEvicted(String workload) {
    return evicted.getOrDefault(workload, 0);
  }

  /** The instance types of the nodes running a workload's pods now. */
  public Map<String, Long> nodesRunning(String workload) {
    return cluster.pods.values().stream().filter(p -> p.workload.equals(workload) && p.node != null)
        .collect(Collectors.groupingBy(p -> p.node.labels.get(WellKnownLabels.INSTANCE_TYPE), TreeMap::new,
            Collectors.counting()));
  }

  public SimulationResult run() {
    long wallStart = System.nanoTime();
    workloads.values().forEach(w -> at(Duration.ZERO, () -> scale(w, w.replicas)));
    for (Scenario.Event e : scenario.events()) {
      at(e.at(), () -> event(e));
    }
    every(autoscaler.disruptionEvery(), this::consolidate);
    every(GC_EVERY, () -> {
      deliver("garbage-collector", "pass", collector::collect);
      processCommands();
    });
    every(SAMPLE_EVERY, this::sample);
    every(PendingPods.REFRESH, () -> mirrorPending(true));
    // the cluster's scheduler retries unschedulable pods; each failed try updates the pod, which the forwarder sees
    every(RESEND_AFTER, () -> {
      if (!cluster.pending().isEmpty()) {
        changed();
      }
    });
    every(BOUND_EVERY, () -> lastBound = lowerBound());
    for (Duration restart : scenario.faults().forwarderRestartAt()) {
      at(restart, this::forwarderRestart);
    }
    long end = start.plus(scenario.duration()).toEpochMilli();
    Duration lastProgress = Duration.ZERO;
    // what falls on the end instant belongs to the next minute: a node expiring exactly then had its pods evicted
    // and counted pending in the run's final figures
    while (!queue.isEmpty() && queue.peek().at < end) {
      Timed next = queue.poll();
      clock.set(Instant.ofEpochMilli(next.at));
      next.action.run();
      Duration now = elapsed();
      if (now.minus(lastProgress).compareTo(Duration.ofMinutes(1)) >= 0) {
        listener.progress(now, scenario.duration());
        lastProgress = now;
      }
    }
    clock.set(Instant.ofEpochMilli(end));
    lastBound = finalBound();
    sample();
    listener.progress(scenario.duration(), scenario.duration());
    return result(System.nanoTime() - wallStart);
  }

  // ---- the scenario's events

  private void event(Scenario.Event e) {
    switch (e) {
      case Scenario.Scale s -> {
        Workload w = workloads.get(s.workload());
        if (w == null) {
          throw new IllegalArgumentException("scenario " + scenario.name() + ": scale: no workload " + s.workload()
              + " in the manifests (there are " + workloads.keySet() + ")");
        }
        note("scale " + s.workload() + " from " + w.replicas + " to " + s.replicas() + " replicas");
        scale(w, s.replicas());
      }
      case Scenario.InsufficientCapacity c -> {
        String what = (c.instanceFamily() != null ? c.instanceFamily() + " family" : c.instanceType())
            + (c.zone() != null ? " in " + c.zone() : " in every zone");
        note("EC2 has no capacity for " + what + " for " + c.duration().toMinutes() + " min");
        ec2.capacity(c.instanceFamily(), c.instanceType(), c.zone(), false);
        at(elapsed().plus(c.duration()), () -> {
          note("EC2 capacity for " + what + " is back");
          ec2.capacity(c.instanceFamily(), c.instanceType(), c.zone(), true);
        });
      }
      case Scenario.SpotInterruption s -> spotInterruption(s.fraction());
      case Scenario.NodePoolChange c -> nodePoolChange(c);
      case Scenario.ImageRelease r -> imageRelease(r.arch());
      case Scenario.NodeFailure f -> nodeFailure(f);
    }
  }

  // ---- node lifetime: NodePool changes, image releases, node failures, and what the disruptions did

  /**
   * Writes the cluster's NodePools to the table as the forwarder does (each as a {@code flotilla.dev/v1} NodePool
   * document, under a version the functions compare): a scenario without NodePools leaves the table without any, so
   * the functions plan with their seed, the default pool.
   */
  private void storeNodePools() {
    Map<String, String> documents = new java.util.TreeMap<>();
    poolManifests.forEach((name, m) -> {
      com.fasterxml.jackson.databind.node.ObjectNode doc = m.node().deepCopy();
      doc.put("apiVersion", "flotilla.dev/v1");
      documents.put(name, doc.toString());
    });
    if (!documents.isEmpty()) {
      nodePoolStore.replace(documents);
    }
  }

  private void nodePoolChange(Scenario.NodePoolChange change) {
    Manifest m = poolManifests.get(change.nodePool());
    if (m == null) {
      throw new IllegalArgumentException("scenario " + scenario.name() + ": nodePoolChange: no NodePool "
          + change.nodePool() + " in the manifests (there are " + poolManifests.keySet() + ")");
    }
    com.fasterxml.jackson.databind.node.ObjectNode doc = m.node().deepCopy();
    change.set().forEach((path, value) -> {
      String[] keys = path.split("\\.");
      com.fasterxml.jackson.databind.node.ObjectNode at = doc;
      for (int i = 0; i < keys.length - 1; i++) {
        at = at.get(keys[i]) instanceof com.fasterxml.jackson.databind.node.ObjectNode o ? o : at.putObject(keys[i]);
      }
      at.set(keys[keys.length - 1], value);
    });
    Manifest changed = new Manifest(m.source(), m.index(), doc);
    NodePool pool = NodePoolReader.read(changed);
    poolManifests.put(pool.name(), changed);
    pools.replaceAll(p -> p.name().equals(pool.name()) ? pool : p);
    poolEditedAt.put(pool.name(), clock.instant());
    storeNodePools();
    note("NodePool " + pool.name() + " changed: " + change.set().keySet());
  }

  private void imageRelease(String arch) {
    images.replaceAll((a, image) -> arch.equals("all") || arch.equals(a)
        ? image.substring(0, image.lastIndexOf('v') + 1) + (Integer.parseInt(image.substring(
            image.lastIndexOf('v') + 1)) + 1) : image);
    note("new node image: " + images);
  }

  private void nodeFailure(Scenario.NodeFailure f) {
    List<Node> healthy = cluster.nodes.values().stream().filter(n -> n.readiness == null).toList();
    List<Node> chosen = new ArrayList<>(healthy);
    java.util.Collections.shuffle(chosen, random);
    chosen = chosen.subList(0, Math.min(f.count(), chosen.size()));
    note("node(s) " + chosen.stream().map(n -> n.name).toList() + " turn " + f.condition() + "=" + f.status()
        + " for " + f.lasting().toMinutes() + " min");
    for (Node n : chosen) {
      NodeState.Condition failure = new NodeState.Condition(f.condition(), f.status(), clock.instant());
      n.readiness = failure;
      // the node lifecycle controller taints a node that is not Ready (unreachable when its status is Unknown):
      // the cluster's scheduler places nothing new there until it is Ready again
      Taint notReady = new Taint(f.status().equals("Unknown") ? "node.kubernetes.io/unreachable"
          : "node.kubernetes.io/not-ready", "", "NoSchedule");
      List<Taint> tainted = new ArrayList<>(n.taints);
      tainted.add(notReady);
      cluster.taints(n, tainted);
      mirror(n);
      // ... and the NoExecute one, which its pods tolerate for the default 300 s; then they are evicted
      at(elapsed().plus(NOT_READY_TOLERATION), () -> {
        if (cluster.nodes.get(n.name) == n && n.readiness == failure) {
          evictForTaint(n, notReadyTaint(failure.status()));
        }
      });
      at(elapsed().plus(f.lasting()), () -> {
        if (cluster.nodes.get(n.name) == n) {
          n.readiness = null;
          n.joined = clock.instant();
          cluster.taints(n, n.taints.stream().filter(t -> !t.sameAs(notReady)).toList());
          mirror(n);
          changed();
        }
      });
    }
  }

  /**
   * How long a pod stays bound to a node that is not Ready: the {@code tolerationSeconds} Kubernetes' admission
   * (DefaultTolerationSeconds) gives every pod for the not-ready and unreachable NoExecute taints.
   */
  static final Duration NOT_READY_TOLERATION = Duration.ofSeconds(300);

  /** The NoExecute taint the node lifecycle controller puts on a node whose Ready is False or Unknown. */
  static Taint notReadyTaint(String readyStatus) {
    return new Taint("Unknown".equals(readyStatus) ? "node.kubernetes.io/unreachable" : "node.kubernetes.io/not-ready",
        "", "NoExecute");
  }

  /**
   * Taint-based eviction: the node's pods that do not tolerate the taint go (their controllers make new ones, which
   * are pending until placed elsewhere); DaemonSet pods tolerate it and stay, as do pods that tolerate it
   * themselves (the model holds no tolerationSeconds, so theirs is taken as for good).
   */
  private void evictForTaint(Node node, Taint taint) {
    List<Pod> evicted = new ArrayList<>();
    for (Pod p : new ArrayList<>(node.pods)) {
      if (!p.daemon() && Toleration.firstUntolerated(List.of(taint), p.spec.tolerations()) != null) {
        cluster.delete(p, clock.instant());
        recreate(p);
        evicted.add(p);
      }
    }
    note("node " + node.name + " not Ready for " + NOT_READY_TOLERATION.toSeconds() + " s: " + evicted.size()
        + " pod(s) evicted for its " + taint.key() + " taint " + evicted.stream().map(p -> p.spec.name()).sorted()
        .limit(5).toList() + (evicted.size() > 5 ? " and " + (evicted.size() - 5) + " more" : ""));
    changed();
  }

  /** Counts what drift, expiry and repair started. */
  private void lifetime(ConsolidationService.Pass pass) {
    for (ConsolidationService.Disrupted d : pass.disruptions()) {
      disrupted.merge(d.reason(), 1, Integer::sum);
      if (d.reason() != dev.flotilla.disruption.DisruptionReason.Empty
          && d.reason() != dev.flotilla.disruption.DisruptionReason.Underutilized) {
        decision(d.reason() + " " + d.node() + ": " + d.why() + " (" + d.allowedBy() + ")"
            + (d.replacements() > 0 ? ", " + d.replacements() + " replacement(s) first" : ""));
      }
    }
  }

  /** Checks each voluntary disruption's pool against its budgets for that reason, on the cluster as it is now. */
  private void overBudget(List<ConsolidationService.Disrupted> disruptions) {
    Set<String> checked = new java.util.HashSet<>();
    for (ConsolidationService.Disrupted d : disruptions) {
      if (d.reason().budgeted() && checked.add(d.nodePool() + "/" + d.reason())) {
        overBudget(d.nodePool(), d.reason());
      }
    }
  }

  /** The nodes whose document has not shown a change of theirs for longer than {@code over}, each with since when. */
  List<String> mirrorLagging(Duration over) {
    Instant before = clock.instant().minus(over);
    return unmirroredSince.entrySet().stream().filter(e -> e.getValue().isBefore(before))
        .map(e -> e.getKey() + " since " + e.getValue()).sorted().toList();
  }

  /**
   * The live nodes that are not what their pool would launch now or have outlived its expireAfter, each with why:
   * what a run that renewed its nodes ends without.
   */
  List<String> staleNodes() {
    List<String> stale = new ArrayList<>();
    Instant now = clock.instant();
    for (Claim c : store.claims()) {
      if (!c.state().live() || c.nodeName() == null) {
        continue;
      }
      NodePool pool = pools.stream().filter(p -> p.name().equals(c.nodePool())).findFirst().orElse(null);
      Node node = cluster.nodes.get(c.nodeName());
      String arch = node == null ? null : node.labels.get(WellKnownLabels.ARCH);
      if (pool != null && !pool.templateHash().equals(c.annotations().get(Claim.Annotations.NODEPOOL_HASH))) {
        stale.add(c.nodeName() + ": template of " + pool.name());
      }
      if (arch != null && !images.get(arch).equals(c.annotations().get(Claim.Annotations.IMAGE))) {
        stale.add(c.nodeName() + ": image " + c.annotations().get(Claim.Annotations.IMAGE));
      }
      if (pool != null && pool.lifetime().expireAfter() != null
          && !c.createdAt().plus(pool.lifetime().expireAfter()).isAfter(now.minus(CONSOLIDATION_EVERY))) {
        stale.add(c.nodeName() + ": older than " + pool.lifetime().expireAfter());
      }
      if (node != null && node.readiness != null
          && !node.readiness.lastTransitionTime().plus(dev.flotilla.disruption.Repair.TOLERATION)
              .isAfter(now.minus(CONSOLIDATION_EVERY))) {
        stale.add(c.nodeName() + ": not Ready since " + node.readiness.lastTransitionTime());
      }
    }
    return stale;
  }

  /**
   * Whether more of the pool's nodes are being disrupted than its active budgets for {@code reason} allow: counted
   * here from the claims and the cluster, apart from the functions' own accounting.
   */
  private void overBudget(String poolName, dev.flotilla.disruption.DisruptionReason reason) {
    NodePool pool = pools.stream().filter(p -> p.name().equals(poolName)).findFirst().orElse(null);
    if (pool == null) {
      return;
    }
    List<Claim> claims = store.claims();
    Set<String> replaced = new java.util.HashSet<>();
    claims.stream().filter(c -> c.state().live()).forEach(c -> replaced.addAll(c.replaces()));
    int nodes = 0;
    int disrupting = 0;
    for (Claim c : claims) {
      if (!c.nodePool().equals(poolName) || c.nodeName() == null
          || (c.state() != ClaimState.Initialized && c.state() != ClaimState.Draining)) {
        continue;
      }
      nodes++;
      Node node = cluster.nodes.get(c.nodeName());
      if (c.state() == ClaimState.Draining || replaced.contains(c.id()) || (node != null && node.readiness != null)) {
        disrupting++;
      }
    }
    int allowed = Integer.MAX_VALUE;
    for (NodePool.Budget b : pool.disruption().budgets()) {
      if (b.covers(reason.name()) && b.active(clock.instant())) {
        allowed = Math.min(allowed, b.allowed(nodes));
      }
    }
    if (disrupting > allowed) {
      budgetViolations++;
      note("budget violation: NodePool " + poolName + " has " + disrupting + " of " + nodes
          + " nodes disrupted where its budgets for " + reason + " allow " + allowed);
    }
  }

  private void scale(Workload w, int replicas) {
    List<Pod> current = cluster.pods.values().stream().filter(p -> p.workload.equals(w.key)).toList();
    w.replicas = replicas;
    if (current.size() < replicas) {
      for (int i = current.size(); i < replicas; i++) {
        createPod(w);
      }
    } else {
      ScaleDownOrder.victims(scenario.cluster().scaleDown(), current, current.size() - replicas,
          "StatefulSet".equals(w.template.ownerKind()), clock.instant())
          .forEach(p -> cluster.delete(p, clock.instant()));
    }
    changed();
  }

  private Pod createPod(Workload w) {
    PendingPod spec = w.template.withName(w.key + "-" + w.next++);
    Pod pod = new Pod(spec, w.key, clock.instant());
    cluster.add(pod);
    podsCreated++;
    return pod;
  }

  private void spotInterruption(double fraction) {
    List<SimulatedEc2.Bill> spot = ec2.running().stream().filter(b -> b.capacityType() == CapacityType.SPOT)
        .toList();
    int count = (int) Math.round(spot.size() * fraction);
    List<SimulatedEc2.Bill> chosen = new ArrayList<>(spot);
    java.util.Collections.shuffle(chosen, random);
    chosen = chosen.subList(0, Math.min(count, chosen.size()));
    note("EC2 reclaims " + chosen.size() + " of " + spot.size() + " spot instances in two minutes");
    for (SimulatedEc2.Bill b : chosen) {
      interruptions++;
      InterruptionEvent warning = new InterruptionEvent.SpotInterruption(nextEventId(), b.instanceId(),
          clock.instant().plusSeconds(120));
      deliver("interruption", b.instanceId(), () -> {
        // the 10 s run from when the warning reaches the function (a delivery EventBridge delays is not its fault),
        // for a node that had joined by then
        if (scenario.faults().any() && spotWarningsRun.add(b.instanceId())
            && nodeByInstance.containsKey(b.instanceId())) {
          Instant delivered = clock.instant();
          at(elapsed().plus(Invariants.SPOT_DRAIN_LIMIT), () -> spotDrainInTime(b.instanceId(), delivered));
        }
        InterruptionService.Outcome o = autoscaler.interruption(warning);
        o.handled().forEach(h -> decision("interruption " + b.instanceId() + ": " + h.action()
            + (h.replacementClaims().isEmpty() ? " (" + h.reason() + ")" : ", " + h.replacementClaims().size()
                + " replacement(s) $" + money(h.replacementPricePerHour()) + "/h")));
      });
      processCommands();
      at(elapsed().plusSeconds(120), () -> {
        reclaiming = true;
        try {
          ec2.reclaim(b.instanceId());
        } finally {
          reclaiming = false;
        }
        InterruptionEvent gone = new InterruptionEvent.StateChange(nextEventId(), b.instanceId(), "terminated");
        deliver("interruption", b.instanceId(), () -> autoscaler.interruption(gone));
        processCommands();
      });
    }
  }

  // ---- the cluster's scheduler and the forwarder

  private void changed() {
    mirrorSoon();
    if (!bindScheduled) {
      bindScheduled = true;
      at(elapsed(), this::bindRound);
    }
  }

  private void bindRound() {
    bindScheduled = false;
    cluster.bind(clock.instant());
    mirrorSoon();
    Instant now = clock.instant();
    for (Pod p : cluster.pending()) {
      if (p.lastSent == null || !p.lastSent.plus(RESEND_AFTER).isAfter(now)) {
        p.lastSent = now;
        addToBatch(p.spec);
      }
    }
    mirrorPendingSoon();
  }

  /**
   * The forwarder's pending pods' mirror, after a round of the cluster's scheduler: written at the forwarder's next
   * tick ({@link ClusterWatch#MIRROR_TICK}), or once {@link ClusterWatch#PENDING_INTERVAL} has passed since it was
   * last written.
   */
  private void mirrorPendingSoon() {
    if (pendingMirrorScheduled) {
      return;
    }
    pendingMirrorScheduled = true;
    Instant due = clock.instant().plus(ClusterWatch.MIRROR_TICK);
    if (pendingMirroredAt != null) {
      due = max(due, pendingMirroredAt.plus(ClusterWatch.PENDING_INTERVAL));
    }
    at(Duration.between(start, due), () -> {
      pendingMirrorScheduled = false;
      mirrorPending(false);
    });
  }

  /**
   * The pods pending and not nominated to a node the cluster has, written when they changed or, {@code refresh}, in
   * any case ({@link PendingPods#REFRESH}).
   */
  private void mirrorPending(boolean refresh) {
    List<PendingPod> now = cluster.pending().stream().filter(p -> {
      String nominated = cluster.nominatedNode(p.spec.name());
      return nominated == null || !cluster.nodes.containsKey(nominated);
    }).map(p -> p.spec).toList();
    if (refresh || !now.equals(pendingMirrored)) {
      store.putPendingPods(PendingPods.of(forwarderListedAt, clock.instant(), now).toJson());
      pendingMirrored = now;
      pendingMirroredAt = clock.instant();
    }
  }

  private void addToBatch(PendingPod pod) {
    if (batch.isEmpty()) {
      batchOpenedAt = clock.instant();
    }
    batch.put(pod.name(), pod);
    long generation = ++batchGeneration;
    Instant flushAt = min(clock.instant().plus(BATCH_IDLE), batchOpenedAt.plus(BATCH_MAX));
    at(Duration.between(start, flushAt), () -> {
      if (generation == batchGeneration) {
        flush();
      }
    });
  }

  private void flush() {
    List<PendingPod> pods = batch.values().stream().filter(p -> cluster.pods.containsKey(p.name())
        && cluster.pods.get(p.name()).node == null).toList();
    batch.clear();
    if (pods.isEmpty()) {
      return;
    }
    List<BusEvent> events = PendingBatch.events(CLUSTER, pods);
    try {
      // the forwarder's PutEvents goes through its port too: throttled, the pods stay for the next batch; dead
      // after the call, the forwarder restarts, its events sent
      faults.asFunction("forwarder", () -> bus.publish(events));
    } catch (FaultInjection.Throttled e) {
      pods.forEach(this::addToBatch);
      return;
    } catch (FaultInjection.InvocationDied e) {
      at(elapsed(), this::forwarderRestart);
    }
    for (BusEvent event : events) {
      Envelope envelope = envelope(event);
      deliver("provisioner", envelope.id(), () -> provisioned(autoscaler.provision(envelope.id(),
          PodsPending.from(envelope).pods())));
    }
  }

  private void provisioned(Provisioner.Decision d) {
    d.unschedulable().forEach(u -> unschedulable.add(u.pod()));
    d.launched().forEach(c -> planned(c.id(), c.pods()));
    d.addedToInFlight().forEach(p -> planned(p.claimId(), p.pods()));
    if (!d.launched().isEmpty() || !d.failures().isEmpty() || !d.unschedulable().isEmpty()
        || !d.waitingForLeavingNodes().isEmpty()) {
      Map<String, Long> types = d.launched().stream().collect(Collectors.groupingBy(
          c -> c.instanceType() + " " + c.capacityType().label(), TreeMap::new, Collectors.counting()));
      decision("provisioner: " + (d.received() - d.alreadyReserved()) + " pending pods, launched "
          + d.launched().size() + " " + types + " +$" + money(d.addedPricePerHour()) + "/h"
          + (d.addedToInFlight().isEmpty() ? "" : ", " + d.addedToInFlight().size() + " in-flight claims filled")
          + (d.failures().isEmpty() ? "" : ", failures " + d.failures().size())
          + (d.waitingForLeavingNodes().isEmpty() ? "" : ", " + d.waitingForLeavingNodes().size()
          + " waiting for drained nodes to go")
          + (d.unschedulable().isEmpty() ? "" : ", unschedulable " + d.unschedulable().size() + " ("
          + d.unschedulable().getFirst().reason() + ")"));
    }
  }

  /** Pods a launch was planned for while they were pending; those consolidation displaced needed a relaunch. */
  private void planned(String claimId, List<String> pods) {
    for (String name : pods) {
      Pod pod = cluster.pods.get(name);
      if (pod != null && pod.node == null) {
        plannedBy.computeIfAbsent(name, k -> new java.util.TreeSet<>()).add(claimId);
        if (displacedByConsolidation.contains(name)) {
          consolidationRelaunched.add(name);
        }
      }
    }
  }

  private Envelope envelope(BusEvent event) {
    ObjectNode n = JSON.createObjectNode();
    n.put("version", "0").put("id", nextEventId()).put("detail-type", event.detailType())
        .put("source", event.source()).put("time", clock.instant().toString());
    try {
      n.set("detail", JSON.readTree(event.detail()));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("the forwarder wrote a detail that is not JSON", e);
    }
    return Envelope.parse(n.toString());
  }

  // ---- EC2 and kubelets

  private void launched(LaunchResult.Launched l) {
    instancesLaunched++;
    at(elapsed().plusSeconds(scenario.ec2().bootSeconds()), () -> boot(l));
  }

  private void boot(LaunchResult.Launched l) {
    if (!ec2.running(l.instanceId())) {
      return;
    }
    Claim claim = store.claim(l.claimId()).orElse(null);
    NodePool pool = claim == null ? null : pools.stream().filter(p -> p.name().equals(claim.nodePool())).findFirst()
        .orElse(null);
    InstanceType type = catalog.type(l.instanceType());
    String name = "ip-" + l.instanceId().substring(2) + ".ec2.internal";
    // the kubelet's and the cloud provider's labels, then the claim's, which the forwarder writes in a cluster
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(WellKnownLabels.ARCH, type.arch());
    labels.put(WellKnownLabels.OS, "linux");
    labels.put(WellKnownLabels.INSTANCE_TYPE, type.name());
    labels.put(WellKnownLabels.ZONE, l.zone());
    NodeLabels.putRegion(labels, catalog.region());
    labels.put(WellKnownLabels.HOSTNAME, name);
    labels.put(WellKnownLabels.CLUSTER, CLUSTER);
    if (claim != null) {
      labels.putAll(ClaimNodeLabels.of(claim, type, pool == null ? Map.of() : pool.labels()));
    } else {
      labels.putAll(NodeLabels.of(type));
      labels.put(WellKnownLabels.CAPACITY_TYPE, l.capacityType().label());
    }
    List<Taint> taints = new ArrayList<>(pool == null ? List.of() : pool.taints());
    // the node registers with Flotilla's startup taint: nothing lands on it before its planned pods are nominated
    taints.add(StartupTaint.INITIALIZING);
    Node node = new Node(name, l.instanceId(), NodeLabels.withAliases(labels), taints,
        NodeCapacity.allocatable(type));
    node.joined = clock.instant();
    cluster.addNode(node);
    nodesAtPeak = Math.max(nodesAtPeak, cluster.nodes.size());
    // a simplification: the forwarder's 30 s nominating window, counted from the node's joining, stands for every
    // way a Nominate reaches it late (the lifecycle's retries, the garbage collector's pass); the real forwarder
    // lifts the taint only when a Nominate reaches it, and none ever comes for an instance no live claim owns (its
    // claim closed meanwhile), which keeps the taint until the garbage collector terminates it
    liftLate(l.instanceId(), name, node);
    nodeByInstance.put(l.instanceId(), name);
    for (PendingPod daemon : daemonSets) {
      if (SimulatedCluster.daemonMatches(daemon, node)) {
        Pod pod = new Pod(daemon.withName(daemon.name() + "-" + name), "daemonset/" + daemon.name(),
            clock.instant());
        cluster.add(pod);
        cluster.place(pod, node, clock.instant());
      }
    }
    // the forwarder mirrors a node within seconds of its joining; its mirror tick keeps it current after
    mirror(node);
    NodeEvent event = new NodeEvent(CLUSTER, name, l.instanceId());
    deliver("lifecycle", name, () -> lifecycle.registered(event));
    deliver("lifecycle", name, () -> lifecycle.ready(event));
    // the forwarder polls its queue: the Nominate the lifecycle sent is executed at once
    processCommands();
    changed();
  }

  private void terminated(String instanceId) {
    instancesTerminated++;
    drainedBeforeTerminated(instanceId);
    String name = nodeByInstance.remove(instanceId);
    if (name != null) {
      at(elapsed(), () -> removeNode(name, instanceId));
    }
  }

  private void removeNode(String name, String instanceId) {
    Node node = cluster.nodes.get(name);
    if (node == null) {
      return;
    }
    for (Pod p : new ArrayList<>(node.pods)) {
      cluster.delete(p, clock.instant());
      if (!p.daemon()) {
        recreate(p);
      }
    }
    cluster.removeNode(name);
    NodeEvent deleted = new NodeEvent(CLUSTER, name, instanceId);
    deliver("lifecycle", name, () -> lifecycle.deleted(deleted));
    store.deleteNodeState(name);
    mirrored.remove(name);
    mirroredAt.remove(name);
    unmirroredSince.remove(name);
    changed();
  }

  /** Its controller makes a new pod in place of an evicted or lost one; null when none is due. */
  private Pod recreate(Pod gone) {
    Workload w = workloads.get(gone.workload);
    if (w != null && cluster.podsOf(w.key) < w.replicas) {
      return createPod(w);
    }
    return null;
  }

  // ---- the forwarder's command executor

  private void processCommands() {
    List<CommandQueue.Received> received;
    while (!(received = commands.receive(10, Duration.ZERO)).isEmpty()) {
      for (CommandQueue.Received r : received) {
        execute(Command.parse(r.body()));
        commands.delete(r.receipt());
      }
    }
  }

  private void execute(Command command) {
    Node node = cluster.nodes.get(command.node());
    if (node == null) {
      return;
    }
    switch (command.kind()) {
      case Cordon -> cluster.cordon(node);
      case Drain -> {
        // the latest: a spot warning for a node consolidation drained before asks for its drain again
        drainedAt.put(node.name, clock.instant());
        cluster.cordon(node);
        boolean consolidating = command.reason() != null && (command.reason().startsWith("consolidation")
            || command.reason().startsWith("replaced by"));
        evict(node, command, consolidating, command.deadline() != null
            ? Duration.between(start, command.deadline()) : elapsed().plus(DRAIN_LASTS));
      }
      case DeleteNode -> removeNode(node.name, node.instanceId);
      case Nominate -> {
        // as the forwarder does: the pods still pending are nominated to the node, then its startup taint goes
        for (String pod : command.pods()) {
          if (cluster.nominate(pod, node)) {
            nominated++;
          }
        }
        if (cluster.liftStartupTaint(node)) {
          // the forwarder mirrors a node within seconds of a change
          mirror(node);
        }
        changed();
      }
    }
  }

  /** A taint put on a node or taken off by a controller that writes to the API server itself (Karpenter's model). */
  private void taint(String name, Taint taint, boolean on) {
    Node node = cluster.nodes.get(name);
    if (node == null || on == node.taints.stream().anyMatch(taint::sameAs)) {
      return;
    }
    List<Taint> taints = new ArrayList<>(node.taints);
    taints.removeIf(taint::sameAs);
    if (on) {
      taints.add(taint);
    }
    cluster.taints(node, taints);
    mirror(node);
    changed();
  }

  /**
   * Evicts the node's pods as the forwarder's drain does: never a do-not-disrupt pod, and through their disruption
   * budgets, a pod whose budgets allow no disruption now staying; what stays is tried again every
   * {@link #EVICTION_RETRY} until the command's deadline (its pods evicted before are made again, and once they run
   * the budget allows the next). At the deadline a forced drain (the node's termination grace ran out) deletes the
   * pods still held; any other is left, as the forwarder reports it failed and the lifecycle asks for it again. The
   * drain is reported done once no pod but DaemonSets' is left.
   */
  private void evict(Node node, Command command, boolean consolidating, Duration until) {
    if (cluster.nodes.get(node.name) != node) {
      return;
    }
    boolean due = elapsed().compareTo(until) >= 0;
    boolean forced = due && command.force();
    boolean held = false;
    for (Pod p : new ArrayList<>(node.pods)) {
      if (p.daemon()) {
        continue;
      }
      if (!forced && (p.spec.doNotDisrupt() || cluster.disruptionsAllowed(p) == 0)) {
        held = true;
        continue;
      }
      cluster.delete(p, clock.instant());
      evicted.merge(p.workload, 1, Integer::sum);
      Pod replacement = recreate(p);
      if (consolidating && replacement != null) {
        displacedByConsolidation.add(replacement.spec.name());
      }
    }
    changed();
    if (held) {
      if (!due) {
        Duration next = elapsed().plus(EVICTION_RETRY);
        at(next.compareTo(until) < 0 ? next : until, () -> evict(node, command, consolidating, until));
      }
      return;
    }
    at(elapsed().plus(DRAIN_TAKES), () -> {
      if (command.claimId() != null) {
        deliver("lifecycle", node.name, () -> lifecycle.drained(command.claimId()));
        processCommands();
      }
    });
  }

  // ---- the scheduled functions

  /**
   * What a node's mirrored document was made of: its taints and readiness (replaced, never changed in place) and its
   * pods (each fixed for life). The rest of a node's state never changes.
   */
  private record Mirrored(List<Taint> taints, dev.flotilla.disruption.NodeState.Condition readiness, Pod[] pods,
      int[] allowed, String json) {

    /**
     * Whether the node's state is still the one this document was made of, by identity, and its pods' budgets
     * allow what they did: no document built.
     */
    boolean current(Node node, int[] allowedNow) {
      if (node.taints != taints || node.readiness != readiness || node.pods.size() != pods.length) {
        return false;
      }
      for (int i = 0; i < pods.length; i++) {
        if (node.pods.get(i) != pods[i]) {
          return false;
        }
      }
      return java.util.Arrays.equals(allowed, allowedNow);
    }
  }

  /**
   * The forwarder's node mirror: a node's state, written when it changed. Serialising every node each pass was a
   * tenth of a large run, so a node whose state is made of the same parts as its last document is passed over.
   */
  private void mirror(Node node) {
    Mirrored last = mirrored.get(node.name);
    int[] allowed = new int[node.pods.size()];
    for (int i = 0; i < allowed.length; i++) {
      allowed[i] = cluster.disruptionsAllowed(node.pods.get(i));
    }
    unmirroredSince.remove(node.name);
    if (last != null && last.current(node, allowed)) {
      return;
    }
    String json = node.state(allowed).toJson();
    if (last == null || !json.equals(last.json())) {
      store.putNodeState(node.name, json);
      mirroredAt.put(node.name, clock.instant());
    }
    mirrored.put(node.name, new Mirrored(node.taints, node.readiness, node.pods.toArray(new Pod[0]), allowed, json));
  }

  /** Notes since when each node changed that the mirror has not written yet. */
  private void stampTouched() {
    cluster.touched().forEach(n -> unmirroredSince.putIfAbsent(n.name, clock.instant()));
  }

  private void mirrorSoon() {
    stampTouched();
    if (!mirrorScheduled && cluster.anyTouched()) {
      mirrorScheduled = true;
      at(elapsed().plus(ClusterWatch.MIRROR_TICK), this::mirrorTick);
    }
  }

  /**
   * The forwarder's node mirror ({@code NodeMirror}): each tick it writes the nodes whose pods or taints changed, a
   * node at most once every {@link ClusterWatch#MIRROR_INTERVAL}; one written less than that ago waits for a later
   * tick. A provisioner reading a mirror a minute old counted the pods a drain had just evicted as still running in
   * their zone, and planned their replacements into the other zones, where the zone spread refused them.
   */
  private void mirrorTick() {
    mirrorScheduled = false;
    cluster.touchBudgetChanges();
    stampTouched();
    Instant now = clock.instant();
    for (Node node : cluster.takeTouched()) {
      Instant last = mirroredAt.get(node.name);
      if (last != null && last.plus(ClusterWatch.MIRROR_INTERVAL).isAfter(now)) {
        cluster.touch(node);
      } else {
        mirror(node);
      }
    }
    mirrorSoon();
  }

  private void consolidate() {
    cluster.nodes.values().forEach(this::mirror);
    checkReservations();
    String eventId = nextEventId();
    deliver("consolidation", eventId, () -> consolidationPass(eventId));
    processCommands();
  }

  /**
   * One invocation of the consolidation function: the pass's first half, the wait, its second half. Delivered again
   * (Lambda's retry of a failed invocation, or a duplicate), it is a whole invocation again, first half included: a
   * command found by an invocation that died is not acted on a minute later, on state it was not found on.
   */
  private void consolidationPass(String eventId) {
    // the forwarder writes a changed node within seconds: a late or retried invocation reads the cluster as it is
    cluster.nodes.values().forEach(this::mirror);
    ConsolidationService.Begun begun = autoscaler.disrupt(eventId);
    if (!begun.waiting()) {
      consolidated(begun.pass(), List.of());
      return;
    }
    // what the first half started is checked against the budgets as they were when it started: a node that fails
    // during the wait counts against what comes after, not against what was already under way
    List<ConsolidationService.Disrupted> started = begun.pass() != null ? begun.pass().disruptions()
        : begun.disrupted();
    overBudget(started);
    // the function waits, and the cluster goes on meanwhile: the command is checked again on what is there then
    at(elapsed().plus(ConsolidationService.VALIDATION_DELAY), () -> {
      cluster.nodes.values().forEach(this::mirror);
      deliveries.deliverSecondHalf("consolidation", eventId + "/check",
          () -> consolidated(autoscaler.finishDisruption(begun), started), () -> consolidationPass(eventId));
      processCommands();
    });
  }

  /** @param checked the pass's disruptions already checked against the budgets, when its first half returned */
  private void consolidated(ConsolidationService.Pass pass, List<ConsolidationService.Disrupted> checked) {
    lifetime(pass);
    overBudget(pass.disruptions().stream().filter(d -> !checked.contains(d)).toList());
    // nodes disrupted with no replacement (a delete, a drift whose pods fit elsewhere) drain at once, named by their
    // own decision's line; the others drain behind replacements now ready
    Set<String> atOnce = pass.disruptions().stream().filter(d -> d.replacements() == 0)
        .map(ConsolidationService.Disrupted::node).collect(Collectors.toSet());
    List<String> behindReplacements = pass.drained().stream().filter(n -> !atOnce.contains(n)).toList();
    if (!behindReplacements.isEmpty()) {
      decision("consolidation: replacements ready, draining " + behindReplacements);
    }
    // a command found and not started says why (its launch failed, the cluster changed while it was checked): a
    // replace given up in the same pass is otherwise only its abandoned nodes
    ConsolidationPlan plan = pass.plan();
    if (!pass.started() && plan.action() != ConsolidationPlan.Action.NONE) {
      decision("consolidation: " + described(plan) + (pass.outcome().equals(plan.reason()) ? ""
          : "; " + pass.outcome()));
    }
    if (!pass.abandoned().isEmpty()) {
      decision("consolidation: replace abandoned (pods pending meanwhile took its replacements' room, or a"
          + " replacement failed), keeping " + pass.abandoned());
    }
    if (pass.started()) {
      consolidationActions++;
      decision("consolidation " + described(plan));
      Set<String> own = plan.nodes().stream().map(c -> c.state().node()).collect(Collectors.toSet());
      List<String> deleted = pass.drained().stream().filter(n -> atOnce.contains(n) && own.contains(n)).toList();
      if (!deleted.isEmpty()) {
        decision("consolidation: draining " + deleted);
      }
      consolidationAsValidated(pass);
    }
  }

  /** A consolidation command as the decision log names it: action, nodes, replacements, saving and why. */
  private static String described(ConsolidationPlan plan) {
    return plan.action().label() + " " + plan.nodes().size() + " node(s) "
        + plan.nodes().stream().collect(Collectors.groupingBy(c -> c.claim().instanceType(), TreeMap::new,
            Collectors.counting())) + (plan.replacements().isEmpty() ? ""
        : " → " + (plan.replacements().size() == 1 ? plan.replacements().getFirst().instanceTypes().getFirst()
            .name() : plan.replacements().stream().collect(Collectors.groupingBy(
            r -> r.instanceTypes().getFirst().name(), TreeMap::new, Collectors.counting())))) + ", saving $"
        + money(plan.savingPerHour()) + "/h: " + plan.reason();
  }

  private void checkReservations() {
    Map<String, Integer> seen = new HashMap<>();
    // a reservation matters while its claim is in flight; once the node is ready the cluster's scheduler places pods
    for (Claim c : store.claims()) {
      if (c.state() == ClaimState.Launching || c.state() == ClaimState.Launched || c.state() == ClaimState.Registered) {
        c.pods().forEach(p -> seen.merge(p, 1, Integer::sum));
      }
    }
    doubleReservations = Math.max(doubleReservations, (int) seen.values().stream().filter(n -> n > 1).count());
  }

  // ---- delivering events to the functions, as AWS does

  private void deliver(String function, String subject, Runnable call) {
    deliveries.deliver(function, subject, call);
  }

  /** A failed attempt: a spot warning whose first attempt the faults killed is exempt from the 10 s drain. */
  private void failed(Deliveries.Invocation invocation, Throwable failure) {
    if (invocation.function().equals("interruption") && invocation.attempt() == 0
        && (failure instanceof FaultInjection.InvocationDied || failure instanceof FaultInjection.Throttled)) {
      spotWarningsExempt.add(invocation.subject());
    }
  }

  /** The forwarder restarts: its open batch is lost, and its informers list every pod and node again. */
  private void forwarderRestart() {
    faults.count("forwarderRestart");
    note("the forwarder restarts");
    forwarderListedAt = clock.instant();
    batch.clear();
    batchGeneration++;
    cluster.pending().forEach(p -> p.lastSent = null);
    // its mirror starts afresh: every node is written at its first tick
    mirrored.clear();
    mirroredAt.clear();
    cluster.nodes.values().forEach(cluster::touch);
    changed();
  }

  // ---- what must hold

  private void checkInvariants() {
    Instant now = clock.instant();
    List<Claim> claims = store.claims();
    invariants.oneReservationPerPod(claims, now);
    invariants.oneLiveClaimPerInstance(ec2.running().stream().map(SimulatedEc2.Bill::instanceId).toList(), claims,
        now);
    invariants.claimsSettle(claims, now);
    poolLimitsHold(claims, now);
    for (String foreign : foreignInstances) {
      if (!ec2.exists(foreign)) {
        invariants.broken(Invariants.NOTHING_FOREIGN, now, foreign, "foreign instance " + foreign
            + " was terminated");
      }
    }
  }

  /** (c) An instance is terminated only once its node was drained, or when EC2 takes it. */
  private void drainedBeforeTerminated(String instanceId) {
    String name = nodeByInstance.get(instanceId);
    Node node = name == null ? null : cluster.nodes.get(name);
    if (reclaiming || node == null || drainedAt.containsKey(name)) {
      return;
    }
    long pods = node.pods.stream().filter(p -> !p.daemon()).count();
    if (pods > 0) {
      invariants.broken(Invariants.DRAINED_BEFORE_TERMINATED, clock.instant(), instanceId, "instance " + instanceId
          + " was terminated by the " + faults.function() + " with " + pods + " pods on node " + name
          + " that no Drain evicted (its claims: " + ec2.claimsOf(instanceId).stream().map(id -> store.claim(id)
              .map(c -> c.id() + " " + c.state() + " " + c.instanceId() + " since "
                  + Duration.between(start, c.updatedAt()).toSeconds() + " s").orElse(id + " unknown")).toList()
          + ")");
    }
  }

  /** (e) A spot warning's Drain went out within 10 s of the warning reaching the function. */
  private void spotDrainInTime(String instanceId, Instant warned) {
    String name = nodeByInstance.get(instanceId);
    if (name == null || spotWarningsExempt.contains(instanceId)) {
      return;
    }
    Instant drained = drainedAt.get(name);
    if (drained == null || drained.isBefore(warned)
        || Duration.between(warned, drained).compareTo(Invariants.SPOT_DRAIN_LIMIT) > 0) {
      invariants.broken(Invariants.SPOT_DRAIN_IN_TIME, clock.instant(), instanceId, "no Drain of " + name
          + " within 10 s of the spot warning for " + instanceId);
    }
  }

  /** (f) Consolidation launches what it validated, and for less than what it replaces. */
  private void consolidationAsValidated(ConsolidationService.Pass pass) {
    if (pass.replacementClaims().isEmpty()) {
      return;
    }
    List<Claim> launched = pass.replacementClaims().stream().map(id -> store.claim(id).orElse(null))
        .filter(java.util.Objects::nonNull).toList();
    ConsolidationPlan plan = pass.plan();
    double before = plan.nodes().stream().mapToDouble(c -> c.claim().pricePerHour()).sum();
    double after = launched.stream().mapToDouble(Claim::pricePerHour).sum();
    Set<String> validatedTypes = plan.replacements().stream().flatMap(r -> r.instanceTypes().stream())
        .map(t -> t.name()).collect(Collectors.toSet());
    String subject = String.join(",", plan.claimIds());
    // fewer than validated is EC2 refusing some (the replace is then abandoned, its nodes never drained); more, or
    // others, is a plan nobody checked
    if (launched.size() > plan.replacements().size()) {
      invariants.broken(Invariants.CONSOLIDATION_AS_VALIDATED, clock.instant(), subject, "validated "
          + plan.replacements().size() + " replacement(s) for " + plan.claimIds() + ", launched " + launched.size());
    } else if (launched.stream().anyMatch(c -> c.instanceType() != null && !validatedTypes.contains(c.instanceType()))) {
      invariants.broken(Invariants.CONSOLIDATION_AS_VALIDATED, clock.instant(), subject, "launched "
          + launched.stream().map(Claim::instanceType).toList() + " where " + validatedTypes + " were validated");
    } else if (launched.size() == plan.replacements().size() && after >= before) {
      invariants.broken(Invariants.CONSOLIDATION_AS_VALIDATED, clock.instant(), subject, "replacements cost $"
          + money(after) + "/h for nodes that cost $" + money(before) + "/h");
    }
  }

  /** (i) What each NodePool's running instances hold against its limits, counted as Karpenter counts them. */
  private void poolLimitsHold(List<Claim> claims, Instant now) {
    Set<String> runningIds = new HashSet<>();
    ec2.running().forEach(bill -> runningIds.add(bill.instanceId()));
    Map<String, Claim> byId = new HashMap<>();
    Set<String> replaced = new HashSet<>();
    for (Claim c : claims) {
      byId.put(c.id(), c);
      // a node stops counting once the replacement standing in for it runs, not before
      if (c.state().live() && c.instanceId() != null && runningIds.contains(c.instanceId())) {
        replaced.addAll(c.replaces());
      }
    }
    Map<String, Map<String, dev.flotilla.model.Resources>> running = new TreeMap<>();
    for (SimulatedEc2.Bill bill : ec2.running()) {
      Claim c = bill.claimId() == null ? null : byId.get(bill.claimId());
      if (c == null || !c.state().live() || c.state() == ClaimState.Draining || replaced.contains(c.id())
          || catalog.type(bill.instanceType()) == null) {
        continue;
      }
      running.computeIfAbsent(c.nodePool(), k -> new TreeMap<>())
          .put(bill.instanceId(), NodeCapacity.capacity(catalog.type(bill.instanceType())));
    }
    Map<String, NodePool> byName = new HashMap<>();
    pools.forEach(p -> byName.put(p.name(), p));
    invariants.poolLimitsHold(byName, running, poolEditedAt, Duration.ofMinutes(2), now);
  }

  /** (g) Once the faults have stopped, every pod that fits somewhere runs within boot time and two minutes. */
  private void podsRun() {
    if (!scenario.faults().any()) {
      return;
    }
    Instant calm = start.plus(scenario.faults().until());
    Duration limit = Duration.ofSeconds(scenario.ec2().bootSeconds()).plusMinutes(2);
    Instant now = clock.instant();
    for (Pod p : cluster.pending()) {
      Instant since = p.created.isAfter(calm) ? p.created : calm;
      if (!p.daemon() && !unschedulable.contains(p.spec.name()) && Duration.between(since, now).compareTo(limit) > 0) {
        invariants.broken(Invariants.PODS_RUN, now, p.spec.name(), "pod " + p.spec.name() + " pending for "
            + Duration.between(p.created, now).toSeconds() + " s, " + Duration.between(since, now).toSeconds()
            + " s after the faults stopped");
      }
    }
  }

  // ---- measuring

  private void sample() {
    checkInvariants();
    podsRun();
    int spot = 0;
    int onDemand = 0;
    for (Node n : cluster.nodes.values()) {
      if (n.capacityType().equals("spot")) {
        spot++;
      } else {
        onDemand++;
      }
    }
    samples.add(new Sample(elapsed().toSeconds(), cluster.pending().size(), spot, onDemand,
        SimulationResult.round(ec2.pricePerHour()), SimulationResult.round(lastBound)));
  }

  /** The scheduler's fractional bound for the pods running now: the cheapest any fleet could be. */
  private double lowerBound() {
    List<PendingPod> running = runningPods();
    if (running.isEmpty()) {
      return 0;
    }
    // the same pods give the same bound; the chart needs only the bound, which costs a fraction of a plan
    if (!running.equals(boundPods)) {
      boundPods = running;
      boundPerHour = new Scheduler().lowerBound(new SchedulingInput(running, pools, catalog, daemonSets, Map.of()));
    }
    return boundPerHour;
  }

  /** At the end: the bound and what the scheduler's own plan of the pods running costs on new nodes. */
  private double finalBound() {
    List<PendingPod> running = runningPods();
    if (running.isEmpty()) {
      planPerHour = 0;
      return 0;
    }
    dev.flotilla.scheduling.Plan plan = new Scheduler().schedule(new SchedulingInput(running, pools, catalog,
        daemonSets, Map.of()));
    planPerHour = plan.totalPricePerHour();
    finalPlan = plan.nodeClaims();
    return plan.lowerBoundPerHour();
  }

  /**
   * After the run, the whole-pod bound of the pods running at the end ({@link Scheduler#wholePodBound}): no fleet of
   * whole pods on the scheduler's nodes can cost less, the final one included. Not a number where none run. Seconds
   * for a large cluster: asked for, not part of every run.
   */
  public double finalWholePodBound() {
    List<PendingPod> running = runningPods();
    return running.isEmpty() ? Double.NaN : new Scheduler().wholePodBound(new SchedulingInput(running, pools, catalog,
        daemonSets, Map.of()), finalPlan);
  }

  private List<PendingPod> runningPods() {
    return cluster.pods.values().stream().filter(p -> p.node != null && !p.daemon()).map(p -> p.spec).toList();
  }

  /**
   * The startup taint's fallback (see above), not for a consolidation's replacement held for its nodes' drain: no
   * Nominate was sent for it to reach the forwarder late. Its taint goes when a real one comes: the consolidation's
   * when it drains the nodes or gives the replace up, the garbage collector's once the hold is over.
   */
  private void liftLate(String instanceId, String name, Node node) {
    at(elapsed().plus(STARTUP_TAINT_FALLBACK), () -> {
      List<Claim> live = ec2.claimsOf(instanceId).stream().map(store::claim).flatMap(java.util.Optional::stream)
          .filter(c -> c.state().live()).toList();
      if (live.isEmpty() || cluster.nodes.get(name) != node || live.stream().anyMatch(lifecycle::heldForDrain)) {
        return;
      }
      if (cluster.liftStartupTaint(node)) {
        mirror(node);
        changed();
      }
    });
  }

  private SimulationResult result(long wallNanos) {
    List<Double> waits = new ArrayList<>();
    Instant now = clock.instant();
    for (Pod p : cluster.pods.values()) {
      if (!p.daemon()) {
        waits.add(seconds(p.created, p.bound == null ? now : p.bound));
      }
    }
    for (Pod p : cluster.finished) {
      if (!p.daemon() && p.bound != null) {
        waits.add(seconds(p.created, p.bound));
      }
    }
    int running = (int) cluster.pods.values().stream().filter(p -> !p.daemon() && p.node != null).count();
    int pending = (int) cluster.pods.values().stream().filter(p -> !p.daemon() && p.node == null).count();
    return new SimulationResult(podsCreated, running, pending, SimulationResult.PendingSeconds.of(waits),
        instancesLaunched, instancesTerminated, ec2.doubleLaunches() + doubleReservations,
        SimulationResult.round(ec2.costUsd()), SimulationResult.round(ec2.pricePerHour()),
        SimulationResult.round(lastBound), SimulationResult.round(planPerHour), interruptions,
        consolidationActions, nodesAtPeak,
        (int) plannedBy.values().stream().filter(claims -> claims.size() > 1).count(),
        consolidationRelaunched.size(), nominated, "kube-scheduler " + scenario.cluster().scoring(),
        scenario.duration().toSeconds(),
        wallNanos / 1_000_000, faults.injected(), invariants.violations(), new SimulationResult.Disruptions(
            disrupted.getOrDefault(dev.flotilla.disruption.DisruptionReason.Drifted, 0),
            disrupted.getOrDefault(dev.flotilla.disruption.DisruptionReason.Expired, 0),
            disrupted.getOrDefault(dev.flotilla.disruption.DisruptionReason.Unhealthy, 0)), budgetViolations);
  }

  // ---- the clock

  private void at(Duration after, Runnable action) {
    queue.add(new Timed(start.plus(after).toEpochMilli(), seq++, action));
  }

  private void every(Duration period, Runnable action) {
    at(elapsed().plus(period), () -> {
      action.run();
      every(period, action);
    });
  }

  private Duration elapsed() {
    return Duration.between(start, clock.instant());
  }

  private void note(String line) {
    listener.notable(elapsed(), line);
  }

  private void decision(String text) {
    decisions.add(new Decision(elapsed().toSeconds(), text));
    note(text);
  }

  private String nextEventId() {
    return "sim-" + (++eventSeq);
  }

  private static Instant max(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  private static double seconds(Instant from, Instant to) {
    return (to.toEpochMilli() - from.toEpochMilli()) / 1000.0;
  }

  static String money(double usd) {
    return String.format(java.util.Locale.ROOT, "%.3f", usd);
  }
}
