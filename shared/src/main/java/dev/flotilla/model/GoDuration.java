package dev.flotilla.model;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as Kubernetes and Karpenter write them, Go's notation: {@code 30s}, {@code 5m}, {@code 1h30m},
 * {@code 500ms}. Read from NodePools and from pod annotations alike.
 */
public final class GoDuration {

  private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h)");

  private GoDuration() {}

  /** The duration the text spells, or empty when it is not one (units ms, s, m, h only). */
  public static Optional<Duration> parse(String text) {
    Matcher m = PART.matcher(text);
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.find() && m.start() == end) {
      long n = Long.parseLong(m.group(1));
      total = total.plus(switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofHours(n);
      });
      end = m.end();
    }
    return text.isEmpty() || end != text.length() ? Optional.empty() : Optional.of(total);
  }
}
