package dev.flotilla.events;

import java.nio.charset.StandardCharsets;

/** One EventBridge entry: who sent it, what kind it is, and its JSON detail. */
public record BusEvent(String source, String detailType, String detail) {

  /** EventBridge's limit for one entry, and for one PutEvents request. */
  public static final int MAX_BYTES = 256 * 1024;

  public BusEvent {
    if (source == null || source.isBlank() || detailType == null || detailType.isBlank() || detail == null) {
      throw new IllegalArgumentException("an event needs a source, a detail-type and a detail");
    }
  }

  /** The size EventBridge counts: source, detail-type and detail in UTF-8, plus the time stamp's 14 bytes. */
  public int sizeBytes() {
    return source.getBytes(StandardCharsets.UTF_8).length + detailType.getBytes(StandardCharsets.UTF_8).length
        + detail.getBytes(StandardCharsets.UTF_8).length + 14;
  }
}
