package dev.flotilla.contracts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** An EventBridge event as a function receives it: the envelope's fields and the detail, still as JSON. */
public record Envelope(String id, String source, String detailType, Instant time, JsonNode detail) {

  public static final String FORWARDER = "flotilla.forwarder";
  public static final String PODS_PENDING = "Pods Pending";
  public static final String NODE_REGISTERED = "Node Registered";
  public static final String NODE_READY = "Node Ready";
  public static final String NODE_DELETED = "Node Deleted";
  public static final String NODE_DRAINED = "Node Drained";
  public static final String DRAIN_FAILED = "Drain Failed";
  public static final String SCHEDULED = "Scheduled Event";

  static final ObjectMapper JSON = new ObjectMapper();

  public static Envelope parse(InputStream in) {
    try {
      return parse(JSON.readTree(in));
    } catch (JsonProcessingException e) {
      throw new InvalidEventException("event is not JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new InvalidEventException("event could not be read: " + e.getMessage(), e);
    }
  }

  public static Envelope parse(String json) {
    try {
      return parse(JSON.readTree(json));
    } catch (JsonProcessingException e) {
      throw new InvalidEventException("event is not JSON: " + e.getOriginalMessage(), e);
    }
  }

  static Envelope parse(JsonNode n) {
    if (n == null || !n.isObject()) {
      throw new InvalidEventException("event is not a JSON object");
    }
    String id = required(n, "id");
    String source = required(n, "source");
    String detailType = required(n, "detail-type");
    Instant time;
    try {
      time = Instant.parse(required(n, "time"));
    } catch (DateTimeParseException e) {
      throw new InvalidEventException("event.time: '" + n.path("time").asText() + "' is not an ISO-8601 time");
    }
    JsonNode detail = n.get("detail");
    if (detail == null || !detail.isObject()) {
      throw new InvalidEventException("event.detail: must be an object");
    }
    return new Envelope(id, source, detailType, time, detail);
  }

  /** Fails unless the event is of this source and detail-type. */
  public Envelope expect(String expectedSource, String expectedDetailType) {
    if (!expectedSource.equals(source) || !expectedDetailType.equals(detailType)) {
      throw new InvalidEventException("event.detail-type: expected '" + expectedDetailType + "' from "
          + expectedSource + ", got '" + detailType + "' from " + source);
    }
    return this;
  }

  private static String required(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      throw new InvalidEventException("event." + field + ": is required");
    }
    return v.asText();
  }

  /** A text field of the detail, required: the error names the event and the field. */
  public String detailText(String field) {
    JsonNode v = detail.get(field);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      throw new InvalidEventException(detailType + " event " + id + ": detail." + field + ": is required");
    }
    return v.asText();
  }
}
