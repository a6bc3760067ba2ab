package dev.flotilla.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What every event publisher does, to an in-memory bus or to EventBridge. */
public abstract class EventPublisherContract {

  protected abstract EventPublisher publisher();

  /** Every event that reached a rule's target, in any order. */
  protected abstract List<BusEvent> delivered(int expected);

  @Test
  void everyEventOfALargeBatchIsDelivered() {
    List<BusEvent> events = new ArrayList<>();
    for (int i = 0; i < 23; i++) {
      events.add(new BusEvent("flotilla.forwarder", "Pods Pending", "{\"batch\":" + i + "}"));
    }
    publisher().publish(events);

    assertThat(delivered(23)).extracting(BusEvent::detail)
        .containsExactlyInAnyOrderElementsOf(events.stream().map(BusEvent::detail).toList());
  }

  @Test
  void anEventOverTheEntryLimitIsRejectedByName() {
    String big = "{\"pods\":\"" + "x".repeat(BusEvent.MAX_BYTES) + "\"}";
    assertThatThrownBy(() -> publisher().publish(List.of(new BusEvent("flotilla.forwarder", "Pods Pending", big))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'Pods Pending'").hasMessageContaining("262144-byte limit");
  }

  @Test
  void chunksStayUnderTheRequestLimits() {
    String hundredKb = "{\"d\":\"" + "y".repeat(100 * 1024) + "\"}";
    List<BusEvent> events = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      events.add(new BusEvent("flotilla.forwarder", "Pods Pending", hundredKb));
    }
    for (int i = 0; i < 12; i++) {
      events.add(new BusEvent("flotilla.forwarder", "Node Ready", "{}"));
    }
    List<List<BusEvent>> chunks = EventPublisher.chunks(events);
    assertThat(chunks).allSatisfy(c -> {
      assertThat(c.size()).isLessThanOrEqualTo(10);
      assertThat(c.stream().mapToInt(BusEvent::sizeBytes).sum()).isLessThanOrEqualTo(BusEvent.MAX_BYTES);
    });
    assertThat(chunks.stream().mapToInt(List::size).sum()).isEqualTo(17);
  }
}
