package dev.flotilla.forwarder;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Records Kubernetes Events on pods ({@code core/v1}, as client-go's recorder writes them: first and last time stamps
 * and a count, no event time), so that {@code kubectl describe pod} lists them, from the component
 * {@code flotilla}. Each Event's name derives from what it says, so a command handed out again records nothing
 * twice: the API server refuses the second create as already there.
 */
final class PodEvents {

  static final String COMPONENT = "flotilla";
  private static final DateTimeFormatter RFC3339 =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(java.time.ZoneOffset.UTC);

  private final KubernetesClient client;
  private final Clock clock;
  private final String instance;

  /** Records as this forwarder: its pod's name, from the chart's {@code POD_NAME}. */
  static PodEvents ofThisPod(KubernetesClient client, Clock clock) {
    return new PodEvents(client, clock, System.getenv().getOrDefault("POD_NAME", "flotilla-forwarder"));
  }

  /** @param instance who records: the forwarder's pod name */
  PodEvents(KubernetesClient client, Clock clock, String instance) {
    this.client = client;
    this.clock = clock;
    this.instance = instance;
  }

  /**
   * Records an Event on the pod, once per {@code key}: true if it was recorded now, false if one with the same key
   * already was. Fails as the API server answers otherwise (the caller decides whether that matters).
   */
  boolean record(Pod pod, String type, String reason, String message, String key) {
    Instant now = clock.instant();
    String ns = pod.getMetadata().getNamespace();
    Event event = new EventBuilder()
        .withNewMetadata().withName(name(pod.getMetadata().getName(), reason, key)).withNamespace(ns).endMetadata()
        .withNewInvolvedObject().withApiVersion("v1").withKind("Pod").withNamespace(ns)
        .withName(pod.getMetadata().getName()).withUid(pod.getMetadata().getUid())
        .withResourceVersion(pod.getMetadata().getResourceVersion()).endInvolvedObject()
        .withType(type).withReason(reason).withMessage(message).withCount(1)
        .withFirstTimestamp(RFC3339.format(now)).withLastTimestamp(RFC3339.format(now))
        .withNewSource().withComponent(COMPONENT).endSource()
        .withReportingComponent(COMPONENT).withReportingInstance(instance).withAction(reason)
        .build();
    try {
      client.v1().events().inNamespace(ns).resource(event).create();
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        return false;
      }
      throw e;
    }
  }

  /**
   * {@code <pod>.<reason>-<digest of the key>}: the pod's name first, as kubectl's own events are named, cut so the
   * whole stays a valid object name.
   */
  static String name(String pod, String reason, String key) {
    String digest;
    try {
      digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(key.getBytes(StandardCharsets.UTF_8)), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    String suffix = "." + reason.toLowerCase(Locale.ROOT) + "-" + digest;
    return (pod.length() + suffix.length() > 253 ? pod.substring(0, 253 - suffix.length()) : pod) + suffix;
  }
}
