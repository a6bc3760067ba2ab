package dev.flotilla.lifecycle;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.cloud.CloudProvider;
import dev.flotilla.commands.Command;
import dev.flotilla.commands.CommandQueue;
import dev.flotilla.contracts.NodeEvent;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.model.Taint;
import dev.flotilla.provisioning.LaunchRecords;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Moves claims as their nodes join, become ready and leave, and gives up on launches that never joined. Every move
 * is conditional; a move that lost a race is read again and retried, and one that is already done does nothing, so
 * events delivered twice are harmless.
 */
public final class Lifecycle {

  public static final Duration LAUNCH_TIMEOUT = Duration.ofMinutes(15);
  /**
   * How long after its node became Ready a node may still carry the startup taint before its Nominate is sent again:
   * the forwarder's nominating window (30 s), its mirror's 10 s and the queue's delivery, with room to spare.
   */
  public static final Duration NOMINATE_GRACE = Duration.ofMinutes(1);
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Lifecycle.class);
  private static final int ATTEMPTS = 3;

  /** The node-state mirror, each document parsed once while it stays the same. */
  private final dev.flotilla.disruption.MirroredNodes mirrored = new dev.flotilla.disruption.MirroredNodes();
  private final ClaimStore store;
  private final CloudProvider cloud;
  private final CommandQueue commands;
  private final Clock clock;
  private final Duration launchTimeout;
  private final LaunchRecords launches;

  public Lifecycle(ClaimStore store, CloudProvider cloud, CommandQueue commands, Clock clock, Duration launchTimeout) {
    this.store = store;
    this.cloud = cloud;
    this.commands = commands;
    this.clock = clock;
    this.launchTimeout = launchTimeout;
    this.launches = new LaunchRecords(store, cloud, clock);
  }

  /** Launched becomes Registered. Empty when no claim owns the instance or it is past that state. */
  public Optional<Claim> registered(NodeEvent event) {
    return move(event.instanceId(), ClaimState.Registered,
        c -> c.state() == ClaimState.Launched ? c.withNode(event.node()).moved(ClaimState.Registered, clock.instant())
            : null);
  }

  /**
   * Launched or Registered becomes Initialized, and a {@code Nominate} command goes to the forwarder for the node,
   * naming the pods the claim planned onto it (none, for a claim that planned none): the forwarder sets their
   * nominatedNodeName (those still pending) so that the cluster's scheduler places them where the plan has room for
   * them, then lifts the node's startup taint, which only that command lifts.
   *
   * <p>A Ready delivered again for a claim already Initialized on that node sends the command again while the node
   * mirror does not show the taint gone: the invocation that moved the claim may have died before sending it, and
   * nothing else would lift the taint before the garbage collector's next pass. The forwarder's execution is
   * idempotent (pods nominated already, or bound, are left alone; a taint already lifted is not looked for), so a
   * second command costs a few reads. Empty when the claim did not move.
   */
  public Optional<Claim> ready(NodeEvent event) {
    Optional<Claim> ready = move(event.instanceId(), ClaimState.Initialized,
        c -> c.state() == ClaimState.Launched || c.state() == ClaimState.Registered
            ? c.withNode(event.node()).moved(ClaimState.Initialized, clock.instant()) : null);
    if (ready.isPresent()) {
      if (!heldForDrain(ready.get())) {
        nominate(ready.get(), plannedPods(ready.get()));
      }
      return ready;
    }
    launches.claimOf(event.instanceId())
        .filter(c -> c.state() == ClaimState.Initialized && event.node().equals(c.nodeName()))
        .filter(c -> !heldForDrain(c))
        .filter(c -> {
          // a node not mirrored yet may still carry the taint
          String state = store.nodeStates().get(c.nodeName());
          return state == null || initializing(NodeState.parse(state));
        })
        .ifPresent(c -> nominate(c, stillReserved(c)));
    return Optional.empty();
  }

  /**
   * Ready nodes whose Nominate may never have reached the forwarder, as the node mirror shows them once their claim
   * has not moved for {@link #NOMINATE_GRACE}: without it a node keeps its startup taint, unschedulable for good.
   * A claim still Launched or Registered whose node the mirror shows Ready (its Ready event lost: dead-lettered, or
   * sent while the forwarder restarted) moves to Initialized and sends it; an Initialized claim whose node still
   * carries the taint (the command lost, its invocation having failed every retry) sends it again. The pods named
   * are those the claim still reserves. Returns the claims whose node was nominated.
   */
  public List<Claim> nominateReadyNodes() {
    List<Claim> sent = new ArrayList<>();
    Instant settled = clock.instant().minus(NOMINATE_GRACE);
    Map<String, NodeState> byName = null;
    Map<String, NodeState> byInstance = null;
    Map<String, Claim> claims = new java.util.LinkedHashMap<>();
    store.claims().forEach(c -> claims.put(c.id(), c));
    for (Claim c : claims.values()) {
      boolean joining = c.state() == ClaimState.Launched || c.state() == ClaimState.Registered;
      boolean initialized = c.state() == ClaimState.Initialized && c.nodeName() != null;
      if ((!joining && !initialized) || c.updatedAt() == null || c.updatedAt().isAfter(settled)) {
        continue;
      }
      if (byName == null) {
        byName = new java.util.HashMap<>();
        byInstance = new java.util.HashMap<>();
        for (NodeState state : mirrored.read(store.nodeStates())) {
          byName.put(state.node(), state);
          if (state.instanceId() != null) {
            byInstance.put(state.instanceId(), state);
          }
        }
      }
      if (initialized) {
        NodeState node = byName.get(c.nodeName());
        if (node != null && initializing(node) && !heldForDrain(c, claims::get)) {
          nominate(c, stillReserved(c));
          sent.add(c);
        }
        continue;
      }
      NodeState node = c.instanceId() == null ? null : byInstance.get(c.instanceId());
      // only a Ready condition the forwarder mirrored as True: a node not Ready yet gets its own Ready event
      if (node != null && node.condition("Ready").filter(r -> "True".equals(r.status())).isPresent()) {
        try {
          Claim caughtUp = store.transition(c, c.withNode(node.node()).moved(ClaimState.Initialized,
              clock.instant()));
          if (!heldForDrain(caughtUp, claims::get)) {
            nominate(caughtUp, stillReserved(caughtUp));
            sent.add(caughtUp);
          }
        } catch (ClaimStore.StaleClaimException raced) {
          // moved meanwhile: its own Ready came, or the launch expired
        }
      }
    }
    return sent;
  }

  /** Whether the claim's node keeps its startup taint for now ({@link dev.flotilla.disruption.ReplacementHold}). */
  public boolean heldForDrain(Claim claim) {
    return heldForDrain(claim, id -> store.claim(id).orElse(null));
  }

  private boolean heldForDrain(Claim claim, java.util.function.Function<String, Claim> claims) {
    return dev.flotilla.disruption.ReplacementHold.holds(claim, claims, clock.instant());
  }

  private static boolean initializing(NodeState node) {
    return node.taints().stream().anyMatch(t -> t.sameAs(Taint.INITIALIZING));
  }

  /** The pods the claim planned, as the API server names them: reservations of pods known only by uid cannot be. */
  private static List<String> plannedPods(Claim claim) {
    return claim.pods().stream().filter(p -> p.indexOf('/') > 0).toList();
  }

  /** The planned pods the claim still reserves: those released since are being planned elsewhere. */
  private List<String> stillReserved(Claim claim) {
    List<String> planned = plannedPods(claim);
    if (planned.isEmpty()) {
      return planned;
    }
    Map<String, String> reservations = store.reservations(planned);
    return planned.stream().filter(p -> claim.id().equals(reservations.get(p))).toList();
  }

  private void nominate(Claim claim, List<String> pods) {
    commands.send(List.of(Command.nominate(claim.nodeName(), claim.id(), pods)));
    LOG.info("nominated {} pod(s) of claim {} to node {}", pods.size(), claim.id(), claim.nodeName());
  }

  /**
   * A drain Flotilla asked for is done: the claim's instance is terminated (only if Flotilla owns it, which the
   * cloud provider checks again) and the claim becomes Terminated. Empty when the claim is not Draining.
   */
  public Optional<Claim> drained(String claimId) {
    return move(() -> store.claim(claimId), "claim " + claimId, ClaimState.Terminated, c -> {
      if (c.state() != ClaimState.Draining) {
        return null;
      }
      if (c.instanceId() != null) {
        cloud.terminate(c.instanceId());
      }
      return c.moved(ClaimState.Terminated, clock.instant());
    });
  }

  /** Any live claim becomes Terminated, releasing what it reserved. */
  public Optional<Claim> deleted(NodeEvent event) {
    return move(event.instanceId(), ClaimState.Terminated,
        c -> c.state().live() ? c.moved(ClaimState.Terminated, clock.instant()) : null);
  }

  /**
   * Claims still Launching, Launched or Registered past the launch timeout. One whose node the forwarder's mirror
   * shows joined (its Registered or Ready event lost) catches up to Initialized. Any other is closed, so its pods are
   * planned again on the forwarder's next batch, and then its instance (if any) is terminated. Closing comes first
   * and is conditional: a node that joined meanwhile keeps its claim and its instance; once closed, a node that joins
   * late finds no live claim. Should the termination fail or the run die before it, the garbage collector terminates
   * the instance, which no live claim owns, after its grace period.
   */
  public List<Claim> expireLaunches() {
    List<Claim> expired = new ArrayList<>();
    Failures failures = new Failures();
    Map<String, String> joined = null;
    for (Claim c : store.claims()) {
      // each claim on its own: a throttled write for one must not leave the others in flight
      Map<String, String> read = joined;
      joined = failures.run(() -> expire(c, read, expired), joined);
    }
    failures.rethrow();
    return expired;
  }

  /** Expires {@code c} if it is past the launch timeout; returns the joined nodes, read once a call. */
  private Map<String, String> expire(Claim c, Map<String, String> joined, List<Claim> expired) {
    boolean unjoined = c.state() == ClaimState.Launching || c.state() == ClaimState.Launched
        || c.state() == ClaimState.Registered;
    if (!unjoined || !c.createdAt().plus(launchTimeout).isBefore(clock.instant())) {
      return joined;
    }
    if (joined == null) {
      joined = nodesByInstance();
    }
    String node = c.instanceId() == null ? null : joined.get(c.instanceId());
    if (node != null) {
      // the node joined and only its events were lost (dead-lettered, or sent while the forwarder restarted):
      // the forwarder's mirror has it, so the claim catches up instead of a running node being killed
      // the node still carries its startup taint: the Nominate its Ready would have sent lifts it
      try {
        Claim caughtUp = store.transition(c, c.withNode(node).moved(ClaimState.Initialized, clock.instant()));
        nominate(caughtUp, stillReserved(caughtUp));
      } catch (ClaimStore.StaleClaimException raced) {
        // moved meanwhile
      }
      return joined;
    }
    Claim closed;
    try {
      closed = store.transition(c, c.moved(ClaimState.Terminated, clock.instant()));
    } catch (ClaimStore.StaleClaimException raced) {
      // it joined (or was closed) meanwhile: nothing to expire
      return joined;
    }
    expired.add(closed);
    if (c.instanceId() != null) {
      try {
        cloud.terminate(c.instanceId());
      } catch (RuntimeException e) {
        LOG.warn("instance {} of expired claim {} not terminated yet, the garbage collector will: {}",
            c.instanceId(), c.id(), e.getMessage());
      }
    }
    return joined;
  }

  /** Nodes of the forwarder's mirror by instance id: the nodes that joined, whatever became of their events. */
  private Map<String, String> nodesByInstance() {
    Map<String, String> nodes = new java.util.HashMap<>();
    store.nodeStates().forEach((name, doc) -> {
      String instance = NodeState.parse(doc).instanceId();
      if (instance != null) {
        nodes.put(instance, name);
      }
    });
    return nodes;
  }

  private Optional<Claim> move(String instanceId, ClaimState target, UnaryOperator<Claim> next) {
    return move(() -> launches.claimOf(instanceId), "claim of " + instanceId, target, next);
  }


  /** Reads the claim, asks {@code next} where it goes (null: nowhere), writes; reads again when it lost a race. */
  private Optional<Claim> move(Supplier<Optional<Claim>> lookup, String claim, ClaimState target,
      UnaryOperator<Claim> next) {
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      Optional<Claim> current = lookup.get();
      if (current.isEmpty()) {
        return Optional.empty();
      }
      Claim proposed = next.apply(current.get());
      if (proposed == null) {
        return Optional.empty();
      }
      try {
        return Optional.of(store.transition(current.get(), proposed));
      } catch (ClaimStore.StaleClaimException raced) {
        // read it again
      }
    }
    throw new ClaimStore.StaleClaimException(claim + " kept changing while moving to " + target);
  }
}
