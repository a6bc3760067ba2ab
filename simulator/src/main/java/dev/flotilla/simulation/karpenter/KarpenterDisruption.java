package dev.flotilla.simulation.karpenter;

import dev.flotilla.catalog.OfferingSource;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.commands.Command;
import dev.flotilla.commands.CommandQueue;
import dev.flotilla.disruption.ConsolidationPlan;
import dev.flotilla.disruption.ConsolidationService;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.model.PendingPod;
import dev.flotilla.nodepool.NodePool;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Karpenter's disruption controller for consolidation (kubernetes-sigs/karpenter {@code disruption/controller.go}):
 * each pass tries emptiness, then multi-node, then single-node consolidation over the candidates the NodePools'
 * budgets allow, and holds the first command it finds; the command is validated {@link #VALIDATION_TTL} later
 * against the cluster as it is then ({@code validation.go}) and only then carried out: a delete drains the
 * candidates, a replace launches its NodeClaim and drains them once it is ready. A pass after which nothing changed
 * in the cluster finds nothing new, as {@code IsConsolidated} lets Karpenter skip it, for five minutes at most.
 */
final class KarpenterDisruption {

  /** {@code consolidationTTL}: how long a command waits before it is validated. */
  static final Duration VALIDATION_TTL = Duration.ofSeconds(15);
  /** How often a pass runs here: the validation wait, so a command held on one pass is validated on the next. */
  static final Duration PASS_EVERY = VALIDATION_TTL;
  /** How long a cluster found consolidated is not looked at again while nothing changes. */
  static final Duration CONSOLIDATED_FOR = Duration.ofMinutes(5);
  /** Karpenter's taint on the nodes it disrupts ({@code v1.DisruptedNoScheduleTaint}). */
  static final dev.flotilla.model.Taint DISRUPTED =
      new dev.flotilla.model.Taint("karpenter.sh/disrupted", "", "NoSchedule");

  private final ClaimStore store;
  private final CommandQueue commands;
  private final OfferingSource offerings;
  private final Supplier<List<NodePool>> pools;
  private final Supplier<List<PendingPod>> daemonSets;
  private final Clock clock;
  private final ClaimLauncher launcher;
  private final Consolidation consolidation = new Consolidation();
  private final Map<String, String> podsOnNode = new HashMap<>();
  private final Map<String, Instant> lastPodEvent = new HashMap<>();
  private DisruptionCommand held;
  private final dev.flotilla.simulation.Autoscaler.ClusterNodes cluster;
  /**
   * The candidates of the replaces under way, by claim, with their nodes: tainted {@link #DISRUPTED} before their
   * replacement launches (the orchestration queue's {@code StartCommand}), so that nothing new lands on a node whose
   * replacement was sized for what it ran; the taint comes off if the replacement fails.
   */
  private final Map<String, String> tainted = new LinkedHashMap<>();
  private String consolidatedState;
  private Instant consolidatedAt;

  KarpenterDisruption(ClaimStore store, CommandQueue commands, OfferingSource offerings,
      Supplier<List<NodePool>> pools, Supplier<List<PendingPod>> daemonSets, Clock clock, ClaimLauncher launcher,
      dev.flotilla.simulation.Autoscaler.ClusterNodes cluster) {
    this.cluster = cluster;
    this.store = store;
    this.commands = commands;
    this.offerings = offerings;
    this.pools = pools;
    this.daemonSets = daemonSets;
    this.clock = clock;
    this.launcher = launcher;
  }

  ConsolidationService.Pass run(String eventId) {
    List<Claim> claims = store.claims();
    List<String> drained = drainReplaced(claims);
    Consolidation.Snapshot snapshot = new Consolidation.Snapshot(store.claims(),
        ClusterView.parse(store.nodeStates()), pools.get(),
        offerings.catalog(), daemonSets.get(), clock.instant());
    trackPodEvents(snapshot);
    if (held != null) {
      if (snapshot.now().isBefore(held.computedAt().plus(VALIDATION_TTL))) {
        return idle("waiting to validate " + held.method(), drained);
      }
      DisruptionCommand cmd = held;
      held = null;
      Optional<String> invalid = invalid(snapshot, cmd);
      if (invalid.isPresent()) {
        String why = "abandoned after 15 s: " + invalid.get();
        return new ConsolidationService.Pass(plan(cmd, why), false, why, drained, List.of());
      }
      return execute(eventId, cmd, drained);
    }
    String state = fingerprint(snapshot);
    if (state.equals(consolidatedState) && snapshot.now().isBefore(consolidatedAt.plus(CONSOLIDATED_FOR))) {
      return idle("nothing changed since the cluster was found consolidated", drained);
    }
    List<DisruptionCandidate> candidates = candidates(snapshot);
    Optional<DisruptionCommand> cmd = find(snapshot, candidates);
    if (cmd.isEmpty()) {
      consolidatedState = state;
      consolidatedAt = snapshot.now();
      return idle("no consolidation", drained);
    }
    held = cmd.get();
    return new ConsolidationService.Pass(plan(held, "held for validation"), false, "held for validation", drained,
        List.of());
  }

  private Optional<DisruptionCommand> find(Consolidation.Snapshot s, List<DisruptionCandidate> candidates) {
    Map<String, Integer> empty = budgets(s, "Empty");
    List<DisruptionCandidate> emptyNodes = new ArrayList<>();
    for (DisruptionCandidate c : candidates) {
      if (c.reschedulable().isEmpty() && empty.getOrDefault(c.pool().name(), 0) > 0) {
        emptyNodes.add(c);
        empty.merge(c.pool().name(), -1, Integer::sum);
      }
    }
    if (!emptyNodes.isEmpty()) {
      return Optional.of(new DisruptionCommand(DisruptionCommand.Method.EMPTINESS, emptyNodes, null, s.now()));
    }
    List<DisruptionCandidate> underutilized = candidates.stream().filter(c -> !c.reschedulable().isEmpty()
        && c.pool().disruption().consolidationPolicy() == NodePool.ConsolidationPolicy.WhenEmptyOrUnderutilized)
        .toList();
    Map<String, Integer> budget = budgets(s, "Underutilized");
    List<DisruptionCandidate> allowed = new ArrayList<>();
    for (DisruptionCandidate c : underutilized) {
      if (budget.getOrDefault(c.pool().name(), 0) > 0) {
        allowed.add(c);
        budget.merge(c.pool().name(), -1, Integer::sum);
      }
    }
    Optional<DisruptionCommand> multi = consolidation.multiNode(s, allowed);
    if (multi.isPresent()) {
      return multi;
    }
    Map<String, Integer> single = budgets(s, "Underutilized");
    return consolidation.singleNode(s, underutilized.stream()
        .filter(c -> single.getOrDefault(c.pool().name(), 0) > 0).toList());
  }

  /**
   * {@code validation.go}: the candidates must all still be candidates within budget, and the same simulation must
   * give the same answer: a delete still a delete, a replace still one NodeClaim that could be every type chosen.
   */
  private Optional<String> invalid(Consolidation.Snapshot s, DisruptionCommand cmd) {
    Map<String, DisruptionCandidate> now = new HashMap<>();
    candidates(s).forEach(c -> now.put(c.claim().id(), c));
    List<DisruptionCandidate> fresh = new ArrayList<>();
    for (String id : cmd.claimIds()) {
      if (!now.containsKey(id)) {
        return Optional.of("claim " + id + " is no longer a candidate");
      }
      fresh.add(now.get(id));
    }
    Map<String, Integer> budget = budgets(s, cmd.method() == DisruptionCommand.Method.EMPTINESS ? "Empty"
        : "Underutilized");
    for (DisruptionCandidate c : fresh) {
      if (budget.merge(c.pool().name(), -1, Integer::sum) < 0) {
        return Optional.of("the budget of NodePool " + c.pool().name() + " no longer allows it");
      }
    }
    if (cmd.method() == DisruptionCommand.Method.EMPTINESS) {
      return fresh.stream().allMatch(c -> c.reschedulable().isEmpty()) ? Optional.empty()
          : Optional.of("a candidate is no longer empty");
    }
    Consolidation.Simulated sim = consolidation.simulate(s, fresh);
    if (!sim.allScheduled() || sim.newClaims().size() > 1) {
      return Optional.of("the candidates' pods no longer fit");
    }
    if (sim.newClaims().isEmpty()) {
      return cmd.delete() ? Optional.empty() : Optional.of("the simulation now needs no replacement");
    }
    if (cmd.delete()) {
      return Optional.of("the simulation now needs a replacement");
    }
    Set<String> types = new HashSet<>();
    sim.newClaims().getFirst().types.forEach(t -> types.add(t.type().name()));
    return cmd.replacement().instanceTypes().stream().allMatch(t -> types.contains(t.name())) ? Optional.empty()
        : Optional.of("the replacement's instance types no longer fit");
  }

  private ConsolidationService.Pass execute(String eventId, DisruptionCommand cmd, List<String> drained) {
    if (cmd.delete()) {
      for (DisruptionCandidate c : cmd.candidates()) {
        if (drain(c.claim(), cmd.method() + ": delete")) {
          drained.add(c.state().node());
        }
      }
      return new ConsolidationService.Pass(plan(cmd, cmd.method().name().toLowerCase(java.util.Locale.ROOT)
          + " delete"), true, "draining " + cmd.candidates().size() + " node(s)", drained, List.of());
    }
    Map<String, PendingPod> byName = new LinkedHashMap<>();
    cmd.candidates().forEach(c -> c.reschedulable().forEach(p -> byName.put(p.name(), p)));
    for (DisruptionCandidate c : cmd.candidates()) {
      tainted.put(c.claim().id(), c.state().node());
      cluster.taint(c.state().node(), DISRUPTED, true);
    }
    ClaimLauncher.Launched launched = launcher.launch(List.of(cmd.replacement()), byName, false, cmd.claimIds());
    if (launched.launched().isEmpty()) {
      for (DisruptionCandidate c : cmd.candidates()) {
        tainted.remove(c.claim().id());
        cluster.taint(c.state().node(), DISRUPTED, false);
      }
      String why = "replacement not launched: " + launched.failures();
      return new ConsolidationService.Pass(plan(cmd, why), false, why, drained, List.of());
    }
    return new ConsolidationService.Pass(plan(cmd, cmd.method().name().toLowerCase(java.util.Locale.ROOT)
        + " replace"), true, "replacement launched; the node(s) drain when it is ready", drained,
        launched.launched().stream().map(Claim::id).toList());
  }

  /**
   * The candidates: nodes whose NodeClaim is initialized and not already going, whose pods may all be evicted, and
   * whose pods have not changed for the NodePool's consolidateAfter (Karpenter's Consolidatable condition).
   */
  private List<DisruptionCandidate> candidates(Consolidation.Snapshot s) {
    Map<String, NodeState> states = states(s);
    Set<String> replaced = replaced(s.claims());
    List<DisruptionCandidate> out = new ArrayList<>();
    for (Claim c : s.claims()) {
      if (c.state() != ClaimState.Initialized || c.nodeName() == null || replaced.contains(c.id())) {
        continue;
      }
      NodeState state = states.get(c.nodeName());
      NodePool pool = s.pools().stream().filter(p -> p.name().equals(c.nodePool())).findFirst().orElse(null);
      if (state == null || pool == null || state.doNotDisrupt()
          || state.pods().stream().anyMatch(p -> !p.daemon() && p.blocker() != null)) {
        continue;
      }
      Instant since = lastPodEvent.getOrDefault(state.node(), c.updatedAt());
      if (s.now().isBefore(since.plus(pool.disruption().consolidateAfter()))) {
        continue;
      }
      out.add(new DisruptionCandidate(c, state, pool));
    }
    out.sort(DisruptionCandidate.BY_DISRUPTION_COST);
    return out;
  }

  /**
   * How many more nodes each NodePool's budgets let go for a reason: the least any budget that covers the reason
   * allows of the pool's nodes (a percentage rounds up), less the nodes already going.
   */
  private Map<String, Integer> budgets(Consolidation.Snapshot s, String reason) {
    Set<String> replaced = replaced(s.claims());
    Map<String, Integer> allowed = new HashMap<>();
    for (NodePool pool : s.pools()) {
      List<Claim> nodes = s.claims().stream().filter(c -> c.nodePool().equals(pool.name()) && c.state().live()
          && c.instanceId() != null).toList();
      long going = nodes.stream().filter(c -> c.state() == ClaimState.Draining || replaced.contains(c.id())).count();
      int min = Integer.MAX_VALUE;
      for (NodePool.Budget b : pool.disruption().budgets()) {
        if (b.reasons().isEmpty() || b.reasons().stream().anyMatch(reason::equalsIgnoreCase)) {
          min = Math.min(min, b.allowed(nodes.size()));
        }
      }
      allowed.put(pool.name(), (int) Math.max(0, (min == Integer.MAX_VALUE ? nodes.size() : min) - going));
    }
    return allowed;
  }

  /** Claims a live replacement is on its way for. */
  private static Set<String> replaced(List<Claim> claims) {
    Set<String> ids = new HashSet<>();
    claims.stream().filter(c -> c.state().live()).forEach(c -> ids.addAll(c.replaces()));
    return ids;
  }

  /** A node's pods changing restarts its consolidateAfter. */
  private void trackPodEvents(Consolidation.Snapshot s) {
    for (NodeState state : states(s).values()) {
      String pods = String.join(",", state.displaced().stream().map(PendingPod::name).sorted().toList());
      String before = podsOnNode.put(state.node(), pods);
      if (before != null && !before.equals(pods)) {
        lastPodEvent.put(state.node(), s.now());
      }
    }
  }

  /**
   * Lifts the taint of the candidates whose replacement failed, and drains the candidates of a replace once every
   * replacement's node is ready (the orchestration queue's wait).
   */
  private List<String> drainReplaced(List<Claim> claims) {
    Map<String, Claim> byId = new HashMap<>();
    claims.forEach(c -> byId.put(c.id(), c));
    Map<String, List<Claim>> replacementsOf = new LinkedHashMap<>();
    for (Claim r : claims) {
      r.replaces().forEach(id -> replacementsOf.computeIfAbsent(id, k -> new ArrayList<>()).add(r));
    }
    List<String> drained = new ArrayList<>();
    // a candidate whose replacement failed (its NodeClaim closed, or gone from the store) takes pods again; one that
    // drained or went, the taint no longer matters
    for (String id : new ArrayList<>(tainted.keySet())) {
      Claim old = byId.get(id);
      boolean staying = old != null && old.state().live() && old.state() != ClaimState.Draining;
      if (!staying || replacementsOf.getOrDefault(id, List.of()).stream().noneMatch(r -> r.state().live())) {
        String node = tainted.remove(id);
        if (staying) {
          cluster.taint(node, DISRUPTED, false);
        }
      }
    }
    replacementsOf.forEach((id, named) -> {
      // a replacement that failed still names the node (closed NodeClaims are kept a while): only live ones count,
      // else a node replaced again after a failed attempt never drained
      List<Claim> replacements = named.stream().filter(r -> r.state().live()).toList();
      Claim old = byId.get(id);
      boolean staying = old != null && old.state().live() && old.state() != ClaimState.Draining;
      if (staying && !replacements.isEmpty()
          && replacements.stream().allMatch(r -> r.state() == ClaimState.Initialized)
          && drain(old, "replaced by a ready NodeClaim")) {
        drained.add(old.nodeName());
      }
    });
    return drained;
  }

  private boolean drain(Claim claim, String reason) {
    if (claim.nodeName() == null) {
      return false;
    }
    try {
      store.transition(claim, claim.moved(ClaimState.Draining, clock.instant()));
    } catch (ClaimStore.StaleClaimException raced) {
      return false;
    }
    commands.send(List.of(Command.of(Command.Kind.Drain, claim.nodeName(), claim.id(),
        clock.instant().plus(ConsolidationService.DRAIN_DEADLINE), reason)));
    return true;
  }

  private static Map<String, NodeState> states(Consolidation.Snapshot s) {
    return s.nodes();
  }

  private static String fingerprint(Consolidation.Snapshot s) {
    StringBuilder b = new StringBuilder();
    s.claims().forEach(c -> b.append(c.id()).append(c.state()).append(c.version()).append(';'));
    new java.util.TreeMap<>(s.nodes()).forEach((k, v) -> b.append(k).append(v.hashCode()).append(';'));
    return b.toString();
  }

  private static ConsolidationService.Pass idle(String why, List<String> drained) {
    return new ConsolidationService.Pass(new ConsolidationPlan(ConsolidationPlan.Action.NONE, List.of(), List.of(),
        List.of(), 0, 0, why, List.of()), false, why, drained, List.of());
  }

  private static ConsolidationPlan plan(DisruptionCommand cmd, String reason) {
    ConsolidationPlan.Action action = switch (cmd.method()) {
      case EMPTINESS -> ConsolidationPlan.Action.DELETE_EMPTY;
      case MULTI_NODE -> ConsolidationPlan.Action.MULTI_NODE;
      case SINGLE_NODE -> cmd.delete() ? ConsolidationPlan.Action.DELETE : ConsolidationPlan.Action.REPLACE;
    };
    return new ConsolidationPlan(action, cmd.candidates().stream().map(DisruptionCandidate::asPlanCandidate).toList(),
        cmd.delete() ? List.of() : List.of(cmd.replacement()), List.of(), cmd.removedPricePerHour(),
        cmd.delete() ? 0 : cmd.replacement().pricePerHour(), reason, List.of());
  }
}
