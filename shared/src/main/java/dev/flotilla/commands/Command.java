package dev.flotilla.commands;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.UUID;

/**
 * An action the forwarder must take inside the cluster, as a versioned JSON message on the command queue.
 *
 * @param deadline for a drain: when to give up evicting and report failure
 */
public record Command(int version, String id, Kind kind, String node, String claimId, Instant deadline,
    String reason) {

  public static final int VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What to do to the node. */
  public enum Kind { Cordon, Drain, DeleteNode }

  public Command {
    if (node == null || node.isBlank()) {
      throw new IllegalArgumentException("command: node is required");
    }
  }

  public static Command of(Kind kind, String node, String claimId, Instant deadline, String reason) {
    return new Command(VERSION, UUID.randomUUID().toString(), kind, node, claimId, deadline, reason);
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
      throw new IllegalArgumentException("command.kind: '" + n.path("kind").asText("") + "' is not Cordon, Drain or DeleteNode");
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
    return new Command(version, id, kind, node, n.path("claimId").asText(null), deadline, n.path("reason").asText(null));
  }
}
