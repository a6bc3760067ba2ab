package dev.flotilla.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What EC2 and AWS Health say is about to happen to instances, read from the events exactly as AWS sends them to
 * the default bus. Every error names the field.
 */
public sealed interface InterruptionEvent {

  String SPOT_INTERRUPTION = "EC2 Spot Instance Interruption Warning";
  String REBALANCE = "EC2 Instance Rebalance Recommendation";
  String STATE_CHANGE = "EC2 Instance State-change Notification";
  String HEALTH = "AWS Health Event";
  /** The instance states that mean the node is going away. */
  Set<String> LEAVING_STATES = Set.of("stopping", "stopped", "shutting-down", "terminated");

  String eventId();

  List<String> instanceIds();

  /** A short name for logs and metrics. */
  String kind();

  /** Two minutes before EC2 reclaims a spot instance. */
  record SpotInterruption(String eventId, String instanceId, Instant reclaimAt) implements InterruptionEvent {
    public List<String> instanceIds() {
      return List.of(instanceId);
    }

    public String kind() {
      return "SpotInterruption";
    }
  }

  /** EC2 sees an elevated risk of interruption for a spot instance. */
  record RebalanceRecommendation(String eventId, String instanceId) implements InterruptionEvent {
    public List<String> instanceIds() {
      return List.of(instanceId);
    }

    public String kind() {
      return "RebalanceRecommendation";
    }
  }

  /** An instance changed state; only {@link #LEAVING_STATES} matter. */
  record StateChange(String eventId, String instanceId, String state) implements InterruptionEvent {
    public List<String> instanceIds() {
      return List.of(instanceId);
    }

    public String kind() {
      return "StateChange";
    }

    public boolean leaving() {
      return LEAVING_STATES.contains(state);
    }
  }

  /** AWS Health schedules a change (retirement, maintenance) for these instances, starting at {@code start}. */
  record ScheduledChange(String eventId, List<String> instanceIds, Instant start, String eventTypeCode)
      implements InterruptionEvent {
    public String kind() {
      return "ScheduledChange";
    }
  }

  static InterruptionEvent of(Envelope event) {
    JsonNode d = event.detail();
    return switch (event.detailType()) {
      case SPOT_INTERRUPTION -> {
        expectSource(event, "aws.ec2");
        // EC2 sends the warning two minutes before it acts
        yield new SpotInterruption(event.id(), instanceId(event), event.time().plusSeconds(120));
      }
      case REBALANCE -> {
        expectSource(event, "aws.ec2");
        yield new RebalanceRecommendation(event.id(), instanceId(event));
      }
      case STATE_CHANGE -> {
        expectSource(event, "aws.ec2");
        yield new StateChange(event.id(), instanceId(event), event.detailText("state"));
      }
      case HEALTH -> {
        expectSource(event, "aws.health");
        String service = event.detailText("service");
        String category = event.detailText("eventTypeCategory");
        if (!"EC2".equals(service) || !"scheduledChange".equals(category)) {
          throw new InvalidEventException(event.detailType() + " event " + event.id()
              + ": detail.service and detail.eventTypeCategory: expected EC2 scheduledChange, got " + service + " "
              + category);
        }
        List<String> ids = new ArrayList<>();
        JsonNode entities = d.path("affectedEntities");
        if (!entities.isArray() || entities.isEmpty()) {
          throw new InvalidEventException(event.detailType() + " event " + event.id()
              + ": detail.affectedEntities: expected a non-empty array");
        }
        for (int i = 0; i < entities.size(); i++) {
          String id = entities.get(i).path("entityValue").asText("");
          if (!id.startsWith("i-")) {
            throw new InvalidEventException(event.detailType() + " event " + event.id() + ": detail.affectedEntities["
                + i + "].entityValue: '" + id + "' is not an instance id");
          }
          ids.add(id);
        }
        yield new ScheduledChange(event.id(), ids, time(event, "startTime"), d.path("eventTypeCode").asText(""));
      }
      default -> throw new InvalidEventException("event " + event.id() + ": detail-type: '" + event.detailType()
          + "' is not an interruption event");
    };
  }

  private static void expectSource(Envelope event, String source) {
    if (!source.equals(event.source())) {
      throw new InvalidEventException(event.detailType() + " event " + event.id() + ": source: expected " + source
          + ", got " + event.source());
    }
  }

  private static String instanceId(Envelope event) {
    String id = event.detailText("instance-id");
    if (!id.startsWith("i-")) {
      throw new InvalidEventException(event.detailType() + " event " + event.id() + ": detail.instance-id: '" + id
          + "' is not an instance id");
    }
    return id;
  }

  // AWS Health writes RFC 1123 dates ("Sat, 05 Jun 2016 15:10:09 GMT"); ISO-8601 is taken too
  private static Instant time(Envelope event, String field) {
    String text = event.detailText(field);
    try {
      return ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    } catch (DateTimeParseException notRfc) {
      try {
        return Instant.parse(text);
      } catch (DateTimeParseException e) {
        throw new InvalidEventException(event.detailType() + " event " + event.id() + ": detail." + field + ": '"
            + text + "' is not a date");
      }
    }
  }
}
