package dev.flotilla.commands;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * An action the forwarder must take inside the cluster, as a versioned JSON message on the command queue.
 *
 * @param node the node acted on; none for {@code FailedProvisioning}, which touches pods only
 * @param deadline for a drain: when to give up evicting and report failure
 * @param pods for a nomination: the pending pods ({@code namespace/name}) planned onto the node, possibly none; for
 *     a failed provisioning, the pods the provisioner could not place, all for {@code reason}
 * @param force for a drain: at the deadline, delete the pods still there (held by budgets or do-not-disrupt) and
 *              report the node drained, instead of failing: the node's terminationGracePeriod ran out
 */
public record Command(int version, String id, Kind kind, String node, String claimId, Instant deadline,
    String reason, List<String> pods, boolean force) {

  public Command(int version, String id, Kind kind, String node, String claimId, Instant deadline, String reason,
      List<String> pods) {
    this(version, id, kind, node, claimId, deadline, reason, pods, false);
  }

  /** A drain bounded by the node's termination grace: what is left at {@code deadline} is deleted. */
  public static Command forcedDrain(String node, String claimId, Instant deadline, String reason) {
    return new Command(VERSION, UUID.randomUUID().toString(), Kind.Drain, node, claimId, deadline, reason, List.of(),
        true);
  }

  public static final int VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What to do to the node. {@code Nominate} sets {@code status.nominatedNodeName} on the still-pending pods planned
   * onto a node that has just become Ready, then lifts the node's startup taint. {@code FailedProvisioning}
   * records on each of its pods, still pending, an Event saying why no node was launched for it.
   */
  public enum Kind { Cordon, Drain, DeleteNode, Nominate, FailedProvisioning }

  /** The most pods one FailedProvisioning command names, so that ten of them fit one SQS batch of 256 KB. */
  public static final int MAX_FAILED_PODS = 200;

  public Command {
    if (kind == Kind.FailedProvisioning) {
      if (pods == null || pods.isEmpty() || reason == null || reason.isBlank()) {
        throw new IllegalArgumentException("command: a FailedProvisioning command names pods and a reason");
      }
      node = null;
    } else if (node == null || node.isBlank()) {
      throw new IllegalArgumentException("command: node is required");
    }
    pods = pods == null ? List.of() : List.copyOf(pods);
  }

  public static Command of(Kind kind, String node, String claimId, Instant deadline, String reason) {
    return new Command(VERSION, UUID.randomUUID().toString(), kind, node, claimId, deadline, reason, List.of());
  }

  /** Nominates {@code pods} ({@code namespace/name}) to {@code node}, planned there by claim {@code claimId}. */
  public static Command nominate(String node, String claimId, List<String> pods) {
    return new Command(VERSION, UUID.randomUUID().toString(), Kind.Nominate, node, claimId, null, "planned", pods);
  }

  /**
   * Tells the pods' users why nothing was launched for them: one command per {@link #MAX_FAILED_PODS} pods
   * ({@code namespace/name}), all for this reason.
   */
  public static List<Command> failedProvisioning(List<String> pods, String reason) {
    List<Command> commands = new ArrayList<>();
    for (int i = 0; i < pods.size(); i += MAX_FAILED_PODS) {
      commands.add(new Command(VERSION, UUID.randomUUID().toString(), Kind.FailedProvisioning, null, null, null,
          reason, pods.subList(i, Math.min(pods.size(), i + MAX_FAILED_PODS))));
    }
    return commands;
  }

  public String toJson() {
    ObjectNode n = JSON.createObjectNode();
    n.put("version", version).put("id", id).put("kind", kind.name());
    if (node != null) {
      n.put("node", node);
    }
    if (claimId != null) {
      n.put("claimId", claimId);
    }
    if (deadline != null) {
      n.put("deadline", deadline.toString());
    }
    if (reason != null) {
      n.put("reason", reason);
    }
    if (!pods.isEmpty()) {
      pods.forEach(n.putArray("pods")::add);
    }
    if (force) {
      n.put("force", true);
    }
    return n.toString();
  }

  /** Reads a message, naming the field that is missing or wrong. */
  public static Command parse(String body) {
    JsonNode n;
    try {
      n = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("command is not JSON: " + e.getOriginalMessage());
    }
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException("command is not a JSON object");
    }
    int version = n.path("version").asInt(-1);
    if (version != VERSION) {
      throw new IllegalArgumentException("command.version: expected " + VERSION + ", got " + n.path("version"));
    }
    Kind kind;
    try {
      kind = Kind.valueOf(n.path("kind").asText(""));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("command.kind: '" + n.path("kind").asText("")
          + "' is not Cordon, Drain, DeleteNode, Nominate or FailedProvisioning");
    }
    String node = n.path("node").asText("");
    if (node.isEmpty() && kind != Kind.FailedProvisioning) {
      throw new IllegalArgumentException("command.node: is required");
    }
    String id = n.path("id").asText("");
    if (id.isEmpty()) {
      throw new IllegalArgumentException("command.id: is required");
    }
    Instant deadline = null;
    if (n.hasNonNull("deadline")) {
      try {
        deadline = Instant.parse(n.get("deadline").asText());
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException("command.deadline: '" + n.get("deadline").asText() + "' is not an ISO-8601 instant");
      }
    }
    List<String> pods = new ArrayList<>();
    JsonNode podsNode = n.path("pods");
    if (!podsNode.isMissingNode() && !podsNode.isNull()) {
      if (!podsNode.isArray()) {
        throw new IllegalArgumentException("command.pods: expected an array of namespace/name");
      }
      for (JsonNode p : podsNode) {
        if (!p.isTextual() || !p.asText().contains("/")) {
          throw new IllegalArgumentException("command.pods: '" + p.asText() + "' is not namespace/name");
        }
        pods.add(p.asText());
      }
    }
    // a Nominate may name no pods: a node whose claim planned none still has its startup taint lifted by it
    if (kind == Kind.FailedProvisioning && pods.isEmpty()) {
      throw new IllegalArgumentException("command.pods: a " + kind + " command names at least one pod");
    }
    String reason = n.path("reason").asText(null);
    if (kind == Kind.FailedProvisioning && (reason == null || reason.isBlank())) {
      throw new IllegalArgumentException("command.reason: a FailedProvisioning command says why");
    }
    JsonNode force = n.path("force");
    if (!force.isMissingNode() && !force.isNull() && !force.isBoolean()) {
      throw new IllegalArgumentException("command.force: expected true or false, got " + force);
    }
    if (force.asBoolean(false) && (kind != Kind.Drain || deadline == null)) {
      throw new IllegalArgumentException("command.force: only a Drain with a deadline can be forced");
    }
    return new Command(version, id, kind, node.isEmpty() ? null : node, n.path("claimId").asText(null), deadline,
        reason, pods, force.asBoolean(false));
  }
}
