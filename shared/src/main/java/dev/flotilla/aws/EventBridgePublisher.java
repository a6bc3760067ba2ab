package dev.flotilla.aws;

import dev.flotilla.events.BusEvent;
import dev.flotilla.events.EventPublisher;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResultEntry;

/**
 * Publishes to an EventBridge bus with PutEvents. Entries EventBridge fails one by one (throttling, internal errors)
 * are sent again, up to three more times with backoff; what still fails is reported with its error codes.
 */
public final class EventBridgePublisher implements EventPublisher {

  private static final int ATTEMPTS = 4;
  private final EventBridgeClient events;
  private final String bus;

  public EventBridgePublisher(EventBridgeClient events, String bus) {
    this.events = events;
    this.bus = bus;
  }

  @Override
  public void publish(List<BusEvent> toPublish) {
    for (List<BusEvent> chunk : EventPublisher.chunks(toPublish)) {
      List<PutEventsRequestEntry> pending = new ArrayList<>();
      for (BusEvent e : chunk) {
        pending.add(PutEventsRequestEntry.builder().eventBusName(bus).source(e.source())
            .detailType(e.detailType()).detail(e.detail()).build());
      }
      for (int attempt = 1; !pending.isEmpty(); attempt++) {
        List<PutEventsRequestEntry> sending = pending;
        PutEventsResponse response = events.putEvents(r -> r.entries(sending));
        if (response.failedEntryCount() == null || response.failedEntryCount() == 0) {
          break;
        }
        List<PutEventsRequestEntry> failed = new ArrayList<>();
        List<String> codes = new ArrayList<>();
        for (int i = 0; i < response.entries().size(); i++) {
          PutEventsResultEntry result = response.entries().get(i);
          if (result.errorCode() != null) {
            failed.add(sending.get(i));
            codes.add(result.errorCode());
          }
        }
        if (attempt == ATTEMPTS) {
          throw new IllegalStateException(failed.size() + " events were not accepted by bus " + bus
              + " after " + ATTEMPTS + " attempts: " + codes);
        }
        pending = failed;
        Backoff.sleep(attempt);
      }
    }
  }
}
