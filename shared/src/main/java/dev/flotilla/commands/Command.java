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
 * @param deadline for a drain: when to give up evicting and report failure
 * @param pods for a nomination: the pending pods ({@code namespace/name}) planned onto the node
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
   * onto a node that has just become Ready, then lifts the node's startup taint.
   */
  public enum Kind { Cordon, Drain, DeleteNode, Nominate }

  public Command {
    if (node == null || node.isBlank()) {
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

  public String toJson() {
    ObjectNode n = JSON.createObjectNode();
    n.put("version", version).put("id", id).put("kind", kind.name()).put("node", node);
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
      throw new IllegalArgumentException("command.kind: '" + n.path("kind").asText("") + "' is not Cordon, Drain, DeleteNode or Nominate");
    }
    String node = n.path("node").asText("");
    if (node.isEmpty()) {
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
    if (kind == Kind.Nominate && pods.isEmpty()) {
      throw new IllegalArgumentException("command.pods: a Nominate command names at least one pod");
    }
    JsonNode force = n.path("force");
    if (!force.isMissingNode() && !force.isNull() && !force.isBoolean()) {
      throw new IllegalArgumentException("command.force: expected true or false, got " + force);
    }
    if (force.asBoolean(false) && (kind != Kind.Drain || deadline == null)) {
      throw new IllegalArgumentException("command.force: only a Drain with a deadline can be forced");
    }
    return new Command(version, id, kind, node, n.path("claimId").asText(null), deadline, n.path("reason").asText(null),
        pods, force.asBoolean(false));
  }
}
