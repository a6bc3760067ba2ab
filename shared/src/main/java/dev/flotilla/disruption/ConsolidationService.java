package dev.flotilla.disruption;

import dev.flotilla.catalog.OfferingSource;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.commands.CommandQueue;
import dev.flotilla.disruption.ConsolidationPlan.Action;
import dev.flotilla.disruption.ConsolidationPlan.Candidate;
import dev.flotilla.model.PendingPod;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.provisioning.Provisioner;
import dev.flotilla.scheduling.NodeClaim;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * One disruption pass: drain the nodes whose replacements are now ready (a consolidation's in the pass's second half,
 * and only if the pods it evicts still land, else the replace waits or is abandoned); drain every expired node and
 * every node long not Ready
 * (budgets aside); then ask the graceful methods in Karpenter's order (emptiness, drift, multi-node and single-node
 * consolidation) for one command under the pools' budgets, and start it (a consolidation checked again against
 * state read afresh; a drift, started at once, leaves the consolidation methods after it their turn in the same
 * pass). A delete drains the nodes (the lifecycle function terminates each once its drain is done); a
 * replace launches first and drains only when the new node is ready, on a later pass. Moving a claim to Draining is
 * conditional, so two passes never disrupt the same node twice. A drain that did not finish by its deadline is
 * asked for again on a later pass.
 */
public final class ConsolidationService {

  /** How long a consolidation drain may take before the forwarder reports it failed. */
  public static final Duration DRAIN_DEADLINE = Duration.ofMinutes(10);
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ConsolidationService.class);
  /** The lease a pass holds while it runs. */
  public static final String LEASE_NAME = "consolidation";
  /** How often a pass runs (the stack's schedule). */
  public static final Duration EVERY = Duration.ofMinutes(1);
  /** The most a pass may run (the function's timeout). */
  public static final Duration TIMEOUT = Duration.ofSeconds(50);
  /**
   * How long a pass's lease lasts unless it ends it first: longer than a pass may run, so no two run together, and
   * shorter than the schedule's period, so a pass killed holding it holds back only its own retries, never the next
   * scheduled pass (see {@link dev.flotilla.lifecycle.GarbageCollector#LEASE}).
   */
  public static final Duration LEASE = TIMEOUT.plusSeconds(5);
  /** How long a consolidation command waits before it is checked again and started, as in Karpenter. */
  public static final Duration VALIDATION_DELAY = Duration.ofSeconds(15);
  /**
   * The time a pass's second half is given after its wait: a check of its command against the cluster, the drains of
   * ready replaces and the command's launches and commands, each call within its own timeout and retries.
   */
  public static final Duration SECOND_HALF = Duration.ofSeconds(10);

  /**
   * Whether an invocation with {@code left} to run has time for the wait and the second half; one that has not ends
   * its pass with {@link #giveUp}: killed at its timeout mid-way through the second half, the pass would hold the
   * lease until it expired, and its command would be half carried out until the next pass took it up.
   */
  public static boolean timeToFinish(Duration left) {
    return left.compareTo(VALIDATION_DELAY.plus(SECOND_HALF)) >= 0;
  }

  /**
   * What a pass did. {@code abandoned} names the nodes whose consolidation replace was given up: when its
   * replacements were ready, pods pending meanwhile had taken their room, or one of them failed. The nodes stay.
   */
  public record Pass(ConsolidationPlan plan, boolean started, String outcome, List<String> drained,
      List<String> replacementClaims, List<Disrupted> disruptions, List<String> abandoned) {

    public Pass(ConsolidationPlan plan, boolean started, String outcome, List<String> drained,
        List<String> replacementClaims) {
      this(plan, started, outcome, drained, replacementClaims, List.of(), List.of());
    }

    public Pass(ConsolidationPlan plan, boolean started, String outcome, List<String> drained,
        List<String> replacementClaims, List<Disrupted> disruptions) {
      this(plan, started, outcome, drained, replacementClaims, disruptions, List.of());
    }

    public Pass {
      disruptions = disruptions == null ? List.of() : List.copyOf(disruptions);
      abandoned = abandoned == null ? List.of() : List.copyOf(abandoned);
    }

    Pass with(List<Disrupted> more) {
      List<Disrupted> all = new ArrayList<>(more);
      all.addAll(disruptions);
      return new Pass(plan, started, outcome, drained, replacementClaims, all, abandoned);
    }

    /** The pass with {@code nodes} abandoned too (after those it names already). */
    Pass abandoning(List<String> nodes) {
      List<String> all = new ArrayList<>(abandoned);
      all.addAll(nodes);
      return new Pass(plan, started, outcome, drained, replacementClaims, disruptions, all);
    }
  }

  /**
   * A node whose disruption began in this pass: drained, or its replacement launched ({@code replacements} of them).
   *
   * @param allowedBy the budget that let it go, or why no budget applied (expiry, repair)
   */
  public record Disrupted(String node, String claimId, String nodePool, DisruptionReason reason, String allowedBy,
      String why, int replacements) {}

  private final ClaimStore store;
  private final Provisioner provisioner;
  private final OfferingSource offerings;
  private final Supplier<List<NodePool>> pools;
  private final Supplier<List<PendingPod>> daemonSets;
  private final Clock clock;
  private final Consolidator consolidator = new Consolidator();
  /** The node-state mirror, each document parsed once while it stays the same. */
  private final MirroredNodes mirrored = new MirroredNodes();
  /** Static pools are topped up on this schedule: it runs every minute, one pass at a time. */
  private final dev.flotilla.provisioning.StaticCapacity staticCapacity;
  private final Termination termination;
  private final CommandQueue commands;
  // ---- node lifetime: the graceful methods in order (see above), and the two that ignore budgets
  private final List<DisruptionMethod> methods;
  private final Expiration expiration = new Expiration();
  private final Repair repair = new Repair();

  public ConsolidationService(ClaimStore store, CommandQueue commands, Provisioner provisioner,
      OfferingSource offerings, Supplier<List<NodePool>> pools, Clock clock) {
    this(store, commands, provisioner, offerings, pools, List::of, clock);
  }

  /** @param daemonSets what every new node of a plan gives up to the cluster's DaemonSets */
  public ConsolidationService(ClaimStore store, CommandQueue commands, Provisioner provisioner,
      OfferingSource offerings, Supplier<List<NodePool>> pools, Supplier<List<PendingPod>> daemonSets, Clock clock) {
    this(store, commands, provisioner, offerings, pools, daemonSets, dev.flotilla.cloud.NodeImages.NONE, clock);
  }

  /** @param images the node images new nodes get now, which image drift compares each node's with */
  public ConsolidationService(ClaimStore store, CommandQueue commands, Provisioner provisioner,
      OfferingSource offerings, Supplier<List<NodePool>> pools, Supplier<List<PendingPod>> daemonSets,
      dev.flotilla.cloud.NodeImages images, Clock clock) {
    this(store, commands, provisioner, offerings, pools, daemonSets, images, dev.flotilla.cloud.NodeNetwork.NONE,
        clock);
  }

  /** @param network the subnets and security groups new nodes go into now, which network drift compares with */
  public ConsolidationService(ClaimStore store, CommandQueue commands, Provisioner provisioner,
      OfferingSource offerings, Supplier<List<NodePool>> pools, Supplier<List<PendingPod>> daemonSets,
      dev.flotilla.cloud.NodeImages images, dev.flotilla.cloud.NodeNetwork network, Clock clock) {
    this.termination = new Termination(store, commands, clock);
    this.commands = commands;
    this.methods = List.of(new Emptiness(consolidator), new Drift(consolidator, images, network),
        new MultiNodeConsolidation(consolidator), new SingleNodeConsolidation(consolidator));
    this.daemonSets = daemonSets;
    this.store = store;
    this.provisioner = provisioner;
    this.offerings = offerings;
    this.pools = pools;
    this.clock = clock;
    this.staticCapacity = new dev.flotilla.provisioning.StaticCapacity(provisioner, offerings, pools, daemonSets);
  }

  /**
   * One pass, unless another is running (it holds the lease): then nothing is done. The lease ends when the pass
   * does, failed or not, so a retry runs at once; a pass killed mid-way holds the next back until its lease expires.
   * Here a consolidation command is checked again at once; the function waits {@link #VALIDATION_DELAY} between
   * {@link #begin} and {@link #finish}.
   */
  public Pass run(String eventId) {
    return finish(begin(eventId));
  }

  /**
   * A pass's first half, as {@link #run}'s: under the lease, the nodes drift or a rebalance replaced drained, expiry
   * and repair, and the disruption methods asked for a command. A consolidation command is not started: it waits,
   * with the lease still held, for {@link #finish} to check it again on the cluster as it is then (Karpenter validates
   * after 15 s, so that a command found on a moment's state, pods just evicted or a node just Ready, is not acted
   * on); so do the consolidation's and drift's replaces whose replacements are ready, or joining (those Ready by
   * then drain then).
   */
  public Begun begin(String eventId) {
    Optional<ClaimStore.Lease> lease = store.tryLease(LEASE_NAME, LEASE);
    if (lease.isEmpty()) {
      String reason = "skipped: another consolidation pass is running";
      return Begun.done(new Pass(ConsolidationPlan.none(reason, List.of()), false, reason, List.of(), List.of()));
    }
    Begun begun = null;
    try {
      begun = firstHalf(eventId, lease.get());
      return begun;
    } finally {
      if (begun == null || !begun.waiting()) {
        endLease(lease.get());
      }
    }
  }

  /**
   * The pass's second half: the consolidation's and drift's replaces whose replacements are ready now (the claims read
   * again) checked and drained, then its command checked again on fresh state, with the replacements those drains
   * opened (or the replaces given up) counted open, and started if it holds; the lease ends.
   */
  public Pass finish(Begun begun) {
    if (!begun.waiting()) {
      return begun.pass();
    }
    try {
      List<String> drained = new ArrayList<>(begun.drained());
      List<String> abandoned = new ArrayList<>(begun.abandoned());
      // read again: a replacement that became ready during the wait drains now, not a pass later
      Set<String> opened = new java.util.HashSet<>();
      drained.addAll(drainHeld(readyReplaces(store.claims()), abandoned, opened));
      if (begun.command() == null) {
        Pass idle = begun.pass();
        return new Pass(idle.plan(), idle.started(), idle.outcome(), drained, idle.replacementClaims(),
            idle.disruptions(), abandoned);
      }
      return consolidate(begun.eventId(), begun.command(), drained, opened).with(begun.disrupted())
          .abandoning(abandoned);
    } finally {
      endLease(begun.lease());
    }
  }

  /**
   * Ends a pass whose first half left too little time for its wait and second half: the command waiting is not
   * started, the replaces waiting are not drained (the next pass finds both again), and the lease ends.
   */
  public Pass giveUp(Begun begun, Duration left) {
    if (!begun.waiting()) {
      return begun.pass();
    }
    try {
      String time = left.toMillis() / 1000 + " s left of the invocation, less than the "
          + VALIDATION_DELAY.toSeconds() + " s wait and the " + SECOND_HALF.toSeconds() + " s its check needs";
      String why = "not checked: " + time;
      LOG.atWarn().setMessage("consolidation pass ends before its wait").addKeyValue("eventId", begun.eventId())
          .addKeyValue("leftMillis", left.toMillis()).addKeyValue("why", why).log();
      if (begun.command() == null) {
        // the first half's own outcome stands; the replaces it held for the second half wait for the next pass
        Pass idle = begun.pass();
        return new Pass(idle.plan(), idle.started(),
            idle.outcome() + "; replaces waiting to drain not checked: " + time, idle.drained(),
            idle.replacementClaims(), idle.disruptions(), idle.abandoned());
      }
      return new Pass(begun.command().plan(), false, why, begun.drained(), List.of()).with(begun.disrupted())
          .abandoning(begun.abandoned());
    } finally {
      endLease(begun.lease());
    }
  }

  private void endLease(ClaimStore.Lease lease) {
    try {
      store.endLease(lease);
    } catch (RuntimeException e) {
      LOG.warn("consolidation lease not ended; it expires on its own: {}", e.getMessage());
    }
  }

  /**
   * What a pass's first half did: the pass, when it is over, or the consolidation command waiting to be checked
   * again (and what the half did before it: nodes drained after their replacements, nodes expired, repaired or
   * drifted, replaces abandoned).
   *
   * @param replacesDue whether a consolidation's or drift's replacements are ready, or joining, and their nodes wait
   *     for the second half to be checked and drained
   */
  public record Begun(Pass pass, String eventId, DisruptionCommand command, ClaimStore.Lease lease,
      List<String> drained, List<Disrupted> disrupted, List<String> abandoned, boolean replacesDue) {

    public static Begun done(Pass pass) {
      return new Begun(pass, null, null, null, List.of(), List.of(), List.of(), false);
    }

    /** Whether a consolidation command, or a replace's drain, waits for {@link ConsolidationService#finish}. */
    public boolean waiting() {
      return command != null || replacesDue;
    }
  }

  private Begun firstHalf(String eventId, ClaimStore.Lease lease) {
    List<String> abandoned = new ArrayList<>();
    // one read serves both: a retried drain is Draining before and after, which readyReplaces passes over
    List<Claim> claims = store.claims();
    staticCapacity.keep(eventId, claims);
    retryStalledDrains(claims);
    List<Disrupted> disrupted = new ArrayList<>();
    ReadyReplaces replaces = readyReplaces(claims);
    List<String> drained = new ArrayList<>(drainReplaced(replaces, abandoned));
    // replacements joining may be ready by the second half: it drains their nodes then, where a pass that ended here
    // would leave them a minute more
    boolean replacesDue = replaces.joining() || replaces.ready().keySet().stream()
        .anyMatch(ConsolidationService::heldForDrain);
    Consolidator.View view = view();
    disrupted.addAll(expireAndRepair(view));
    if (!disrupted.isEmpty()) {
      // what expiry and repair drained counts against the budgets of what follows
      view = view();
    }
    DisruptionBudgets budgets = view.budgets();
    Pass carried = null;
    for (DisruptionMethod method : methods) {
      Optional<DisruptionCommand> command = method.computeCommand(view, budgets);
      if (command.isEmpty()) {
        continue;
      }
      if (command.get().plan() == null) {
        // drift, one node at a time, would otherwise hold consolidation back for as long as nodes drift (a new image
        // a minute after a scale-down: half an hour of idle nodes); the methods after it look on, on the cluster as
        // the drift left it and within what its budgets leave. Karpenter's loop, every 10 s, gives each method
        // several turns a minute; a pass is one a minute
        carried = carryOut(eventId, command.get(), drained);
        if (carried.disruptions().isEmpty()) {
          // a consolidation's report, if one follows, would not carry it
          LOG.atWarn().setMessage("disruption not started").addKeyValue("reason", command.get().reason())
              .addKeyValue("nodes", command.get().nodes().stream().map(c -> c.state().node()).toList())
              .addKeyValue("why", carried.outcome()).log();
        }
        disrupted.addAll(carried.disruptions());
        view = view();
        budgets = view.budgets();
        continue;
      }
      return new Begun(null, eventId, command.get(), lease, List.copyOf(drained), List.copyOf(disrupted),
          List.copyOf(abandoned), replacesDue);
    }
    if (carried != null) {
      return done(new Pass(carried.plan(), carried.started(), carried.outcome(), drained, carried.replacementClaims(),
          disrupted, abandoned), eventId, lease, replacesDue);
    }
    // nothing to do: the last method's plan says why, node by node (its search is cached, so this costs nothing)
    ConsolidationPlan idle = ((ConsolidationMethod) methods.getLast()).plan(view);
    return done(new Pass(idle, false, idle.reason(), drained, List.of()).with(disrupted).abandoning(abandoned),
        eventId, lease, replacesDue);
  }

  /**
   * A first half with no command to check again: over, unless a replace's drain waits for the second half (its
   * replacements ready, or joining).
   */
  private static Begun done(Pass pass, String eventId, ClaimStore.Lease lease, boolean replacesDue) {
    return replacesDue ? new Begun(pass, eventId, null, lease, pass.drained(), List.of(), pass.abandoned(), true)
        : Begun.done(pass);
  }

  /**
   * The consolidation part of a pass: checked again on fresh state, then started.
   *
   * @param opened the replacements whose taint this pass lifted, draining their nodes or giving their replace up:
   *     open, though the mirror may show the taint a few seconds longer, and the pods a drain evicts go there
   */
  private Pass consolidate(String eventId, DisruptionCommand command, List<String> drained, Set<String> opened) {
    // the cluster moved while the command waited: act only if the same command still holds on what is there now
    ConsolidationPlan plan = consolidator.recheck(view(), command.plan(), opened);
    if (plan.action() == Action.NONE) {
      return new Pass(command.plan(), false, "not started: the cluster changed while it was checked ("
          + plan.reason() + ")", drained, List.of());
    }
    if (plan.replacements().isEmpty()) {
      List<Disrupted> disrupted = new ArrayList<>();
      for (Candidate c : plan.nodes()) {
        if (drain(c.claim(), command.reason(), "consolidation " + plan.action().label() + ": " + plan.reason())) {
          drained.add(c.state().node());
          disrupted.add(disrupted(c, command, 0));
        }
      }
      return new Pass(plan, true, "draining " + plan.nodes().size() + " node(s)", drained, List.of(), disrupted);
    }
    // exactly the nodes the plan was checked with: re-planning here could buy something else, or something dearer;
    // and each only among types that keep its part cheaper than what the part removes, whichever CreateFleet finds
    // (a part launches, or is given up, on its own: bounded over the whole replace, a part launched alone when the
    // other part's launch failed could buy a type as dear as its node)
    List<Part> parts = new ArrayList<>();
    for (Part part : parts(plan.nodes(), plan.replacements(), plan.moves())) {
      List<NodeClaim> bounded = part.bounded();
      if (bounded == null) {
        return new Pass(plan, false, "not started: no replacement type keeps the saving", drained, List.of());
      }
      parts.add(new Part(part.nodes(), bounded));
    }
    List<NodeClaim> replacements = new ArrayList<>();
    List<List<String>> replacing = new ArrayList<>();
    for (Part part : parts) {
      for (NodeClaim r : part.replacements()) {
        replacements.add(r);
        replacing.add(part.claimIds());
      }
    }
    // one write and one launch for every part: a crash leaves all or none of them to the lifecycle's timeout
    Provisioner.Decision decision = provisioner.launchPlannedInParts(eventId, replacements,
        plan.nodes().stream().flatMap(c -> c.state().displaced().stream()).toList(), replacing,
        command.reason().name());
    List<Claim> launched = new ArrayList<>(decision.launched());
    List<Disrupted> disrupted = new ArrayList<>();
    List<String> abandoned = new ArrayList<>();
    List<Part> started = new ArrayList<>();
    Set<String> startedClaims = new java.util.HashSet<>();
    for (Part part : parts) {
      List<Claim> own = launched.stream().filter(c -> c.replaces().equals(part.claimIds())).toList();
      if (own.size() == part.replacements().size()) {
        part.nodes().forEach(c -> disrupted.add(disrupted(c, command, own.size())));
        started.add(part);
        own.forEach(c -> startedClaims.add(c.id()));
        continue;
      }
      // a part that lost a replacement is abandoned at once: its nodes stay, and the replacements it did get, which
      // the pool's limits counted in their place and no pod waits for, are withdrawn before their nodes join
      Set<String> withdrawn = new java.util.HashSet<>(provisioner.withdraw(own).stream().map(Claim::id).toList());
      launched.removeIf(c -> withdrawn.contains(c.id()));
      List<String> nodes = part.nodes().stream().map(c -> c.state().node()).toList();
      String why = "a replacement was not launched: " + decision.failures();
      if (withdrawn.size() < own.size()) {
        // one moved or was not written: the next pass finds the replace failed and gives it up then
        LOG.atWarn().setMessage("consolidation replacements not withdrawn").addKeyValue("nodes", nodes)
            .addKeyValue("left", own.stream().map(Claim::id).filter(id -> !withdrawn.contains(id)).toList())
            .addKeyValue("why", why).log();
        continue;
      }
      abandoned.addAll(nodes);
      LOG.atInfo().setMessage("consolidation replace abandoned").addKeyValue("nodes", nodes)
          .addKeyValue("withdrawn", own.stream().map(Claim::id).toList()).addKeyValue("why", why).log();
    }
    if (disrupted.isEmpty()) {
      return new Pass(plan, false, "replacement not launched: " + decision.failures(), drained,
          launched.stream().map(Claim::id).toList()).abandoning(abandoned);
    }
    // the pass reports what it started: the parts under way, their replacements and saving, not those given up (nor
    // the replacements left of a part whose withdrawal a store error stopped, which the next pass gives up)
    ConsolidationPlan under = started.size() == parts.size() ? plan : plan.narrowedTo(
        started.stream().flatMap(p -> p.nodes().stream()).toList(),
        started.stream().flatMap(p -> p.replacements().stream()).toList());
    return new Pass(under, true, "replacement launched; the node(s) drain when it is ready", drained,
        launched.stream().map(Claim::id).filter(startedClaims::contains).toList(), disrupted).abandoning(abandoned);
  }

  /** Some of a replace's nodes and the replacements that take their pods. */
  private record Part(List<Candidate> nodes, List<NodeClaim> replacements) {
    List<String> claimIds() {
      return nodes.stream().map(c -> c.claim().id()).toList();
    }

    double removed() {
      return nodes.stream().mapToDouble(c -> c.claim().pricePerHour()).sum();
    }

    double saving() {
      return removed() - replacements.stream().mapToDouble(NodeClaim::pricePerHour).sum();
    }

    /**
     * The replacements, each in the zone it was validated in (elsewhere, the zone spreads of the pods it takes may
     * refuse them) and only among its types that keep the part cheaper than its nodes, whichever CreateFleet finds:
     * each may take its share of the part's saving, by its price, so that together they still save. Null where one
     * keeps no type.
     */
    List<NodeClaim> bounded() {
      double removed = removed();
      double planned = replacements.stream().mapToDouble(NodeClaim::pricePerHour).sum();
      double spare = Math.max(0, removed - planned - Consolidator.minSaving(removed));
      List<NodeClaim> bounded = new ArrayList<>();
      for (NodeClaim r : replacements) {
        NodeClaim validated = new NodeClaim(r.nodePool(), r.zone(), List.of(r.zone()), r.capacityType(),
            r.instanceTypes(), r.pods(), r.requests(), r.allocatable());
        double limit = planned > 0 ? r.pricePerHour() + spare * r.pricePerHour() / planned
            : removed - Consolidator.minSaving(removed);
        Optional<NodeClaim> kept = validated.pricedUnder(limit + 1e-9);
        if (kept.isEmpty()) {
          return null;
        }
        bounded.add(kept.get());
      }
      return bounded;
    }
  }

  /**
   * A replace of several nodes in independent parts: each replacement with the nodes whose pods it takes, joined
   * where they share one or share the spare room of a node that stays. Each part names only its own nodes, so a
   * part whose launch fails abandons those alone, and the others drain when their own replacements are ready
   * (checked then, as every replace is). Nodes whose pods go to no replacement go with the first part; and unless
   * every part saves on its own, the replace stays one part.
   */
  private static List<Part> parts(List<Candidate> nodes, List<NodeClaim> replacements,
      List<dev.flotilla.scheduling.InFlightPlacement> moves) {
    int n = nodes.size();
    int[] parent = new int[n + replacements.size()];
    for (int i = 0; i < parent.length; i++) {
      parent[i] = i;
    }
    Map<String, Integer> nodeOfPod = new HashMap<>();
    for (int i = 0; i < n; i++) {
      int node = i;
      nodes.get(i).state().displaced().forEach(p -> nodeOfPod.put(p.name(), node));
    }
    for (int j = 0; j < replacements.size(); j++) {
      for (String pod : replacements.get(j).pods()) {
        Integer node = nodeOfPod.get(pod);
        if (node != null) {
          parent[root(parent, node)] = root(parent, n + j);
        }
      }
    }
    for (dev.flotilla.scheduling.InFlightPlacement move : moves) {
      Integer first = null;
      for (String pod : move.pods()) {
        Integer node = nodeOfPod.get(pod);
        if (node != null) {
          if (first != null) {
            parent[root(parent, node)] = root(parent, first);
          }
          first = node;
        }
      }
    }
    Map<Integer, Part> byRoot = new java.util.LinkedHashMap<>();
    for (int j = 0; j < replacements.size(); j++) {
      byRoot.computeIfAbsent(root(parent, n + j), k -> new Part(new ArrayList<>(), new ArrayList<>()))
          .replacements().add(replacements.get(j));
    }
    List<Candidate> unlinked = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Part part = byRoot.get(root(parent, i));
      (part == null ? unlinked : part.nodes()).add(nodes.get(i));
    }
    List<Part> parts = new ArrayList<>(byRoot.values().stream().filter(p -> !p.nodes().isEmpty()).toList());
    if (parts.size() <= 1 || !unlinked.isEmpty() || parts.size() < byRoot.size()
        || parts.stream().anyMatch(p -> p.saving() < Consolidator.minSaving(p.removed()))) {
      return List.of(new Part(nodes, replacements));
    }
    return parts;
  }

  private static int root(int[] parent, int i) {
    while (parent[i] != i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  }

  private static Disrupted disrupted(Candidate c, DisruptionCommand command, int replacements) {
    return new Disrupted(c.state().node(), c.claim().id(), c.claim().nodePool(), command.reason(),
        command.allowedBy(), command.explanation(), replacements);
  }

  /**
   * A drift command: nodes whose pods fit elsewhere drain now; otherwise the replacements launch and the node drains
   * once they are ready, as a consolidation replace does (its claim notes the reason for that later drain).
   */
  private Pass carryOut(String eventId, DisruptionCommand command, List<String> drained) {
    ConsolidationPlan none = ConsolidationPlan.none(command.explanation(), List.of());
    List<Disrupted> disrupted = new ArrayList<>();
    if (command.replacements().isEmpty()) {
      for (Candidate c : command.nodes()) {
        if (drain(c.claim(), command.reason(), command.reason() + ": " + command.explanation())) {
          drained.add(c.state().node());
          disrupted.add(disrupted(c, command, 0));
        }
      }
      return new Pass(none, false, command.reason() + ": draining " + disrupted.size() + " node(s)", drained,
          List.of(), disrupted);
    }
    Candidate c = command.nodes().getFirst();
    try {
      store.transition(c.claim(), c.claim().annotated(java.util.Map.of(Claim.Annotations.DISRUPTION_REASON,
          command.reason().name())));
    } catch (ClaimStore.StaleClaimException raced) {
      return new Pass(none, false, command.reason() + ": not started, claim " + c.claim().id() + " moved meanwhile",
          drained, List.of());
    }
    Provisioner.Decision launched = provisioner.launchPlanned(eventId, command.replacements(),
        c.state().displaced(), command.claimIds(), command.reason().name());
    if (launched.launched().isEmpty()) {
      return new Pass(none, false, command.reason() + ": replacement not launched: " + launched.failures(), drained,
          List.of());
    }
    LOG.atInfo().setMessage("disruption started").addKeyValue("reason", command.reason())
        .addKeyValue("node", c.state().node()).addKeyValue("nodePool", c.claim().nodePool())
        .addKeyValue("allowedBy", command.allowedBy()).addKeyValue("why", command.explanation())
        .addKeyValue("replacements", launched.launched().stream().map(Claim::id).toList()).log();
    return new Pass(none, false, command.reason() + ": replacement launched; the node drains when it is ready",
        drained, List.of(), List.of(disrupted(c, command, launched.launched().size())));
  }

  /** Expiry and repair: every node due goes now, budgets aside; they count against the budgets of what follows. */
  private List<Disrupted> expireAndRepair(Consolidator.View view) {
    List<Disrupted> disrupted = new ArrayList<>();
    for (Candidate c : expiration.expired(view)) {
      NodePool pool = Expiration.pool(c, view);
      String why = "older than expireAfter " + pool.lifetime().expireAfter();
      if (termination.begin(c.claim(), DisruptionReason.Expired, Termination.grace(pool), "Expired: " + why)) {
        disrupted.add(new Disrupted(c.state().node(), c.claim().id(), c.claim().nodePool(),
            DisruptionReason.Expired, "expiry goes whatever the budgets say", why, 0));
      }
    }
    DisruptionBudgets budgets = view.budgets();
    Repair.Found found = repair.unhealthy(view, budgets);
    for (String pool : found.heldBack()) {
      LOG.atWarn().setMessage("repair held back: over 20% of the pool's nodes are unhealthy")
          .addKeyValue("nodePool", pool).log();
    }
    for (Candidate c : found.nodes()) {
      if (disrupted.stream().anyMatch(d -> d.claimId().equals(c.claim().id()))) {
        continue;
      }
      String why = "Ready has not been True for " + Repair.TOLERATION.toMinutes() + " min";
      if (termination.begin(c.claim(), DisruptionReason.Unhealthy, Repair.DRAIN_GRACE, "Unhealthy: " + why)) {
        disrupted.add(new Disrupted(c.state().node(), c.claim().id(), c.claim().nodePool(),
            DisruptionReason.Unhealthy, "repair goes whatever the budgets say", why, 0));
      }
    }
    for (Disrupted d : disrupted) {
      LOG.atInfo().setMessage("disruption started").addKeyValue("reason", d.reason()).addKeyValue("node", d.node())
          .addKeyValue("nodePool", d.nodePool()).addKeyValue("allowedBy", d.allowedBy()).addKeyValue("why", d.why())
          .log();
    }
    return disrupted;
  }

  private NodePool pool(String name) {
    return pools.get().stream().filter(p -> p.name().equals(name)).findFirst().orElse(null);
  }

  private Consolidator.View view() {
    List<NodeState> nodes = mirrored.read(store.nodeStates());
    return new Consolidator.View(nodes, store.claims(), pools.get(), offerings.catalog(), clock.instant(),
        daemonSets.get(), pending(), provisioner.scoring());
  }

  /** When the stale pending pods document last warned about was written. */
  private java.time.Instant staleWarned;

  /**
   * The pods the forwarder last saw pending; none when it wrote none, not lately ({@link
   * dev.flotilla.contracts.PendingPods#STALE_AFTER}), or what it wrote cannot be read (the check then sees the cluster
   * as it did before the forwarder mirrored them).
   */
  private dev.flotilla.contracts.PendingPods pending() {
    try {
      dev.flotilla.contracts.PendingPods doc = store.pendingPods().map(dev.flotilla.contracts.PendingPods::parse)
          .orElse(null);
      if (doc != null && doc.staleAt(clock.instant())) {
        // once per document: a pass reads the view several times, and every pass until the forwarder writes again
        if (!doc.at().equals(staleWarned)) {
          staleWarned = doc.at();
          LOG.atWarn().setMessage("pending pods mirror not read: the forwarder has not written it lately")
              .addKeyValue("writtenAt", doc.at().toString()).log();
        }
        return null;
      }
      return doc;
    } catch (IllegalArgumentException e) {
      LOG.atWarn().setMessage("pending pods mirror not read").addKeyValue("reason", e.getMessage()).log();
      return null;
    }
  }

  /**
   * Drains the nodes whose replacement is now ready (a consolidation's replace, drift's, a rebalance's): the second
   * half of a replace. The pass's first half drains a rebalance's, and gives up the replaces one of whose
   * replacements failed (this method); its second half, {@link #VALIDATION_DELAY} later, drains a consolidation's and
   * drift's, whose replacements were held for it ({@link #drainHeld}). Checked in the first half, drift's missed the
   * pods a scale-up sent pending just then, not reserved yet: over generated seeds 1 to 90 it relaunched 21 pods
   * where the second half relaunches 13, for $0.54 more.
   */
  private List<String> drainReplaced(ReadyReplaces replaces, List<String> abandoned) {
    // a replacement that failed (closed before its node was ready: no capacity, never joined) abandons the replace:
    // the node's pods would have nowhere to go, so it stays. The replacements that did come up stop naming it, or it
    // would count as on its way out, and against its pool's budget, for good; consolidation empties them later
    replaces.failed().forEach((replacements, olds) -> {
      // those not joined yet (still booting, or left by a pass that died before it withdrew them) hold no pod and
      // are withdrawn, as at launch; those that joined, held empty by their startup taint, have it lifted
      Map<Boolean, List<Claim>> byJoined = replacements.stream().collect(java.util.stream.Collectors.partitioningBy(
          r -> r.state() != ClaimState.Launching && r.state() != ClaimState.Launched));
      List<Claim> unjoined = byJoined.get(false);
      List<Claim> joined = byJoined.get(true);
      if (provisioner.withdraw(unjoined).size() < unjoined.size()) {
        // one moved or was not written: the next pass looks again, and counts the replace abandoned once
        return;
      }
      if (!unlink(joined)) {
        return;
      }
      open(joined);
      olds.forEach(o -> abandoned.add(o.nodeName()));
      LOG.atInfo().setMessage("consolidation replace abandoned").addKeyValue("nodes",
          olds.stream().map(Claim::nodeName).toList()).addKeyValue("replacements",
          replacements.stream().map(Claim::id).toList()).addKeyValue("why", "a replacement failed").log();
    });
    List<String> drained = new ArrayList<>();
    replaces.ready().forEach((replacements, olds) -> {
      if (!heldForDrain(replacements)) {
        drained.addAll(drainAll(olds, replacements));
      }
    });
    return drained;
  }

  /**
   * The pass's second half: drains the nodes a consolidation's or drift's ready replacements stand in for, each
   * replace checked again first as the cluster is then ({@link #check}): pods gone pending just before (a scale-up)
   * are reserved by then, and the check sees them.
   */
  private List<String> drainHeld(ReadyReplaces replaces, List<String> abandoned, Set<String> opened) {
    List<String> drained = new ArrayList<>();
    Map<List<Claim>, List<Claim>> ready = new java.util.LinkedHashMap<>(replaces.ready());
    ready.keySet().removeIf(replacements -> !heldForDrain(replacements));
    if (ready.isEmpty()) {
      return drained;
    }
    Consolidator.View view = view();
    // the replaces ready together first go as one, every replacement open: parts of one replace, or two replaces,
    // whose pods land only across each other's replacements
    if (ready.size() > 1) {
      List<Claim> allOlds = ready.values().stream().flatMap(List::stream).toList();
      List<Claim> allReplacements = ready.keySet().stream().flatMap(List::stream).toList();
      Set<String> all = new java.util.HashSet<>();
      allReplacements.forEach(r -> all.add(r.id()));
      if (check(view, allOlds, allReplacements, all, false, false) == ReadyReplace.DRAIN) {
        ready.forEach((replacements, olds) -> opened.addAll(open(replacements)));
        ready.forEach((replacements, olds) -> drained.addAll(drainAll(olds, replacements)));
        return drained;
      }
    }
    drained.addAll(drainChecked(ready, view, abandoned, opened));
    return drained;
  }

  /**
   * Drains held replaces one by one, each checked with what is open by then: its own replacements and those of the
   * replaces drained before it (the others stay held). A consolidation's that would strand pods is given up, drift's
   * drained anyway, unless pods still settling would take room its pods land in (see {@code check}): then it waits,
   * held.
   *
   * @param view the cluster as read for these replaces, or null to read it
   */
  private List<String> drainChecked(Map<List<Claim>, List<Claim>> ready, Consolidator.View view,
      List<String> abandoned, Set<String> opened) {
    List<String> drained = new ArrayList<>();
    Set<String> opening = new java.util.HashSet<>();
    for (Map.Entry<List<Claim>, List<Claim>> group : ready.entrySet()) {
      List<Claim> replacements = group.getKey();
      List<Claim> olds = group.getValue();
      replacements.forEach(r -> opening.add(r.id()));
      if (view == null) {
        // the replace drained before this one: its nodes' pods are evicted now
        view = view();
      }
      ReadyReplace checked = check(view, olds, replacements, opening, true, !consolidation(replacements));
      if (checked == ReadyReplace.ABANDONED) {
        olds.forEach(o -> abandoned.add(o.nodeName()));
        opened.addAll(open(replacements));
      }
      if (checked == ReadyReplace.WAIT) {
        // still held: no room for the replaces checked after it
        replacements.forEach(r -> opening.remove(r.id()));
      }
      if (checked != ReadyReplace.DRAIN) {
        continue;
      }
      // before the drain: a crash between the two leaves the nodes to drain on the next pass, while the other way
      // round the evicted pods would wait for the hold to run out
      opened.addAll(open(replacements));
      List<String> these = drainAll(olds, replacements);
      if (!these.isEmpty()) {
        drained.addAll(these);
        view = null;
      }
    }
    return drained;
  }

  /** Drains the nodes a replace's replacements, now ready, stand in for; returns those drained. */
  private List<String> drainAll(List<Claim> olds, List<Claim> replacements) {
    List<String> drained = new ArrayList<>();
    for (Claim old : olds) {
      if (drain(old, replacedFor(old), replacements.size() == 1 ? "replaced by claim "
          + replacements.getFirst().id() + ", whose node is ready" : "replaced by claims " + String.join(", ",
          replacements.stream().map(Claim::id).toList()) + ", whose nodes are ready")) {
        drained.add(old.nodeName());
      }
    }
    return drained;
  }

  private static boolean consolidation(List<Claim> replacements) {
    return replacements.stream().allMatch(r -> DisruptionReason.Underutilized.name()
        .equals(r.annotations().get(Claim.Annotations.REPLACING_FOR)));
  }

  private static boolean heldForDrain(List<Claim> replacements) {
    return replacements.stream().allMatch(ReplacementHold::heldForDrain);
  }

  /**
   * The live nodes replaced and not draining yet, by their last replace's replacements: those whose replacements
   * are all ready, and those one of whose replacements failed while another lives; and whether a replace held for its
   * drain has replacements joining (an instance running, its node not Ready yet), the rest ready.
   */
  private record ReadyReplaces(Map<List<Claim>, List<Claim>> ready, Map<List<Claim>, List<Claim>> failed,
      boolean joining) {}

  private static ReadyReplaces readyReplaces(List<Claim> claims) {
    Map<String, Claim> byId = new HashMap<>();
    claims.forEach(c -> byId.put(c.id(), c));
    // a node replaced by several drains once every one of them is ready
    Map<String, List<Claim>> replacementsOf = new java.util.LinkedHashMap<>();
    for (Claim replacement : claims) {
      replacement.replaces().forEach(id -> replacementsOf.computeIfAbsent(id, k -> new ArrayList<>())
          .add(replacement));
    }
    Map<List<Claim>, List<Claim>> ready = new java.util.LinkedHashMap<>();
    Map<List<Claim>, List<Claim>> failed = new java.util.LinkedHashMap<>();
    boolean joining = false;
    for (Map.Entry<String, List<Claim>> replaced : replacementsOf.entrySet()) {
      Claim old = byId.get(replaced.getKey());
      List<Claim> replacements = lastAttempt(replaced.getValue());
      if (old == null || !old.state().live() || old.state() == ClaimState.Draining) {
        continue;
      }
      if (replacements.stream().allMatch(r -> r.state() == ClaimState.Initialized)) {
        ready.computeIfAbsent(replacements, k -> new ArrayList<>()).add(old);
      } else if (heldForDrain(replacements) && replacements.stream().allMatch(r -> r.state() == ClaimState.Initialized
          || r.state() == ClaimState.Launched || r.state() == ClaimState.Registered)) {
        joining = true;
      } else if (replacements.stream().anyMatch(r -> !r.state().live())
          && replacements.stream().anyMatch(r -> r.state().live())) {
        failed.computeIfAbsent(replacements, k -> new ArrayList<>()).add(old);
      }
    }
    return new ReadyReplaces(ready, failed, joining);
  }

  /**
   * The replacements of a node's last replace. A replace whose launch failed (no capacity) leaves its claims closed,
   * still naming the node, and a later pass may replace the node again; the earlier attempt's closed claims must not
   * hold the later one's drain back for good. One attempt writes its claims within a pass; attempts are a pass
   * apart.
   */
  private static List<Claim> lastAttempt(List<Claim> replacements) {
    java.time.Instant newest = replacements.stream().map(Claim::createdAt).filter(java.util.Objects::nonNull)
        .max(java.time.Instant::compareTo).orElse(null);
    if (newest == null) {
      return replacements;
    }
    java.time.Instant attempt = newest.minus(LEASE.dividedBy(2));
    return replacements.stream().filter(r -> r.createdAt() == null || !r.createdAt().isBefore(attempt)).toList();
  }

  private enum ReadyReplace { DRAIN, WAIT, ABANDONED }

  /**
   * A consolidation's replacements are ready, but the cluster moved on while they booted: pods that were pending
   * took their room (the cluster's scheduler does not know whom a node was launched for), and the pods the drain
   * would evict now land nowhere. Draining would send them to a launch of their own, and the next pass would
   * remove a node again. The replace is abandoned instead: the replacements keep the pods they took, the old nodes
   * stay, and later passes weigh them afresh. Where only pods still settling would take the room (pending for nodes
   * not joined yet, or evicted by a drain), the replace waits, held, for them to land, as long as its replacements'
   * hold lasts ({@link ReplacementHold#LIMIT}).
   *
   * @param opening the replacements whose startup taint this pass lifts; every other replacement still held for its
   *     drain takes no pod
   * @param mayAbandon whether a replace whose pods would not land is given up (or, {@code mustGo}, drained
   *     anyway); else it only waits
   * @param mustGo a replace whose nodes go whether or not their pods land (drift's): it waits only for pods still
   *     settling, while its hold lasts, where fewer of its own pods would be stranded once the pods on their way to
   *     nodes of their own, and those a drain evicted, have landed; the pods pending that no claim reserves still
   *     queue then, since nothing but a launch settles them (README: "A drift waits for the pods on their way"). It
   *     is never given up
   */
  private ReadyReplace check(Consolidator.View view, List<Claim> olds, List<Claim> replacements,
      Set<String> opening, boolean mayAbandon, boolean mustGo) {
    Map<String, NodeState> byNode = new HashMap<>();
    view.nodes().forEach(n -> byNode.put(n.node(), n));
    if (replacements.stream().anyMatch(r -> r.nodeName() == null || !byNode.containsKey(r.nodeName()))) {
      // the mirror has not caught up with a replacement's node: nothing to check against yet, for a while; then the
      // replace goes ahead unchecked, as it always did, rather than hold the old nodes back for good. Replaces
      // checked together are then checked one by one, so that only this one goes ahead unchecked
      if (!mayAbandon) {
        return ReadyReplace.WAIT;
      }
      boolean late = replacements.stream().allMatch(r -> r.updatedAt() != null
          && !r.updatedAt().plus(Provisioner.RESERVATION_GRACE).isAfter(clock.instant()));
      LOG.atDebug().setMessage("consolidation replace waits for the mirror").addKeyValue("nodes",
          olds.stream().map(Claim::nodeName).toList()).addKeyValue("late", late).log();
      return late ? ReadyReplace.DRAIN : ReadyReplace.WAIT;
    }
    List<Candidate> removed = new ArrayList<>();
    for (Claim old : olds) {
      // a node the mirror no longer shows runs no pods to land
      NodeState state = old.nodeName() == null ? null : byNode.get(old.nodeName());
      if (state != null) {
        removed.add(new Candidate(state, old));
      }
    }
    List<String> stranded = new ConsolidationValidation(view, view.poolsByName(), opening, true).stranded(removed,
        List.of());
    if (stranded.isEmpty()) {
      return ReadyReplace.DRAIN;
    }
    if (!mayAbandon) {
      return ReadyReplace.WAIT;
    }
    Map<String, Claim> byId = new HashMap<>();
    view.claims().forEach(c -> byId.put(c.id(), c));
    boolean held = replacements.stream().allMatch(r -> r.createdAt() != null
        && ReplacementHold.holds(r, byId::get, view.now()));
    if (held) {
      List<String> strandedLater = (mustGo ? ConsolidationValidation.afterArrivals(view, view.poolsByName(), opening)
          : new ConsolidationValidation(view, view.poolsByName(), opening, false)).stranded(removed, List.of());
      // once they have landed, nothing evicted is left to strand: only the removed nodes' own pods compare
      if (strandedLater.isEmpty() || mustGo && strandedLater.size() < ownPods(removed, stranded)) {
        // the room is taken by pods still settling: pods on their way to nodes of their own that have not joined
        // yet, or pods a drain evicted. Opening the replacements now would give it to them, and the replace's pods
        // would need a launch. Held, the replacements wait for those pods to land, while their hold lasts
        LOG.atInfo().setMessage("consolidation replace waits").addKeyValue("nodes",
            olds.stream().map(Claim::nodeName).toList()).addKeyValue("stranded", stranded.size())
            .addKeyValue("strandedOnceLanded", strandedLater.size())
            .addKeyValue("why", "pods still settling (on their way to nodes still coming, or evicted) would take the"
                + " replacements' room").log();
        return ReadyReplace.WAIT;
      }
    }
    if (mustGo) {
      return ReadyReplace.DRAIN;
    }
    if (!unlink(replacements)) {
      return ReadyReplace.WAIT;
    }
    LOG.atInfo().setMessage("consolidation replace abandoned").addKeyValue("nodes",
        olds.stream().map(Claim::nodeName).toList()).addKeyValue("replacements",
        replacements.stream().map(Claim::id).toList()).addKeyValue("stranded", stranded.size())
        .addKeyValue("why", "pods pending or evicted meanwhile took the replacements' room or need the nodes' own;"
            + " the drain would leave " + stranded.size() + " pod(s) pending").log();
    return ReadyReplace.ABANDONED;
  }

  /** How many of {@code stranded} the removed nodes run: a check as it is also names pods other drains evicted. */
  private static long ownPods(List<Candidate> removed, List<String> stranded) {
    Set<String> own = new java.util.HashSet<>();
    removed.forEach(c -> c.state().displaced().forEach(p -> own.add(p.name())));
    return stranded.stream().filter(own::contains).count();
  }

  /**
   * Gives a replace up: its live replacements stop naming the nodes they were to replace, which stay. False when one
   * moved meanwhile; the next pass looks again.
   */
  private boolean unlink(List<Claim> replacements) {
    for (Claim r : replacements) {
      if (r.state().live()) {
        try {
          store.transition(r, r.replacing(List.of()));
        } catch (ClaimStore.StaleClaimException raced) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Lifts the startup taint a consolidation's or drift's replacements keep while their nodes wait to drain
   * ({@link ReplacementHold}): the forwarder's Nominate does it, naming no pods (the pods
   * planned there still run on the nodes the drain evicts). Sent again for a drain retried, which costs the
   * forwarder a read. Returns the claims whose taint it lifted.
   */
  private List<String> open(List<Claim> replacements) {
    List<Claim> lifting = replacements.stream()
        .filter(r -> r.state() == ClaimState.Initialized && r.nodeName() != null).toList();
    if (!lifting.isEmpty()) {
      commands.send(lifting.stream()
          .map(r -> dev.flotilla.commands.Command.nominate(r.nodeName(), r.id(), List.of())).toList());
    }
    return lifting.stream().map(Claim::id).toList();
  }

  /** Why a replaced node goes: the reason its claim notes, else consolidation's. */
  private static DisruptionReason replacedFor(Claim old) {
    String noted = old.annotations().get(Claim.Annotations.DISRUPTION_REASON);
    try {
      return noted == null ? DisruptionReason.Underutilized : DisruptionReason.valueOf(noted);
    } catch (IllegalArgumentException e) {
      return DisruptionReason.Underutilized;
    }
  }

  /**
   * A drain that outlived its deadline failed (a budget held a pod): the node stays cordoned and its claim Draining,
   * and the drain is asked for again, as often as the deadline, until the budget lets the pods go.
   */
  private void retryStalledDrains(List<Claim> claims) {
    java.time.Instant stalled = clock.instant().minus(DRAIN_DEADLINE);
    for (Claim c : claims) {
      if (c.state() == ClaimState.Draining && c.nodeName() != null && c.updatedAt() != null
          && c.updatedAt().isBefore(stalled)) {
        termination.retry(c, "drain retried: the last one did not finish in time");
      }
    }
  }

  private boolean drain(Claim claim, DisruptionReason reason, String why) {
    return termination.begin(claim, reason, Termination.grace(pool(claim.nodePool())), why);
  }
}
