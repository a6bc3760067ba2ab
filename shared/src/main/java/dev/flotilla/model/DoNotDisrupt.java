package dev.flotilla.model;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code flotilla.dev/do-not-disrupt} annotation (or Karpenter's {@code karpenter.sh/do-not-disrupt}) on a pod:
 * {@code "true"} holds it for good; a duration ({@code 30m}, {@code 2h}) holds it for that long from the pod's start,
 * as Karpenter v1 reads it. Any other value holds nothing.
 */
public final class DoNotDisrupt {

  private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h)");

  private DoNotDisrupt() {}

  /** Whether the annotations hold the pod at {@code now}; {@code started} null counts as just started. */
  public static boolean holds(Map<String, String> annotations, Instant started, Instant now) {
    for (String key : new String[] {WellKnownLabels.DO_NOT_DISRUPT, WellKnownLabels.KARPENTER_DO_NOT_DISRUPT}) {
      String value = annotations.get(key);
      if (value == null) {
        continue;
      }
      if ("true".equals(value.trim())) {
        return true;
      }
      Optional<Duration> d = duration(value.trim());
      if (d.isPresent() && (started == null || started.plus(d.get()).isAfter(now))) {
        return true;
      }
    }
    return false;
  }

  /** A Go-style duration, or empty when the text is not one. */
  static Optional<Duration> duration(String text) {
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
