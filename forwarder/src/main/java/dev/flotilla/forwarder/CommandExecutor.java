package dev.flotilla.forwarder;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.commands.Command;
import dev.flotilla.commands.CommandQueue;
import dev.flotilla.contracts.Envelope;
import dev.flotilla.events.BusEvent;
import dev.flotilla.events.EventPublisher;
import dev.flotilla.model.WellKnownLabels;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the functions' commands inside the cluster: Cordon, Drain (cordon, then evict through the Eviction
 * API so PodDisruptionBudgets hold; DaemonSet and mirror pods stay; a 429 or a budget with no room is retried with
 * backoff until the deadline) and Delete Node. Every command is idempotent and touches only nodes labelled as this
 * cluster's Flotilla nodes. Drains report {@code Node Drained} or {@code Drain Failed} on the bus. A message that is
 * not a command is logged and left on the queue, so that it reaches the dead-letter queue.
 */
public final class CommandExecutor {

  /** What executing a command came to. */
  public enum Outcome { DONE, DRAIN_FAILED, REFUSED_NOT_OURS }

  static final String NODE_DRAINED = Envelope.NODE_DRAINED;
  static final String DRAIN_FAILED = Envelope.DRAIN_FAILED;
  static final Duration DEFAULT_DRAIN_DEADLINE = Duration.ofMinutes(10);
  private static final Logger LOG = LoggerFactory.getLogger(CommandExecutor.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesClient client;
  private final String cluster;
  private final CommandQueue queue;
  private final EventPublisher publisher;
  private final Clock clock;
  private final Duration firstBackoff;
  private final java.util.function.Function<String, List<Pod>> podsOn;

  /** @param podsOn the pods bound to a node, from the watch's informer cache */
  public CommandExecutor(KubernetesClient client, String cluster, CommandQueue queue, EventPublisher publisher,
      Clock clock, Duration firstBackoff, java.util.function.Function<String, List<Pod>> podsOn) {
    this.podsOn = podsOn;
    this.client = client;
    this.cluster = cluster;
    this.queue = queue;
    this.publisher = publisher;
    this.clock = clock;
    this.firstBackoff = firstBackoff;
  }

  /** Receives and executes what is waiting (long polling up to {@code wait}); returns how many it handled. */
  public int pollOnce(Duration wait) {
    int handled = 0;
    for (CommandQueue.Received message : queue.receive(10, wait)) {
      Command command;
      try {
        command = Command.parse(message.body());
      } catch (IllegalArgumentException e) {
        LOG.atError().setMessage("command rejected; left for the dead-letter queue").addKeyValue("reason", e.getMessage())
            .addKeyValue("receiveCount", message.receiveCount()).log();
        continue;
      }
      Outcome outcome = execute(command, () -> queue.extendVisibility(message.receipt(), Duration.ofMinutes(1)));
      LOG.atInfo().setMessage("command executed").addKeyValue("kind", command.kind()).addKeyValue("node", command.node())
          .addKeyValue("commandId", command.id()).addKeyValue("outcome", outcome).log();
      queue.delete(message.receipt());
      handled++;
    }
    return handled;
  }

  public Outcome execute(Command command, Runnable stillWorking) {
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
    };
  }

  private void cordon(Node node) {
    if (!Boolean.TRUE.equals(node.getSpec().getUnschedulable())) {
      client.nodes().withName(node.getMetadata().getName())
          .edit(n -> { n.getSpec().setUnschedulable(true); return n; });
    }
  }

  private Outcome drain(Node node, Command command, Runnable stillWorking) {
    cordon(node);
    Instant deadline = command.deadline() != null ? command.deadline() : clock.instant().plus(DEFAULT_DRAIN_DEADLINE);
    Duration backoff = firstBackoff;
    while (true) {
      List<Pod> left = evictable(node.getMetadata().getName());
      if (left.isEmpty()) {
        report(NODE_DRAINED, command, List.of());
        return Outcome.DONE;
      }
      for (Pod pod : left) {
        if (blockedByBudget(pod)) {
          continue;
        }
        try {
          client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).evict();
        } catch (KubernetesClientException e) {
          if (e.getCode() != 404 && e.getCode() != 429) {
            LOG.atWarn().setMessage("eviction failed").addKeyValue("pod", pod.getMetadata().getName())
                .addKeyValue("code", e.getCode()).addKeyValue("error", e.getMessage()).log();
          }
        }
      }
      if (evictable(node.getMetadata().getName()).isEmpty()) {
        continue;
      }
      if (!clock.instant().plus(backoff).isBefore(deadline)) {
        List<String> names = evictable(node.getMetadata().getName()).stream()
            .map(p -> p.getMetadata().getNamespace() + "/" + p.getMetadata().getName()).toList();
        report(DRAIN_FAILED, command, names);
        return Outcome.DRAIN_FAILED;
      }
      stillWorking.run();
      sleep(backoff);
      backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0 ? Duration.ofSeconds(10)
          : backoff.multipliedBy(2);
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
   * Whether a budget selecting the pod has no disruption left. The API server answers such an eviction with 429
   * anyway; asking first spares it a round of refusals.
   */
  private boolean blockedByBudget(Pod pod) {
    return PodFacts.disruptionsAllowed(pod, client.policy().v1().podDisruptionBudget()
        .inNamespace(pod.getMetadata().getNamespace()).list().getItems()) == 0;
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
