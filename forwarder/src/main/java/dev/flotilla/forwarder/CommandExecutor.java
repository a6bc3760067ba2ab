package dev.flotilla.forwarder;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.commands.Command;
import dev.flotilla.commands.CommandQueue;
import dev.flotilla.contracts.Envelope;
import dev.flotilla.events.BusEvent;
import dev.flotilla.events.EventPublisher;
import dev.flotilla.model.WellKnownLabels;
import io.fabric8.kubernetes.api.model.DeleteOptionsBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.policy.v1.Eviction;
import io.fabric8.kubernetes.api.model.policy.v1.EvictionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.PodResource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the functions' commands inside the cluster: Cordon, Drain (cordon, then evict through the Eviction
 * API so PodDisruptionBudgets hold; DaemonSet and mirror pods stay; a 429 or a budget with no room is retried with
 * backoff until the deadline), Delete Node, Nominate (see {@link Nominations}) and FailedProvisioning (an Event on
 * each pod the provisioner could not place). Every command is idempotent and touches only nodes labelled as this
 * cluster's Flotilla nodes (FailedProvisioning touches no node). Drains report {@code Node Drained} or
 * {@code Drain Failed} on the bus. A message that is not a command is logged and left on the queue, so that it
 * reaches the dead-letter queue.
 *
 * <p>Commands run side by side on a few lanes. A node's commands run one after another, in the order received, so
 * two drains of one node never interleave and a node is deleted only after the drain before it. Of the rest, the
 * command with the nearest deadline goes first, and some lanes are kept for commands due within minutes (a spot
 * drain has two), so that long consolidation drains held by budgets never keep an urgent one waiting. Every message
 * received and not finished, running or waiting, is kept hidden on the queue by a heartbeat; it is deleted once its
 * command is done. A command that fails is left for the queue to hand out again (after five receives, to the
 * dead-letter queue).
 */
public final class CommandExecutor implements AutoCloseable {

  /** What executing a command came to. */
  public enum Outcome { DONE, DRAIN_FAILED, REFUSED_NOT_OURS }

  static final String NODE_DRAINED = Envelope.NODE_DRAINED;
  static final String DRAIN_FAILED = Envelope.DRAIN_FAILED;
  static final Duration DEFAULT_DRAIN_DEADLINE = Duration.ofMinutes(10);
  private static final Logger LOG = LoggerFactory.getLogger(CommandExecutor.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * How many commands run at once, and how their messages are kept hidden.
   *
   * @param workers commands that may run at once
   * @param keptForUrgent of those, how many only commands due within {@code urgentWithin} may take
   * @param maxInFlight messages held (running or waiting) before the executor stops receiving
   * @param heartbeatEvery how often every held message's visibility is extended
   * @param hiddenFor by how much, from the heartbeat on
   */
  record Lanes(int workers, int keptForUrgent, int maxInFlight, Duration urgentWithin, Duration heartbeatEvery,
      Duration hiddenFor) {

    static final Lanes DEFAULT = new Lanes(6, 3, 50, Duration.ofMinutes(5), Duration.ofSeconds(30),
        Duration.ofMinutes(2));

    Lanes {
      if (workers < 1 || keptForUrgent < 0 || keptForUrgent >= workers || maxInFlight < 1) {
        throw new IllegalArgumentException("lanes: need a worker for commands not yet urgent and room to hold one");
      }
      if (hiddenFor.compareTo(heartbeatEvery.multipliedBy(2)) < 0) {
        throw new IllegalArgumentException("lanes: a message must stay hidden for two heartbeats at least");
      }
    }
  }

  /** A received command: waiting for its node or a lane, or running. Guarded by {@code lock}. */
  private static final class Job {
    final Command command;
    final Instant due;
    final long sequence;
    String receipt;
    boolean urgentLane;

    Job(Command command, String receipt, Instant due, long sequence) {
      this.command = command;
      this.receipt = receipt;
      this.due = due;
      this.sequence = sequence;
    }
  }

  private final KubernetesClient client;
  private final String cluster;
  private final CommandQueue queue;
  private final EventPublisher publisher;
  private final Clock clock;
  private final Duration firstBackoff;
  private final java.util.function.Function<String, List<Pod>> podsOn;
  private final Lanes lanes;
  private final PodEvents events;
  private Nominations nominations;
  /**
   * Puts a claim's labels on its node ({@code claimId, node}) before a Nominate lifts the node's startup taint: a pod
   * that selects one of them (a pool's template label, an instance fact) is otherwise refused on its node until the
   * 30 s labelling pass, its nomination cleared and its reservation released as refused. None by default.
   */
  private volatile java.util.function.BiConsumer<String, String> labelBeforeLift = (claimId, node) -> { };
  private final ExecutorService labelling = Executors.newCachedThreadPool(
      r -> Thread.ofPlatform().name("node-labels").daemon().unstarted(r));
  /** When each pod last got a FailedProvisioning Event from this process. Guarded by itself. */
  private final Map<String, Instant> lastNotice = new LinkedHashMap<>();

  private final Object lock = new Object();
  /** Every message held, by command id. */
  private final Map<String, Job> held = new LinkedHashMap<>();
  /** Each node's commands in the order received; the first is running or ready. */
  private final Map<String, ArrayDeque<Job>> lines = new HashMap<>();
  private final PriorityQueue<Job> ready = new PriorityQueue<>(
      Comparator.comparing((Job j) -> j.due).thenComparingLong(j -> j.sequence));
  private long received;
  private int running;
  private int runningNotUrgent;
  private boolean beating;
  private boolean closed;
  private final ExecutorService workers;
  private final ScheduledExecutorService heartbeat;

  /** @param podsOn the pods bound to a node, from the watch's informer cache */
  public CommandExecutor(KubernetesClient client, String cluster, CommandQueue queue, EventPublisher publisher,
      Clock clock, Duration firstBackoff, java.util.function.Function<String, List<Pod>> podsOn) {
    this(client, cluster, queue, publisher, clock, firstBackoff, podsOn, Lanes.DEFAULT);
  }

  CommandExecutor(KubernetesClient client, String cluster, CommandQueue queue, EventPublisher publisher,
      Clock clock, Duration firstBackoff, java.util.function.Function<String, List<Pod>> podsOn, Lanes lanes) {
    this.podsOn = podsOn;
    this.client = client;
    this.cluster = cluster;
    this.queue = queue;
    this.publisher = publisher;
    this.clock = clock;
    this.firstBackoff = firstBackoff;
    this.lanes = lanes;
    this.events = PodEvents.ofThisPod(client, clock);
    this.nominations = new Nominations(client, events, Nominations.WINDOW, firstBackoff);
    AtomicInteger worker = new AtomicInteger();
    this.workers = Executors.newFixedThreadPool(lanes.workers(),
        r -> Thread.ofPlatform().name("command-" + worker.incrementAndGet()).daemon().unstarted(r));
    this.heartbeat = Executors.newSingleThreadScheduledExecutor(
        r -> Thread.ofPlatform().name("command-heartbeat").daemon().unstarted(r));
  }

  /** How long a Nominate waits for its node's labels before nominating and lifting the taint anyway. */
  static final Duration LABEL_WAIT = Duration.ofSeconds(5);

  /**
   * Labels the Nominate's node from its claim, waiting {@link #LABEL_WAIT} at most: a slow table or API server must
   * not hold the node back (the labelling pass puts the labels on within 30 s), and the labelling left running ends
   * on its own.
   */
  private void labelFirst(Command command) {
    java.util.concurrent.Future<?> labelled = labelling.submit(
        () -> labelBeforeLift.accept(command.claimId(), command.node()));
    try {
      labelled.get(LABEL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      LOG.atWarn().setMessage("node not labelled in time; its taint is lifted anyway").addKeyValue("node",
          command.node()).addKeyValue("waited", LABEL_WAIT).log();
    } catch (java.util.concurrent.ExecutionException e) {
      LOG.atWarn().setMessage("node not labelled before its taint is lifted").addKeyValue("node", command.node())
          .addKeyValue("error", String.valueOf(e.getCause())).log();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Labels a claim's node ({@code claimId, node}) before each Nominate lifts its startup taint. */
  CommandExecutor labelBeforeLift(java.util.function.BiConsumer<String, String> labeller) {
    this.labelBeforeLift = labeller;
    return this;
  }

  /**
   * Receives what is waiting (long polling up to {@code wait}) and hands each command to its lane; returns how many
   * it took. Does not wait for them to run, but waits first while {@link Lanes#maxInFlight} messages are held.
   */
  public int pollOnce(Duration wait) {
    int room;
    synchronized (lock) {
      while (!closed && held.size() >= lanes.maxInFlight()) {
        try {
          lock.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return 0;
        }
      }
      if (closed) {
        return 0;
      }
      room = Math.min(10, lanes.maxInFlight() - held.size());
      if (!beating) {
        beating = true;
        long every = lanes.heartbeatEvery().toMillis();
        heartbeat.scheduleWithFixedDelay(this::beat, every, every, TimeUnit.MILLISECONDS);
      }
    }
    int taken = 0;
    for (CommandQueue.Received message : queue.receive(room, wait)) {
      Command command;
      try {
        command = Command.parse(message.body());
      } catch (IllegalArgumentException e) {
        LOG.atError().setMessage("command rejected; left for the dead-letter queue").addKeyValue("reason", e.getMessage())
            .addKeyValue("receiveCount", message.receiveCount()).log();
        continue;
      }
      if (take(command, message)) {
        taken++;
      } else if (closing()) {
        giveBack(message.receipt());
      }
    }
    return taken;
  }

  private boolean closing() {
    synchronized (lock) {
      return closed;
    }
  }

  /** Makes a message visible again at once, for whoever receives next. */
  private void giveBack(String receipt) {
    try {
      queue.extendVisibility(receipt, Duration.ZERO);
    } catch (RuntimeException e) {
      LOG.atDebug().setMessage("message not given back").addKeyValue("error", e.getMessage()).log();
    }
  }

  private boolean take(Command command, CommandQueue.Received message) {
    synchronized (lock) {
      Job known = held.get(command.id());
      if (known != null) {
        // handed out again while held (a heartbeat came late): it runs once; the newest receipt deletes it
        known.receipt = message.receipt();
        LOG.atInfo().setMessage("command received again while held").addKeyValue("commandId", command.id())
            .addKeyValue("receiveCount", message.receiveCount()).log();
        return false;
      }
      if (closed) {
        return false;
      }
      Job job = new Job(command, message.receipt(), due(command), received++);
      held.put(command.id(), job);
      ArrayDeque<Job> line = lines.computeIfAbsent(command.node(), n -> new ArrayDeque<>());
      line.add(job);
      if (line.size() == 1) {
        ready.add(job);
      }
      dispatch();
      return true;
    }
  }

  /** Nominations given up after {@code window} instead of {@link Nominations#WINDOW}. */
  CommandExecutor nominationWindow(Duration window) {
    nominations.close();
    nominations = new Nominations(client, events, window, firstBackoff);
    return this;
  }

  /**
   * When a command must be done by: its deadline; a drain without one has the default; cordon, delete and
   * nominate, now; a failed provisioning's Events, a courtesy, never before a drain due within minutes.
   */
  private Instant due(Command command) {
    if (command.deadline() != null) {
      return command.deadline();
    }
    if (command.kind() == Command.Kind.FailedProvisioning) {
      return clock.instant().plus(lanes.urgentWithin());
    }
    return command.kind() == Command.Kind.Drain ? clock.instant().plus(DEFAULT_DRAIN_DEADLINE) : clock.instant();
  }

  /**
   * Starts what may start, nearest deadline first. Commands not yet urgent leave {@link Lanes#keptForUrgent} lanes
   * free; as the queue is ordered by deadline, once its head must wait for a lane so must everything behind it.
   */
  private void dispatch() {
    Instant urgentBefore = clock.instant().plus(lanes.urgentWithin());
    while (!closed && running < lanes.workers() && !ready.isEmpty()) {
      Job next = ready.peek();
      boolean urgent = next.due.isBefore(urgentBefore);
      if (!urgent && runningNotUrgent >= lanes.workers() - lanes.keptForUrgent()) {
        return;
      }
      ready.poll();
      next.urgentLane = urgent;
      running++;
      if (!urgent) {
        runningNotUrgent++;
      }
      workers.execute(() -> run(next));
    }
  }

  private void run(Job job) {
    Command command = job.command;
    Outcome outcome = null;
    try {
      outcome = execute(command, () -> { });
      LOG.atInfo().setMessage("command executed").addKeyValue("kind", command.kind()).addKeyValue("node", command.node())
          .addKeyValue("commandId", command.id()).addKeyValue("outcome", outcome).log();
    } catch (RuntimeException e) {
      LOG.atWarn().setMessage("command failed; left on the queue to be handed out again")
          .addKeyValue("kind", command.kind()).addKeyValue("node", command.node())
          .addKeyValue("commandId", command.id()).addKeyValue("error", e.getMessage()).log();
    } finally {
      String receipt;
      boolean closing;
      synchronized (lock) {
        held.remove(command.id());
        receipt = job.receipt;
        closing = closed;
      }
      try {
        if (outcome != null) {
          queue.delete(receipt);
        } else if (closing) {
          queue.extendVisibility(receipt, Duration.ZERO);
        }
      } catch (RuntimeException e) {
        LOG.atWarn().setMessage("command message not settled; it will come back, and run again harmlessly")
            .addKeyValue("commandId", command.id()).addKeyValue("error", e.getMessage()).log();
      }
      synchronized (lock) {
        running--;
        if (!job.urgentLane) {
          runningNotUrgent--;
        }
        ArrayDeque<Job> line = lines.get(command.node());
        line.poll();
        if (line.isEmpty()) {
          lines.remove(command.node());
        } else {
          ready.add(line.peek());
        }
        dispatch();
        lock.notifyAll();
      }
    }
  }

  /** Keeps every held message hidden, running or waiting; and lets commands whose deadline neared take a lane. */
  void heartbeat() {
    List<String> receipts;
    synchronized (lock) {
      receipts = held.values().stream().map(j -> j.receipt).toList();
      dispatch();
    }
    for (String receipt : receipts) {
      try {
        queue.extendVisibility(receipt, lanes.hiddenFor());
      } catch (RuntimeException e) {
        // finished meanwhile, or the queue is unreachable: the next beat tries again
        LOG.atDebug().setMessage("visibility not extended").addKeyValue("error", e.getMessage()).log();
      }
    }
  }

  private void beat() {
    try {
      heartbeat();
    } catch (RuntimeException e) {
      LOG.atWarn().setMessage("heartbeat failed").addKeyValue("error", e.getMessage()).log();
    }
  }

  /** Waits until every held command has finished and its message is settled; false if that took over a minute. */
  boolean awaitIdle() {
    long guard = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    synchronized (lock) {
      while (!held.isEmpty() || running > 0) {
        long left = guard - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        try {
          lock.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    }
  }

  /**
   * Stops receiving and running: running drains are interrupted, and every held message is given back to the queue
   * at once, for the next leader.
   */
  @Override
  public void close() {
    List<String> receipts;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      receipts = held.values().stream().map(j -> j.receipt).toList();
      lock.notifyAll();
    }
    heartbeat.shutdownNow();
    workers.shutdownNow();
    labelling.shutdownNow();
    nominations.close();
    receipts.forEach(this::giveBack);
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public Outcome execute(Command command, Runnable stillWorking) {
    if (command.kind() == Command.Kind.FailedProvisioning) {
      failedProvisioning(command);
      return Outcome.DONE;
    }
    Node node = client.nodes().withName(command.node()).get();
    if (node == null) {
      if (command.kind() == Command.Kind.Drain) {
        report(NODE_DRAINED, command, List.of());
      }
      return Outcome.DONE;
    }
    Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
    if (!cluster.equals(labels.get(WellKnownLabels.CLUSTER))) {
      LOG.atWarn().setMessage("refusing a command for a node Flotilla does not own").addKeyValue("node", command.node())
          .addKeyValue("kind", command.kind()).log();
      return Outcome.REFUSED_NOT_OURS;
    }
    // EC2 names nodes by their private address, which a later instance can get again: a late or redelivered command
    // must not act on the node that now has the name
    String nodeClaim = labels.get(WellKnownLabels.CLAIM);
    if (command.claimId() != null && nodeClaim != null && !nodeClaim.equals(command.claimId())) {
      LOG.atWarn().setMessage("refusing a command for a node that now runs another claim")
          .addKeyValue("node", command.node()).addKeyValue("kind", command.kind())
          .addKeyValue("commandClaim", command.claimId()).addKeyValue("nodeClaim", nodeClaim).log();
      return Outcome.REFUSED_NOT_OURS;
    }
    return switch (command.kind()) {
      case Cordon -> {
        cordon(node);
        yield Outcome.DONE;
      }
      case Drain -> drain(node, command, stillWorking);
      case DeleteNode -> {
        client.nodes().withName(command.node()).delete();
        yield Outcome.DONE;
      }
      case Nominate -> {
        if (command.claimId() != null) {
          labelFirst(command);
        }
        Nominations.Result r = nominations.nominate(command.node(), command.claimId(), command.pods());
        LOG.atInfo().setMessage("pods nominated").addKeyValue("node", command.node())
            .addKeyValue("nominated", r.nominated().size()).addKeyValue("leftAlone", r.leftAlone().size())
            .addKeyValue("failed", r.failed().size()).addKeyValue("cutShort", r.cutShort())
            .addKeyValue("taintLifted", r.taintLifted()).log();
        yield Outcome.DONE;
      }
      case FailedProvisioning -> throw new IllegalStateException("handled before the node is read");
    };
  }

  /** How many times a cordon reads the node again after meeting a newer version of it. */
  private static final int CORDON_TRIES = 5;

  /** How often one pod gets a FailedProvisioning Event, however often the provisioner finds it cannot place it. */
  static final Duration NOTICE_EVERY = Duration.ofMinutes(5);

  /**
   * Records a {@code FailedProvisioning} Warning on each named pod still pending, at most once per pod every
   * {@link #NOTICE_EVERY}: in this process by the time of the last one, across restarts and replicas by the Event's
   * name, which holds the period it falls in. A pod that cannot be read or written is passed over; the provisioner
   * tells again when the pod next comes.
   */
  private void failedProvisioning(Command command) {
    Instant now = clock.instant();
    long period = now.getEpochSecond() / NOTICE_EVERY.toSeconds();
    int recorded = 0;
    for (String name : command.pods()) {
      synchronized (lastNotice) {
        Instant last = lastNotice.get(name);
        if (last != null && last.plus(NOTICE_EVERY).isAfter(now)) {
          continue;
        }
      }
      int slash = name.indexOf('/');
      try {
        Pod pod = client.pods().inNamespace(name.substring(0, slash)).withName(name.substring(slash + 1)).get();
        if (pod == null || pod.getMetadata().getDeletionTimestamp() != null
            || (pod.getSpec() != null && pod.getSpec().getNodeName() != null
                && !pod.getSpec().getNodeName().isEmpty())) {
          continue;
        }
        if (events.record(pod, "Warning", "FailedProvisioning", "Flotilla launched no node for the pod: "
            + command.reason(), command.reason() + "/" + period)) {
          recorded++;
        }
        synchronized (lastNotice) {
          lastNotice.put(name, now);
          if (lastNotice.size() > 50_000) {
            lastNotice.values().removeIf(t -> !t.plus(NOTICE_EVERY).isAfter(now));
          }
        }
      } catch (KubernetesClientException e) {
        LOG.atWarn().setMessage("FailedProvisioning event not recorded").addKeyValue("pod", name)
            .addKeyValue("code", e.getCode()).addKeyValue("error", e.getMessage()).log();
      }
    }
    LOG.atInfo().setMessage("failed provisioning recorded").addKeyValue("pods", command.pods().size())
        .addKeyValue("recorded", recorded).addKeyValue("reason", command.reason()).log();
  }

  /**
   * Marks the node unschedulable. Each try reads the node afresh and patches that version; the kubelet and
   * controllers write nodes all the time, so a try that meets a newer version (409) is tried again.
   */
  private void cordon(Node node) {
    if (Boolean.TRUE.equals(node.getSpec().getUnschedulable())) {
      return;
    }
    for (int attempt = 1; ; attempt++) {
      try {
        client.nodes().withName(node.getMetadata().getName())
            .edit(n -> { n.getSpec().setUnschedulable(true); return n; });
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == CORDON_TRIES) {
          throw e;
        }
      }
    }
  }

  private Outcome drain(Node node, Command command, Runnable stillWorking) {
    cordon(node);
    Instant deadline = command.deadline() != null ? command.deadline() : clock.instant().plus(DEFAULT_DRAIN_DEADLINE);
    Duration backoff = firstBackoff;
    Map<String, String> held = new java.util.TreeMap<>();
    while (true) {
      List<Pod> left = evictable(node.getMetadata().getName());
      if (left.isEmpty()) {
        report(NODE_DRAINED, command, List.of());
        return Outcome.DONE;
      }
      for (Pod pod : left) {
        // a drain never evicts do-not-disrupt pods, as Karpenter's: a forced one (its termination grace runs out at
        // its deadline) deletes them then; an unbounded one is held by them until they go or their hold ends. A pod
        // already terminating is waited for, not evicted again.
        String name = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
        String budget = blockedByBudget(pod);
        if (budget != null) {
          held.put(name, budget);
          continue;
        }
        held.remove(name);
        if (PodFacts.doNotDisrupt(pod, clock.instant()) || pod.getMetadata().getDeletionTimestamp() != null) {
          continue;
        }
        try {
          client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
              .evict(eviction(pod));
        } catch (KubernetesClientException e) {
          // 404: gone; 409: made again under its name since the cache saw it (a budget's 429 is evict()'s false)
          if (e.getCode() != 404 && e.getCode() != 409) {
            LOG.atWarn().setMessage("eviction failed").addKeyValue("pod", pod.getMetadata().getName())
                .addKeyValue("code", e.getCode()).addKeyValue("error", e.getMessage()).log();
          }
        }
      }
      if (evictable(node.getMetadata().getName()).isEmpty()) {
        continue;
      }
      Duration remaining = Duration.between(clock.instant(), deadline);
      if (command.force() && backoff.compareTo(remaining) >= 0) {
        return forceOut(node.getMetadata().getName(), command, deadline);
      }
      if (!remaining.isPositive()) {
        List<String> names = evictable(node.getMetadata().getName()).stream()
            .map(p -> p.getMetadata().getNamespace() + "/" + p.getMetadata().getName()).toList();
        held.keySet().retainAll(names);
        LOG.atWarn().setMessage("drain ran out of time").addKeyValue("node", node.getMetadata().getName())
            .addKeyValue("commandId", command.id()).addKeyValue("pods", names).addKeyValue("heldByBudgets", held)
            .log();
        report(DRAIN_FAILED, command, names);
        return Outcome.DRAIN_FAILED;
      }
      stillWorking.run();
      // the last round falls on the deadline: pods evicted late (a budget freed near the end) have till then to go
      // from the cache
      sleep(backoff.compareTo(remaining) < 0 ? backoff : remaining);
      backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0 ? Duration.ofSeconds(10)
          : backoff.multipliedBy(2);
    }
  }

  /**
   * The node's termination grace ran out (or does at {@code deadline}): the pods budgets or do-not-disrupt still
   * hold are deleted, not evicted, and the node is reported drained, so that it goes.
   */
  private Outcome forceOut(String node, Command command, Instant deadline) {
    Duration wait = Duration.between(clock.instant(), deadline);
    if (wait.isPositive()) {
      sleep(wait);
    }
    List<Pod> held = evictable(node);
    held.forEach(this::deleteHeld);
    LOG.atWarn().setMessage("termination grace ran out: pods still held were deleted").addKeyValue("node", node)
        .addKeyValue("commandId", command.id()).addKeyValue("pods", held.stream()
            .map(p -> p.getMetadata().getNamespace() + "/" + p.getMetadata().getName()).toList()).log();
    report(NODE_DRAINED, command, List.of());
    return Outcome.DONE;
  }

  /**
   * Deletes the very pod the cache holds, not one made again under its name since (a StatefulSet's, perhaps on
   * another node): the delete names the cached resourceVersion; when that is stale, the pod is read afresh and deleted
   * only if it is still the same pod.
   */
  private void deleteHeld(Pod cached) {
    PodResource named = client.pods().inNamespace(cached.getMetadata().getNamespace())
        .withName(cached.getMetadata().getName());
    try {
      named.lockResourceVersion(cached.getMetadata().getResourceVersion()).delete();
      return;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return;
      }
      if (e.getCode() != 409) {
        throw e;
      }
    }
    Pod live = named.get();
    if (live == null || !Objects.equals(live.getMetadata().getUid(), cached.getMetadata().getUid())) {
      return;
    }
    try {
      named.lockResourceVersion(live.getMetadata().getResourceVersion()).delete();
    } catch (KubernetesClientException e) {
      // changed once more, or gone: it goes with the node
      if (e.getCode() != 404 && e.getCode() != 409) {
        throw e;
      }
    }
  }

  /** Pods a drain must move: not DaemonSet pods, not mirror pods, not finished. */
  private List<Pod> evictable(String node) {
    return podsOn.apply(node).stream()
        .filter(p -> !"DaemonSet".equals(PodFacts.ownerKind(p)))
        .filter(p -> p.getMetadata().getAnnotations() == null
            || !p.getMetadata().getAnnotations().containsKey("kubernetes.io/config.mirror"))
        .filter(p -> p.getStatus() == null || (!"Succeeded".equals(p.getStatus().getPhase())
            && !"Failed".equals(p.getStatus().getPhase())))
        .toList();
  }

  /**
   * The eviction of the very pod the cache holds, by its UID (as Karpenter's): when the name now belongs to a pod
   * made again since, on this node or another, which the cache may not have seen yet, the API server refuses it
   * (409; when that pod is still pending, only after its own retries of about 10 s, which can outlast the client's
   * request timeout: the eviction then fails and is tried again next round; a budget covering a running one is
   * checked first).
   */
  private static Eviction eviction(Pod pod) {
    return new EvictionBuilder().withNewMetadata().withName(pod.getMetadata().getName())
        .withNamespace(pod.getMetadata().getNamespace()).endMetadata()
        .withDeleteOptions(new DeleteOptionsBuilder().withNewPreconditions().withUid(pod.getMetadata().getUid())
            .endPreconditions().build())
        .build();
  }

  /**
   * Why the budgets guarding the pod refuse its eviction now, by the API server's rules
   * ({@link PodFacts#disruptionsAllowed}), or null when they do not. The API server answers such an eviction with
   * 429 (or 500 for a pod two budgets guard) anyway, but fabric8's {@code evict()} retries a 429 with its own backoff
   * for tens of seconds, past a short drain's deadline; asking first keeps the drain to its own backoff.
   */
  private String blockedByBudget(Pod pod) {
    return PodFacts.budgetRefusal(pod, client.policy().v1().podDisruptionBudget()
        .inNamespace(pod.getMetadata().getNamespace()).list().getItems());
  }


  private void report(String detailType, Command command, List<String> remaining) {
    ObjectNode detail = JSON.createObjectNode();
    detail.put("cluster", cluster).put("node", command.node()).put("commandId", command.id());
    if (command.claimId() != null) {
      detail.put("claimId", command.claimId());
    }
    remaining.forEach(detail.putArray("remainingPods")::add);
    try {
      publisher.publish(List.of(new BusEvent(Envelope.FORWARDER, detailType, detail.toString())));
    } catch (RuntimeException e) {
      LOG.atWarn().setMessage("drain result not sent").addKeyValue("node", command.node())
          .addKeyValue("error", e.getMessage()).log();
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while draining", e);
    }
  }
}
