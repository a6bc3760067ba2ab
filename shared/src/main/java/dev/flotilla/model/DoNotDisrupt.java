package dev.flotilla.model;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code flotilla.dev/do-not-disrupt} annotation (or Karpenter's {@code karpenter.sh/do-not-disrupt}) on a pod:
 * {@code "true"} holds it for good; a duration ({@code 30m}, {@code 2h}) holds it for that long from the pod's start,
 * as Karpenter v1 reads it. Any other value holds nothing.
 */
public final class DoNotDisrupt {

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
      Optional<Duration> d = GoDuration.parse(value.trim());
      if (d.isPresent() && (started == null || started.plus(d.get()).isAfter(now))) {
        return true;
      }
    }
    return false;
  }
}
