package dev.flotilla.events;

import java.util.ArrayList;
import java.util.List;

/** Puts events on the bus: in chunks of at most 10 entries and 256 KB, failed entries retried. */
public interface EventPublisher {

  int MAX_ENTRIES = 10;

  void publish(List<BusEvent> events);

  /**
   * Splits events into PutEvents-sized chunks. An event larger than one entry may be is rejected with its
   * detail-type and size: the caller's own chunker must split what it sends.
   */
  static List<List<BusEvent>> chunks(List<BusEvent> events) {
    List<List<BusEvent>> chunks = new ArrayList<>();
    List<BusEvent> current = new ArrayList<>();
    int bytes = 0;
    for (BusEvent e : events) {
      int size = e.sizeBytes();
      if (size > BusEvent.MAX_BYTES) {
        throw new IllegalArgumentException("event '" + e.detailType() + "' is " + size
            + " bytes, over EventBridge's " + BusEvent.MAX_BYTES + "-byte limit for one entry");
      }
      if (current.size() == MAX_ENTRIES || bytes + size > BusEvent.MAX_BYTES) {
        chunks.add(current);
        current = new ArrayList<>();
        bytes = 0;
      }
      current.add(e);
      bytes += size;
    }
    if (!current.isEmpty()) {
      chunks.add(current);
    }
    return chunks;
  }
}
