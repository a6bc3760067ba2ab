package dev.flotilla.provisioning;

import dev.flotilla.binding.ScoringProfile;
import dev.flotilla.catalog.NodeCapacity;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.OfferingSource;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.claims.PodKind;
import dev.flotilla.cloud.CloudProvider;
import dev.flotilla.cloud.LaunchRequest;
import dev.flotilla.cloud.LaunchResult;
import dev.flotilla.commands.Command;
import dev.flotilla.commands.CommandQueue;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.scheduling.InFlightNode;
import dev.flotilla.scheduling.InFlightPlacement;
import dev.flotilla.scheduling.InstanceTypeOption;
import dev.flotilla.scheduling.NodeClaim;
import dev.flotilla.scheduling.RunningPods;
import dev.flotilla.scheduling.Plan;
import dev.flotilla.scheduling.Scheduler;
import dev.flotilla.scheduling.SchedulingInput;
import dev.flotilla.scheduling.Unschedulable;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Turns pending pods into launched nodes (the provisioning flow): drop pods an in-flight claim already reserves,
 * plan the rest (spare room of in-flight claims first, then new nodes), reserve, launch, record. Every step is
 * conditional in the claim store, so a repeated or concurrent event never launches twice: the pods a rival claimed
 * first are simply left for the forwarder's next batch.
 */
public final class Provisioner {

  /**
   * What one event led to.
   *
   * @param waitingForLeavingNodes pods not planned because the cluster's scheduler binds them once Flotilla's drained
   *     nodes are gone ({@link LeavingNodes})
   */
  public record Decision(
      String eventId,
      int received,
      int alreadyReserved,
      List<Claim> launched,
      List<InFlightPlacement> addedToInFlight,
      List<Unschedulable> unschedulable,
      List<String> failures,
      double addedPricePerHour,
      double lowerBoundPerHour,
      long decisionMillis,
      List<String> waitingForLeavingNodes) {

    /** A decision that held back no pod for nodes leaving. */
    public Decision(String eventId, int received, int alreadyReserved, List<Claim> launched,
        List<InFlightPlacement> addedToInFlight, List<Unschedulable> unschedulable, List<String> failures,
        double addedPricePerHour, double lowerBoundPerHour, long decisionMillis) {
      this(eventId, received, alreadyReserved, launched, addedToInFlight, unschedulable, failures, addedPricePerHour,
          lowerBoundPerHour, decisionMillis, List.of());
    }
  }

  /**
   * How long a launch may be in progress: the provisioner's timeout. A claim still Launching after it was left by an
   * invocation that died, and the next one resumes it.
   */
  public static final java.time.Duration LAUNCH_LEASE = java.time.Duration.ofSeconds(60);

  /** Pods one extension of a claim reserves: a transaction holds 100 items, the claim's own among them. */
  static final int EXTEND_CHUNK = 99;

  /** How long after its node is ready a claim's reservations still keep its pods from being planned again. */
  public static final java.time.Duration RESERVATION_GRACE = java.time.Duration.ofSeconds(60);

  /** The node-state mirror, each document parsed once while it stays the same. */
  private final dev.flotilla.disruption.MirroredNodes mirrored = new dev.flotilla.disruption.MirroredNodes();
  private final ClaimStore store;
  private final CloudProvider cloud;
  private final OfferingSource offerings;
  private final Supplier<List<NodePool>> pools;
  private final Supplier<List<PendingPod>> daemonSets;
  private final Scheduler scheduler = new Scheduler();
  private final Clock clock;
  private final Supplier<String> claimIds;
  private final LaunchRecords launches;
  private final Fanout fanout;
  private final CommandQueue notices;
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Provisioner.class);
  private final dev.flotilla.cloud.NodeImages images;
  private volatile OfferingCatalog knownCatalog;
  private final ScoringProfile scoring;

  public Provisioner(ClaimStore store, CloudProvider cloud, OfferingSource offerings, Supplier<List<NodePool>> pools,
      Supplier<List<PendingPod>> daemonSets, Clock clock) {
    this(store, cloud, offerings, pools, daemonSets, clock, () -> UUID.randomUUID().toString());
  }

  /** @param claimIds where new claims' ids come from: random in production, a sequence where a run must replay */
  public Provisioner(ClaimStore store, CloudProvider cloud, OfferingSource offerings, Supplier<List<NodePool>> pools,
      Supplier<List<PendingPod>> daemonSets, Clock clock, Supplier<String> claimIds) {
    this(store, cloud, offerings, pools, daemonSets, clock, claimIds, Fanout.SEQUENTIAL, null,
        dev.flotilla.cloud.NodeImages.NONE);
  }

  public Provisioner(ClaimStore store, CloudProvider cloud, OfferingSource offerings, Supplier<List<NodePool>> pools,
      Supplier<List<PendingPod>> daemonSets, Clock clock, Supplier<String> claimIds, Fanout fanout) {
    this(store, cloud, offerings, pools, daemonSets, clock, claimIds, fanout, null, dev.flotilla.cloud.NodeImages.NONE);
  }

  public Provisioner(ClaimStore store, CloudProvider cloud, OfferingSource offerings, Supplier<List<NodePool>> pools,
      Supplier<List<PendingPod>> daemonSets, Clock clock, Supplier<String> claimIds, CommandQueue notices) {
    this(store, cloud, offerings, pools, daemonSets, clock, claimIds, Fanout.SEQUENTIAL, notices,
        dev.flotilla.cloud.NodeImages.NONE);
  }

  public Provisioner(ClaimStore store, CloudProvider cloud, OfferingSource offerings, Supplier<List<NodePool>> pools,
      Supplier<List<PendingPod>> daemonSets, Clock clock, Supplier<String> claimIds,
      dev.flotilla.cloud.NodeImages images) {
    this(store, cloud, offerings, pools, daemonSets, clock, claimIds, Fanout.SEQUENTIAL, null, images);
  }

  /**
   * @param fanout how a decision's independent port calls run: its reads before planning, each claim's write and
   *     each claim's record of its launch
   * @param notices where the pods it cannot place are told why ({@code FailedProvisioning} commands, which the
   *     forwarder records as Events on the pods); none sends no notice
   * @param images the node image each architecture launches with now, noted on each claim for drift
   */
  public Provisioner(ClaimStore store, CloudProvider cloud, OfferingSource offerings, Supplier<List<NodePool>> pools,
      Supplier<List<PendingPod>> daemonSets, Clock clock, Supplier<String> claimIds, Fanout fanout,
      CommandQueue notices, dev.flotilla.cloud.NodeImages images) {
    this(store, cloud, offerings, pools, daemonSets, clock, claimIds, fanout, notices, images,
        ScoringProfile.LeastAllocated);
  }

  /**
   * @param scoring how the cluster's scheduler ranks the nodes a pod fits (its NodeResourcesFit strategy): where it
   *     binds the pods Flotilla judges for it, one after another, decides which room is left for the next
   */
  public Provisioner(ClaimStore store, CloudProvider cloud, OfferingSource offerings, Supplier<List<NodePool>> pools,
      Supplier<List<PendingPod>> daemonSets, Clock clock, Supplier<String> claimIds, Fanout fanout,
      CommandQueue notices, dev.flotilla.cloud.NodeImages images, ScoringProfile scoring) {
    this.scoring = scoring;
    this.fanout = fanout;
    this.notices = notices;
    this.images = images;
    this.claimIds = claimIds;
    this.launches = new LaunchRecords(store, cloud, clock);
    this.store = store;
    this.cloud = cloud;
    this.offerings = offerings;
    this.pools = pools;
    this.daemonSets = daemonSets;
    this.clock = clock;
  }

  /** How the cluster's scheduler ranks the nodes a pod fits. */
  public ScoringProfile scoring() {
    return scoring;
  }

  public Decision provision(String eventId, List<PendingPod> pending) {
    long start = System.nanoTime();
    Map<String, PendingPod> byName = new LinkedHashMap<>();
    pending.forEach(p -> byName.putIfAbsent(p.name(), p));
    Map<String, String> reserved = new HashMap<>(store.reservations(byName.keySet()));
    // the claims holding them, read together once: a burst's pods are reserved by hundreds of claims
    Map<String, Claim> holding = reserved.isEmpty() ? Map.of()
        : store.claims(new java.util.TreeSet<>(reserved.values()));
    Supplier<List<NodeState>> mirror = mirror();
    releaseStale(reserved, holding, byName, mirror);
    List<String> failures = new ArrayList<>();
    Launches resumed = resumeStalled(reserved, holding, failures);
    List<PendingPod> open = byName.values().stream().filter(p -> !reserved.containsKey(p.name())).toList();
    if (open.isEmpty()) {
      return new Decision(eventId, pending.size(), reserved.size(), resumed.launched(), List.of(), List.of(),
          failures, resumed.addedPricePerHour(), 0, millis(start));
    }
    Reads reads = read();
    OfferingCatalog catalog = reads.catalog();
    knownCatalog = catalog;
    List<Claim> live = reads.claims().stream().filter(c -> c.state().live()).toList();
    Set<String> held = LeavingNodes.waitingFor(open, mirror, reads.claims(), clock.instant(), scoring);
    List<String> waiting = List.copyOf(held);
    if (!held.isEmpty()) {
      open = open.stream().filter(p -> !held.contains(p.name())).toList();
      if (open.isEmpty()) {
        return new Decision(eventId, pending.size(), reserved.size(), resumed.launched(), List.of(), List.of(),
            failures, resumed.addedPricePerHour(), 0, millis(start), waiting);
      }
    }
    Plan plan = scheduler.schedule(new SchedulingInput(open, pools.get(), catalog, reads.daemonSets(),
        poolUsage(live, catalog), inFlight(live), RunningZones.countedBy(open, mirror, reads.claims())));

    List<InFlightPlacement> extended = extendInFlight(plan, live, byName, failures);
    Launches launches = launch(plan, byName, true, List.of(), failures, n -> claimIds.get());
    List<Claim> launched = new ArrayList<>(resumed.launched());
    launched.addAll(launches.launched());
    tellUnplaced(eventId, plan.unschedulable());
    return new Decision(eventId, pending.size(), reserved.size(), launched, extended, plan.unschedulable(),
        failures, Math.round((resumed.addedPricePerHour() + launches.addedPricePerHour()) * 1e6) / 1e6,
        plan.lowerBoundPerHour(), millis(start), waiting);
  }

  /** The forwarder's node mirror, read and parsed once a decision, and only if something asks for it. */
  private Supplier<List<NodeState>> mirror() {
    List<List<NodeState>> read = new ArrayList<>(1);
    return () -> {
      if (read.isEmpty()) {
        read.add(mirrored.read(store.nodeStates()));
      }
      return read.getFirst();
    };
  }

  private record Reads(OfferingCatalog catalog, List<Claim> claims, List<PendingPod> daemonSets) {}

  /** What a plan reads, none of it depending on the rest: the offerings, the claims, the DaemonSets. */
  @SuppressWarnings("unchecked")
  private Reads read() {
    List<Object> read = fanout.all(List.<Supplier<Object>>of(offerings::catalog, store::claims, daemonSets::get));
    return new Reads((OfferingCatalog) read.get(0), (List<Claim>) read.get(1), (List<PendingPod>) read.get(2));
  }

  /**
   * Sends the pods no node can be launched for, grouped by reason, to the forwarder, which records a rate-limited
   * {@code FailedProvisioning} Event on each (so {@code kubectl describe pod} says why). Sent after the launches, and
   * a notice that cannot be sent is only logged: it is a courtesy to the pods' users, and their pods come again with
   * the forwarder's next batch, and with them the notice.
   */
  private void tellUnplaced(String eventId, List<Unschedulable> unplaced) {
    if (notices == null || unplaced.isEmpty()) {
      return;
    }
    Map<String, List<String>> byReason = new LinkedHashMap<>();
    unplaced.forEach(u -> byReason.computeIfAbsent(u.reason(), r -> new ArrayList<>()).add(u.pod()));
    List<Command> commands = new ArrayList<>();
    byReason.forEach((reason, pods) -> commands.addAll(Command.failedProvisioning(pods, reason)));
    try {
      notices.send(commands);
    } catch (RuntimeException e) {
      LOG.atWarn().setMessage("FailedProvisioning notices not sent").addKeyValue("eventId", eventId)
          .addKeyValue("pods", unplaced.size()).addKeyValue("error", e.getMessage()).log();
    }
  }

  /** The claim an instance runs for, recorded now when only its tags knew it (see {@link LaunchRecords}). */
  public Optional<Claim> claimOf(String instanceId) {
    return launches.claimOf(instanceId);
  }

  /** The instance, where it carries Flotilla's ownership tags (checked by the cloud provider). */
  public Optional<dev.flotilla.cloud.CloudInstance> ownedInstance(String instanceId) {
    return cloud.ownedInstance(instanceId);
  }

  /**
   * Launches room for pods that still run on nodes about to go (a rebalance recommendation's replacement), before
   * they are evicted. The new claims reserve none of these pods: evicted pods come back under new names, and the
   * provisioner then finds the claims' spare room for them while their nodes are in flight, so nothing launches
   * twice. {@code replaces} names the claims whose nodes go.
   */
  public Decision replace(String eventId, List<PendingPod> displaced, List<String> replaces) {
    return replace(eventId, displaced, replaces, n -> claimIds.get());
  }

  /**
   * As {@link #replace}, for an event that may be handled more than once (a retry, a duplicate delivery, two
   * deliveries at once): the claims' ids derive from the event and the replaced claims, so every handling writes the
   * same claims, which the store's conditional create admits once, and only the first handling launches.
   */
  public Decision replaceOnce(String eventId, List<PendingPod> displaced, List<String> replaces) {
    return replace(eventId, displaced, replaces, n -> UUID.nameUUIDFromBytes(("replacement/" + eventId + "/"
        + String.join(",", replaces) + "/" + n).getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString());
  }

  private Decision replace(String eventId, List<PendingPod> displaced, List<String> replaces,
      java.util.function.IntFunction<String> ids) {
    long start = System.nanoTime();
    Map<String, PendingPod> byName = new LinkedHashMap<>();
    displaced.forEach(p -> byName.putIfAbsent(p.name(), p));
    if (byName.isEmpty()) {
      return new Decision(eventId, 0, 0, List.of(), List.of(), List.of(), List.of(), 0, 0, millis(start));
    }
    OfferingCatalog catalog = offerings.catalog();
    knownCatalog = catalog;
    List<Claim> claims = store.claims();
    List<Claim> live = claims.stream().filter(c -> c.state().live() && !replaces.contains(c.id())).toList();
    // the displaced pods leave their zones: a zone spread's counts are the cluster's without them, so their room is
    // planned where the cluster's scheduler will put them again, not spread afresh over every zone
    RunningPods staying = RunningZones.countedBy(List.copyOf(byName.values()), mirror(), claims,
        byName.keySet());
    Plan plan = scheduler.schedule(new SchedulingInput(List.copyOf(byName.values()), pools.get(), catalog,
        daemonSets.get(), poolUsage(live, catalog), List.of(), staying));
    List<String> failures = new ArrayList<>();
    Launches launches = launch(plan, byName, false, replaces, failures, ids);
    return new Decision(eventId, byName.size(), 0, launches.launched(), List.of(), plan.unschedulable(), failures,
        launches.addedPricePerHour(), plan.lowerBoundPerHour(), millis(start));
  }

  /**
   * Launches exactly these planned nodes (a consolidation's validated replacements) for pods that still run on the
   * nodes they replace, reserving none of them, as {@link #replace} does: what was checked is what is bought.
   */
  public Decision launchPlanned(String eventId, List<NodeClaim> nodes, List<PendingPod> displaced,
      List<String> replaces) {
    return launchPlanned(eventId, nodes, displaced, replaces, null);
  }

  /** As {@link #launchPlanned}, the replacements noting why the nodes they replace go ({@code replacingFor}). */
  public Decision launchPlanned(String eventId, List<NodeClaim> nodes, List<PendingPod> displaced,
      List<String> replaces, String replacingFor) {
    return launchPlannedInParts(eventId, nodes, displaced, java.util.Collections.nCopies(nodes.size(), replaces),
        replacingFor);
  }

  /**
   * As above, each planned node replacing the claims of its own entry in {@code replacesEach}: a replace of several
   * nodes in independent parts, written and launched together, each part drained (or abandoned) on its own.
   */
  public Decision launchPlannedInParts(String eventId, List<NodeClaim> nodes, List<PendingPod> displaced,
      List<List<String>> replacesEach, String replacingFor) {
    long start = System.nanoTime();
    Map<String, PendingPod> byName = new LinkedHashMap<>();
    displaced.forEach(p -> byName.putIfAbsent(p.name(), p));
    List<String> failures = new ArrayList<>();
    Map<String, String> notes = replacingFor == null ? Map.of()
        : Map.of(Claim.Annotations.REPLACING_FOR, replacingFor);
    String over = exceededLimit(nodes, replacesEach);
    if (over != null) {
      failures.add(over);
      return new Decision(eventId, byName.size(), 0, List.of(), List.of(), List.of(), failures, 0, 0, millis(start));
    }
    Launches launches = launch(nodes, byName, false, replacesEach::get, failures, n -> claimIds.get(), notes);
    return new Decision(eventId, byName.size(), 0, launches.launched(), List.of(), List.of(), failures,
        launches.addedPricePerHour(), 0, millis(start));
  }

  /**
   * Closes replacements launched for a replace given up before any of them joined (another replacement of the same
   * nodes failed): each is closed, conditionally (one another writer moved meanwhile stays), and its instance then
   * terminated, before its node joins and takes pods. They were launched, and counted against their pool's limits,
   * in place of nodes that now stay: kept, an empty node would hold its pool past its limits beside them until
   * consolidation deleted it. Should the termination fail or the run die before it, the garbage collector terminates
   * the instance, which no live claim owns then; a claim not closed (a write refused) is left for the consolidation
   * pass that finds the replace failed, which withdraws those still unjoined. Returns the claims closed.
   */
  public List<Claim> withdraw(List<Claim> replacements) {
    List<Claim> closed = new ArrayList<>();
    for (Claim c : replacements) {
      if (!c.state().live()) {
        continue;
      }
      try {
        closed.add(store.transition(c, c.moved(ClaimState.Terminated, clock.instant())));
      } catch (ClaimStore.StaleClaimException raced) {
        continue;
      } catch (RuntimeException e) {
        // each on its own: a throttled write for one must not keep the others; the pass that finds the replace
        // failed withdraws what is left
        LOG.warn("replacement {} not withdrawn yet: {}", c.id(), e.getMessage());
        continue;
      }
      if (c.instanceId() != null) {
        try {
          cloud.terminate(c.instanceId());
        } catch (RuntimeException e) {
          LOG.warn("instance {} of withdrawn replacement {} not terminated yet, the garbage collector will: {}",
              c.instanceId(), c.id(), e.getMessage());
        }
      }
    }
    return closed;
  }

  /**
   * Why these replacements would take a pool past its limits, counted as consolidation plans them (the claims as
   * they are now, without the ones they replace nor those another live replacement waits to take over); null where
   * they fit, and for nodes that replace none (a static pool's, checked where they are planned). The plan was checked
   * against the limits when it was made, but a launch since (the provisioner's, for pods a drain evicted meanwhile)
   * may have taken that room: a consolidation validated 15 s after its search once put a pool 32 CPUs over its limit
   * for 25 minutes.
   */
  private String exceededLimit(List<NodeClaim> nodes, List<List<String>> replacesEach) {
    Set<String> replaced = new HashSet<>();
    replacesEach.forEach(replaced::addAll);
    if (replaced.isEmpty()) {
      return null;
    }
    OfferingCatalog catalog = offerings.catalog();
    Map<String, Resources> usage = usageBeside(replaced, catalog);
    Map<String, NodePool> byName = new HashMap<>();
    pools.get().forEach(p -> byName.put(p.name(), p));
    for (NodeClaim node : nodes) {
      NodePool pool = byName.get(node.nodePool());
      // as the plan counted it: the largest of its types, any of which CreateFleet may launch
      Resources more = NodeCapacity.largest(node.instanceTypes().stream().map(InstanceTypeOption::name).toList(),
          catalog);
      if (pool == null || more == null) {
        continue;
      }
      Resources used = usage.getOrDefault(pool.name(), Resources.NONE);
      String exceeded = pool.exceededLimitReason(used, more);
      if (exceeded != null) {
        return exceeded + ": launched since the replacement was planned";
      }
      usage.put(pool.name(), used.plus(more));
    }
    return null;
  }

  /**
   * What the live claims, read now, count against their pools' limits without the claims {@code replaced} names nor
   * the nodes a live replacement stands in for, still running until it is ready: its replacement counts already.
   */
  private Map<String, Resources> usageBeside(Set<String> replaced, OfferingCatalog catalog) {
    List<Claim> live = store.claims().stream().filter(c -> c.state().live()).toList();
    Set<String> left = new HashSet<>(replaced);
    waitingReplaces(live).values().forEach(olds -> olds.forEach(old -> left.add(old.id())));
    return poolUsage(live.stream().filter(c -> !left.contains(c.id())).toList(), catalog);
  }

  /**
   * The live replacements still waiting to take over, each with the claims it stands in for whose nodes still run
   * (Ready, not draining yet), in the claims' order.
   */
  public static Map<Claim, List<Claim>> waitingReplaces(List<Claim> claims) {
    Map<String, Claim> byId = new HashMap<>();
    claims.forEach(c -> byId.put(c.id(), c));
    Map<Claim, List<Claim>> waiting = new java.util.LinkedHashMap<>();
    for (Claim c : claims) {
      List<Claim> olds = !c.state().live() ? List.of() : c.replaces().stream().map(byId::get)
          .filter(old -> old != null && old.state() == ClaimState.Initialized).toList();
      if (!olds.isEmpty()) {
        waiting.put(c, olds);
      }
    }
    return waiting;
  }

  private record Launches(List<Claim> launched, double addedPricePerHour) {}

  /** Writes a claim per planned node (reserving its pods when {@code reserve}), launches them, records the result. */
  private Launches launch(Plan plan, Map<String, PendingPod> byName, boolean reserve, List<String> replaces,
      List<String> failures, java.util.function.IntFunction<String> ids) {
    return launch(plan.nodeClaims(), byName, reserve, i -> replaces, failures, ids, Map.of());
  }

  private Launches launch(List<NodeClaim> nodeClaims, Map<String, PendingPod> byName, boolean reserve,
      java.util.function.IntFunction<List<String>> replaces, List<String> failures,
      java.util.function.IntFunction<String> ids, Map<String, String> notes) {
    // each claim is written by a task of its own; its id is taken there, as a sequential run always took it, just
    // before the write
    List<Supplier<ClaimStore.Creation>> writes = new ArrayList<>();
    for (int i = 0; i < nodeClaims.size(); i++) {
      NodeClaim nodeClaim = nodeClaims.get(i);
      int index = i;
      writes.add(() -> {
        Resources load = !reserve ? Resources.NONE : nodeClaim.pods().stream().map(n -> byName.get(n).requests())
            .reduce(Resources.NONE, Resources::plus);
        Claim claim = Claim.launching(ids.apply(index), nodeClaim.nodePool(),
            nodeClaim.instanceTypes().stream().map(t -> t.name()).toList(), nodeClaim.zones(),
            nodeClaim.capacityType(), reserve ? nodeClaim.pods() : List.of(), load,
            nodeClaim.pricePerHour(), clock.instant()).replacing(replaces.apply(index))
            .annotated(launchedWith(nodeClaim))
            .annotated(notes)
            .withKinds(reserve ? PodKind.of(nodeClaim.pods().stream().map(byName::get).toList()) : List.of());
        return store.create(claim);
      });
    }
    List<ClaimStore.Creation> creations = fanout.all(writes);
    List<Claim> created = new ArrayList<>();
    for (int i = 0; i < creations.size(); i++) {
      switch (creations.get(i)) {
        case ClaimStore.Created c -> created.add(c.claim());
        case ClaimStore.Conflict conflict -> failures.add("claim for " + nodeClaims.get(i).pods().size()
            + " pods not made: " + conflict.reservedPods().size() + " already reserved by another claim");
      }
    }
    return launchWritten(created, failures, false);
  }

  /**
   * The claims of {@code written} their pools' limits admit, counted on the claims read again once they are written.
   * Two invocations side by side (a batch delivered twice, two batches at once, a retry beside the next event) each
   * plan against the usage they read, and each may take the same room: the reservations keep them from planning the
   * same pods, but nothing kept them from filling one pool's last CPUs twice (generated seed 39: 208 CPUs in a pool of
   * 200). Read after the writes, the claims of both are there for at least the later reader, which gives up its own
   * claims, last written first, until the pool is within its limits again, closing them and releasing their pods to
   * the next batch; where both read after both wrote, both may give some up, and their pods wait a round. A claim
   * resumed after a crash is checked the same way before it launches.
   */
  private List<Claim> admitted(List<Claim> written, List<String> failures) {
    Map<String, NodePool> limited = new HashMap<>();
    for (NodePool pool : pools.get()) {
      if (pool.hasLimits()) {
        limited.put(pool.name(), pool);
      }
    }
    if (written.stream().noneMatch(c -> limited.containsKey(c.nodePool()))) {
      return written;
    }
    // counted as the plan and the launch-time check count them, without the nodes the claims just written replace,
    // whatever their state (a rebalance's replacement is planned without its node, which may not be Ready yet)
    Set<String> replaced = new HashSet<>();
    written.forEach(c -> replaced.addAll(c.replaces()));
    OfferingCatalog catalog = offerings.catalog();
    Map<String, Resources> usage = usageBeside(replaced, catalog);
    List<Claim> admitted = new ArrayList<>(written);
    for (int i = written.size() - 1; i >= 0; i--) {
      Claim claim = written.get(i);
      NodePool pool = limited.get(claim.nodePool());
      String exceeded = pool == null || !admitted.contains(claim) ? null
          : pool.exceededLimitReason(usage.getOrDefault(claim.nodePool(), Resources.NONE), Resources.NONE);
      if (exceeded == null) {
        continue;
      }
      // a replacement goes with the others of its replace or not at all: its old nodes drain once all are ready,
      // and their pods need the room of every one
      List<Claim> closing = claim.replaces().isEmpty() ? List.of(claim)
          : written.stream().filter(c -> c.replaces().equals(claim.replaces()) && admitted.contains(c)).toList();
      for (Claim c : closing) {
        admitted.remove(c);
        Resources counted = counted(c, catalog);
        Resources used = usage.getOrDefault(c.nodePool(), Resources.NONE);
        try {
          store.transition(c, c.moved(ClaimState.Terminated, clock.instant()));
          failures.add("claim " + c.id() + " not launched: " + exceeded + ", another launch having taken the room "
              + "since it was planned");
        } catch (ClaimStore.StaleClaimException raced) {
          // another invocation resuming it moved it first: not launched here; launched there, it still counts, at
          // most as its largest type
          failures.add("claim " + c.id() + " moved meanwhile: " + raced.getMessage());
          if (store.claim(c.id()).filter(now -> now.state().live()).isPresent()) {
            continue;
          }
        }
        usage.put(c.nodePool(), counted == null ? used : used.minus(counted));
      }
    }
    return admitted;
  }

  /** What became of one claim's launch: recorded launched, or the failure to report. */
  private record Recorded(Claim launched, double pricePerHour, String failure) {}

  /** What drift judges the node by later: its pool's template hash as it is at launch. */
  private Map<String, String> launchedWith(NodeClaim nodeClaim) {
    Map<String, String> notes = new LinkedHashMap<>();
    pools.get().stream().filter(p -> p.name().equals(nodeClaim.nodePool())).findFirst()
        .ifPresent(p -> notes.put(Claim.Annotations.NODEPOOL_HASH, p.templateHash()));
    return notes;
  }

  /**
   * The node image an instance of this type is launched with now, noted once the type is known. A type's
   * architecture never changes, so the catalog last read serves: no read of its own where a plan read one.
   */
  private Map<String, String> imageOf(String instanceType) {
    var type = knownCatalog().type(instanceType);
    return type == null ? Map.of() : images.current(type.arch())
        .map(image -> Map.of(Claim.Annotations.IMAGE, image)).orElse(Map.of());
  }

  /**
   * Launches claims already written (and Launching) and records what became of each; {@code resumed}: claims an
   * invocation before this one left Launching, which another may be resuming at the same time.
   */
  private Launches launchWritten(List<Claim> written, List<String> failures, boolean resumed) {
    List<Claim> claims = admitted(written, failures);
    List<Claim> launched = new ArrayList<>();
    double added = 0;
    if (!claims.isEmpty()) {
      List<LaunchResult> results = cloud.launch(claims.stream().map(c -> new LaunchRequest(c.id(), c.nodePool(),
          c.instanceTypes(), c.zones(), c.capacityType(), c.annotations().get(Claim.Annotations.NODEPOOL_HASH)))
          .toList());
      Map<String, dev.flotilla.cloud.CloudInstance> beside = resumed ? launchedBeside(results) : Map.of();
      List<Supplier<Recorded>> records = new ArrayList<>();
      for (int i = 0; i < results.size(); i++) {
        Claim claim = claims.get(i);
        LaunchResult result = results.get(i);
        records.add(() -> record(claim, result, beside.get(claim.id())));
      }
      for (Recorded r : fanout.all(records)) {
        if (r.launched() != null) {
          launched.add(r.launched());
          added += r.pricePerHour();
        } else {
          failures.add(r.failure());
        }
      }
    }
    return new Launches(launched, Math.round(added * 1e6) / 1e6);
  }

  /**
   * For resumed claims whose launch failed, the instance another invocation resuming the same claim got under its
   * client token, read once for them all: only an instance whose own claim tag names the claim (one launched for a
   * group names the group until its own tag is written, and may be another claim's), not recorded by a live claim
   * and not got by this launch. A failed read finds none: the claim is closed as before, and an instance it missed is
   * the garbage collector's.
   */
  private Map<String, dev.flotilla.cloud.CloudInstance> launchedBeside(List<LaunchResult> results) {
    Set<String> failed = new HashSet<>();
    Set<String> got = new HashSet<>();
    for (LaunchResult r : results) {
      switch (r) {
        case LaunchResult.Failed f -> failed.add(f.claimId());
        case LaunchResult.Launched l -> got.add(l.instanceId());
      }
    }
    if (failed.isEmpty()) {
      return Map.of();
    }
    Map<String, dev.flotilla.cloud.CloudInstance> found = new HashMap<>();
    try {
      for (dev.flotilla.cloud.CloudInstance i : cloud.ownedInstances()) {
        String own = i.tags().get(dev.flotilla.model.WellKnownLabels.CLAIM);
        if (own != null && failed.contains(own) && !got.contains(i.id())
            && store.claimByInstance(i.id()).filter(c -> c.state().live()).isEmpty()) {
          found.putIfAbsent(own, i);
        }
      }
    } catch (RuntimeException e) {
      LOG.atWarn().setMessage("instances launched beside failed resumed launches not looked for")
          .addKeyValue("error", e.toString()).log();
      return Map.of();
    }
    return found;
  }

  private Recorded record(Claim claim, LaunchResult result, dev.flotilla.cloud.CloudInstance launchedBeside) {
    try {
      switch (result) {
        case LaunchResult.Launched l -> {
          Claim next;
          try {
            next = store.transition(claim, claim.launched(l.instanceId(), l.instanceType(), l.zone(),
                l.capacityType(), l.pricePerHour(), clock.instant()).annotated(imageOf(l.instanceType()))
                .annotated(Claim.Annotations.network(l.subnet(), l.securityGroups())));
          } catch (ClaimStore.StaleClaimException raced) {
            abandonUnrecorded(claim.id(), l.instanceId());
            throw raced;
          }
          return new Recorded(next, l.pricePerHour(), null);
        }
        case LaunchResult.Failed f -> {
          // two invocations resuming the same claim side by side each ask CreateFleet under its client token: where
          // one got an instance and the other a capacity error, closing the claim would leave that instance running
          // pods under no claim, its spot warning ignored, until the garbage collector found it (a fault schedule
          // of the spot storm: two warnings undrained). The instance is recorded instead
          if (launchedBeside != null) {
            Claim next = store.transition(claim, claim.recording(launchedBeside, clock.instant()));
            return new Recorded(next, next.pricePerHour(), null);
          }
          // its pods are released and come back with the forwarder's next batch, without the failed offerings
          store.transition(claim, claim.moved(ClaimState.Terminated, clock.instant()));
          return new Recorded(null, 0, "claim " + claim.id() + " not launched: " + f.reason());
        }
      }
    } catch (ClaimStore.StaleClaimException raced) {
      // another invocation resuming the same launch recorded it first (the client token gave it this instance)
      return new Recorded(null, 0, "claim " + claim.id() + " recorded meanwhile: " + raced.getMessage());
    }
  }

  /**
   * An instance launched for a claim another invocation closed meanwhile (its own try at the same launch failed) has
   * no claim to run for: it is terminated now, before its node joins and takes pods, rather than by the garbage
   * collector later. One recorded for the claim by that other invocation stays.
   */
  private void abandonUnrecorded(String claimId, String instanceId) {
    boolean recorded = store.claim(claimId).filter(c -> c.state().live() && instanceId.equals(c.instanceId()))
        .isPresent();
    if (!recorded) {
      cloud.terminate(instanceId);
    }
  }

  /**
   * Resumes launches that an invocation left half done: a claim still Launching once {@link #LAUNCH_LEASE} has passed
   * was written by an invocation that died (or lost CreateFleet's answer) before recording the launch, and its pods
   * would wait, reserved, for the launch timeout. Launching it again under the same claim id is idempotent: the
   * request's client token derives from the claim, so an instance already launched for it is the one returned.
   */
  private Launches resumeStalled(Map<String, String> reserved, Map<String, Claim> holding, List<String> failures) {
    java.time.Instant cutoff = clock.instant().minus(LAUNCH_LEASE);
    List<Claim> stalled = new ArrayList<>();
    for (String claimId : new java.util.TreeSet<>(reserved.values())) {
      Optional.ofNullable(holding.get(claimId))
          .filter(c -> c.state() == ClaimState.Launching && c.createdAt().isBefore(cutoff)).ifPresent(stalled::add);
    }
    if (stalled.isEmpty()) {
      return new Launches(List.of(), 0);
    }
    // an instance launched for the claim whose answer was lost is recorded, not asked for again: a repeated request
    // could meet a capacity error and close a claim whose node is already joining
    Map<String, dev.flotilla.cloud.CloudInstance> launchedFor = dev.flotilla.cloud.OwnershipTags.launchedFor(
        cloud.ownedInstances());
    List<Claim> recorded = new ArrayList<>();
    List<Claim> again = new ArrayList<>();
    double added = 0;
    for (Claim c : stalled) {
      dev.flotilla.cloud.CloudInstance i = launchedFor.get(c.id());
      if (i == null) {
        again.add(c);
        continue;
      }
      try {
        recorded.add(store.transition(c, c.recording(i, clock.instant())));
        added += c.pricePerHour();
      } catch (ClaimStore.StaleClaimException raced) {
        failures.add("claim " + c.id() + " recorded meanwhile: " + raced.getMessage());
      }
    }
    Launches resumed = launchWritten(again, failures, true);
    recorded.addAll(resumed.launched());
    // a resumed launch that failed closed its claim and released its pods: they are planned now
    for (Claim c : again) {
      if (resumed.launched().stream().noneMatch(l -> l.id().equals(c.id()))) {
        reserved.values().removeIf(c.id()::equals);
      }
    }
    return new Launches(recorded, Math.round((added + resumed.addedPricePerHour()) * 1e6) / 1e6);
  }

  /**
   * Reserves the pods the plan put in in-flight claims' spare room, in chunks a transaction holds, each claim's
   * chunks one after the other at the version the last one left; the pods' kinds go with them, so that the next plan
   * counts their facts on the node.
   */
  private List<InFlightPlacement> extendInFlight(Plan plan, List<Claim> live, Map<String, PendingPod> byName,
      List<String> failures) {
    Map<String, Claim> claims = new HashMap<>();
    live.forEach(c -> claims.put(c.id(), c));
    List<InFlightPlacement> done = new ArrayList<>();
    for (InFlightPlacement placement : plan.inFlightPlacements()) {
      List<String> reserved = new ArrayList<>();
      List<String> all = placement.pods();
      for (int from = 0; from < all.size(); from += EXTEND_CHUNK) {
        List<String> pods = all.subList(from, Math.min(all.size(), from + EXTEND_CHUNK));
        List<PendingPod> specs = pods.stream().map(byName::get).toList();
        Resources load = specs.stream().map(PendingPod::requests).reduce(Resources.NONE, Resources::plus);
        Claim seen = claims.get(placement.claimId());
        try {
          if (store.extend(seen.withKinds(PodKind.merge(seen.kinds(), PodKind.of(specs))), pods, load)
              instanceof ClaimStore.Created created) {
            claims.put(seen.id(), created.claim());
            reserved.addAll(pods);
          } else {
            failures.add("claim " + placement.claimId() + " not extended: pods already reserved");
            break;
          }
        } catch (ClaimStore.StaleClaimException e) {
          failures.add("claim " + placement.claimId() + " not extended: " + e.getMessage());
          break;
        }
      }
      if (!reserved.isEmpty()) {
        done.add(new InFlightPlacement(placement.claimId(), reserved));
      }
    }
    return done;
  }

  /**
   * A pod still pending though its claim's node has been ready for {@link #RESERVATION_GRACE} did not fit there (the
   * cluster's scheduler placed others first): the claim's reservations are released so the pod is planned again.
   * One the scheduler refuses on the ready node already is planned again at once; its claim's other pods, which may
   * still land, stay out of this plan, and their reservations go with the claim's.
   */
  private void releaseStale(Map<String, String> reserved, Map<String, Claim> holding,
      Map<String, PendingPod> byName, Supplier<List<NodeState>> mirror) {
    if (reserved.isEmpty()) {
      return;
    }
    java.time.Instant cutoff = clock.instant().minus(RESERVATION_GRACE);
    // the batch's pods by the claim reserving them, grouped once: a burst's thousands of pods over hundreds of claims
    Map<String, List<PendingPod>> byClaim = new HashMap<>();
    reserved.forEach((pod, claimId) -> byClaim.computeIfAbsent(claimId, k -> new ArrayList<>()).add(byName.get(pod)));
    Map<Claim, List<PendingPod>> ready = new LinkedHashMap<>();
    Map<Claim, List<PendingPod>> coming = new LinkedHashMap<>();
    for (String claimId : new java.util.HashSet<>(reserved.values())) {
      Claim c = holding.get(claimId);
      if (c == null) {
        continue;
      }
      if (c.state() == ClaimState.Draining || (c.state() == ClaimState.Initialized
          && c.updatedAt() != null && c.updatedAt().isBefore(cutoff))) {
        store.release(c);
        reserved.values().removeIf(claimId::equals);
      } else if (c.state() == ClaimState.Initialized) {
        ready.put(c, byClaim.get(claimId));
      } else if (c.state() == ClaimState.Launched || c.state() == ClaimState.Registered) {
        coming.put(c, byClaim.get(claimId));
      }
    }
    // the pools read once, and only if a refused pod is judged again with the nodes coming
    Map<String, Map<String, String>> poolLabels = new HashMap<>();
    java.util.Set<String> refused = RefusedReservations.refused(ready, coming, c -> comingNodeLabels(c, poolLabels),
        mirror, scoring);
    for (Claim c : ready.keySet()) {
      // only the refused: the claim's other pods may still bind on its node, and keep their reservations until the
      // grace ends
      List<String> theirs = c.pods().stream().filter(refused::contains).toList();
      if (!theirs.isEmpty()) {
        store.release(c, theirs);
      }
    }
    reserved.keySet().removeAll(refused);
  }

  /**
   * The labels a launched claim's node will join with ({@link dev.flotilla.claims.ClaimNodeLabels}, with its zone,
   * region and, for its hostname, the claim's id); null while its type or zone is unknown.
   */
  private Map<String, String> comingNodeLabels(Claim c, Map<String, Map<String, String>> poolLabels) {
    if (c.instanceType() == null || c.zone() == null) {
      return null;
    }
    OfferingCatalog catalog = knownCatalog();
    dev.flotilla.catalog.InstanceType type = catalog.type(c.instanceType());
    if (type == null) {
      return null;
    }
    if (poolLabels.isEmpty()) {
      pools.get().forEach(p -> poolLabels.put(p.name(), p.labels()));
    }
    Map<String, String> labels = new LinkedHashMap<>(dev.flotilla.claims.ClaimNodeLabels.of(c, type,
        poolLabels.getOrDefault(c.nodePool(), Map.of())));
    labels.put(dev.flotilla.model.WellKnownLabels.ZONE, c.zone());
    dev.flotilla.catalog.NodeLabels.putRegion(labels, catalog.region());
    labels.put(dev.flotilla.model.WellKnownLabels.HOSTNAME, "~coming-" + c.id());
    return labels;
  }

  /** The catalog last read, read now if none was: for an instance type's facts, which never change. */
  private OfferingCatalog knownCatalog() {
    OfferingCatalog catalog = knownCatalog;
    if (catalog == null) {
      catalog = offerings.catalog();
      knownCatalog = catalog;
    }
    return catalog;
  }

  /** Launched and registered nodes not yet ready: their spare room is where new pods go first. */
  private static List<InFlightNode> inFlight(List<Claim> live) {
    // a replacement whose old node still runs its pods (a consolidation's, drift's, a rebalance's: the node drains
    // once the replacement is ready) was sized for those pods; pending pods given its room would leave them none
    java.util.Set<String> stillRunning = new java.util.HashSet<>();
    live.stream().filter(c -> c.state() != ClaimState.Draining).forEach(c -> stillRunning.add(c.id()));
    List<InFlightNode> nodes = new ArrayList<>();
    for (Claim c : live) {
      if (c.replaces().stream().anyMatch(stillRunning::contains)) {
        continue;
      }
      if ((c.state() == ClaimState.Launched || c.state() == ClaimState.Registered) && c.instanceType() != null) {
        nodes.add(new InFlightNode(c.id(), c.nodePool(), c.instanceType(), c.zone(), c.capacityType(), pods(c)));
      }
    }
    return nodes;
  }

  /**
   * The pods an in-flight claim holds, with their facts (labels, host ports, requests) kind by kind; a claim written
   * before it kept kinds stands for its pods with one pod of their total requests.
   */
  private static List<PendingPod> pods(Claim c) {
    if (c.kinds().isEmpty()) {
      return c.load().equals(Resources.NONE) ? List.of()
          : List.of(PendingPod.builder("flotilla/" + c.id()).requests(c.load()).build());
    }
    List<PendingPod> pods = new ArrayList<>();
    for (int i = 0; i < c.kinds().size(); i++) {
      pods.addAll(c.kinds().get(i).pods("flotilla/" + c.id() + "-" + i));
    }
    return pods;
  }

  /**
   * What live claims count against their pools' limits: the launched type, or until then the largest of the types
   * it offers in each resource, as CreateFleet may launch any of them (the first ranked, which it was before, let a
   * plan made while another launch was on its way fill the pool to its limit, and the other come up larger). A claim
   * draining (interrupted, expired, drifted, repaired, consolidated) counts for nothing, as a node marked for
   * deletion does in Karpenter's pool resources: its pods are already looking for room, and counted, they waited a
   * round for the limit while the node they left was on its way out (team-pools: 20 ledger pods, 30 s, in a spot
   * storm).
   */
  public static Map<String, Resources> poolUsage(List<Claim> live, OfferingCatalog catalog) {
    Map<String, Resources> usage = new HashMap<>();
    for (Claim c : live) {
      if (c.state() == ClaimState.Draining) {
        continue;
      }
      Resources counted = counted(c, catalog);
      if (counted != null) {
        usage.merge(c.nodePool(), counted, Resources::plus);
      }
    }
    return usage;
  }

  /** What one claim counts against its pool: its launched type, else the largest of its types; null if unknown. */
  private static Resources counted(Claim c, OfferingCatalog catalog) {
    return NodeCapacity.largest(c.instanceType() != null ? List.of(c.instanceType()) : c.instanceTypes(), catalog);
  }

  private static long millis(long start) {
    return (System.nanoTime() - start) / 1_000_000;
  }
}
