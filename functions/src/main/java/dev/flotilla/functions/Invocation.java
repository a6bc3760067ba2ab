package dev.flotilla.functions;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.contracts.Envelope;
import dev.flotilla.contracts.InvalidEventException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/** Reading an event and writing a function's answer, the same way in every handler. */
final class Invocation {

  private static final ObjectMapper JSON = new ObjectMapper();

  private Invocation() {}

  /**
   * The event's envelope, or a logged rejection: an event that cannot be read fails the invocation before anything
   * is done, so Lambda's retries and then the dead-letter target get it whole.
   */
  static Envelope read(InputStream in, DecisionReport report) {
    byte[] raw;
    try {
      raw = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      return Envelope.parse(new String(raw, java.nio.charset.StandardCharsets.UTF_8));
    } catch (InvalidEventException e) {
      report.rejected(idOf(raw), e);
      throw e;
    }
  }

  static <T> T parse(Envelope event, java.util.function.Function<Envelope, T> reader, DecisionReport report) {
    try {
      return reader.apply(event);
    } catch (InvalidEventException e) {
      report.rejected(event.id(), e);
      throw e;
    }
  }

  static void write(OutputStream out, Object answer) {
    try {
      JSON.writeValue(out, answer);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String idOf(byte[] raw) {
    try {
      return JSON.readTree(raw).path("id").asText("unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }
}
