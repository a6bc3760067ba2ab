package dev.flotilla.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.events.BusEvent;
import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.model.Toleration;
import dev.flotilla.model.TopologySpread;
import dev.flotilla.testing.TestEvents;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The Pods Pending contract: a burst as one event of pod kinds, read back whole, malformed fields named. */
class PodsPendingTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

  /**
   * A burst as a cluster makes it: {@code deployments} deployments in a few namespaces, each pod named as a
   * ReplicaSet names it ({@code <deployment>-<10-character hash>-<5 characters>}), with labels, a zone spread and a
   * toleration, spread evenly over the deployments.
   */
  static List<PendingPod> burst(int pods, int deployments, long seed) {
    Random random = new Random(seed);
    List<PendingPod> burst = new ArrayList<>(pods);
    java.util.Set<String> suffixes = new java.util.HashSet<>();
    for (int i = 0; i < pods; i++) {
      int d = i % deployments;
      String app = "service-" + d;
      String hash = "7d9f8c6b" + (10 + d);
      StringBuilder suffix = new StringBuilder();
      do {
        suffix.setLength(0);
        for (int c = 0; c < 5; c++) {
          suffix.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
      } while (!suffixes.add(d + suffix.toString()));
      burst.add(PendingPod.builder("team-" + d % 7 + "/" + app + "-" + hash + "-" + suffix)
          .labels(Map.of("app.kubernetes.io/name", app, "app.kubernetes.io/part-of", "shop",
              "pod-template-hash", hash))
          .requests(Resources.of(250 + 50 * (d % 9), (512L + 256 * (d % 11)) << 20))
          .spreads(List.of(new TopologySpread("topology.kubernetes.io/zone", 1, true,
              LabelSelector.of(Map.of("app.kubernetes.io/name", app)))))
          .tolerations(List.of(new Toleration("dedicated", "Equal", "shop", "NoSchedule")))
          .ownerKind("ReplicaSet").build());
    }
    return burst;
  }

  private static Envelope envelope(BusEvent e) {
    return Envelope.parse("{\"id\":\"evt-1\",\"source\":\"" + e.source() + "\",\"detail-type\":\"" + e.detailType()
        + "\",\"time\":\"" + Instant.parse("2026-11-25T12:00:03Z") + "\",\"detail\":" + e.detail() + "}");
  }

  private static Map<String, PendingPod> byName(List<PendingPod> pods) {
    Map<String, PendingPod> m = new HashMap<>();
    pods.forEach(p -> m.put(p.name(), p));
    return m;
  }

  @Test
  void aBurstOfTenThousandPodsOfSixtyDeploymentsIsOneEventUnderTheEntryLimit() {
    List<PendingPod> pods = burst(10_000, 60, 1);

    List<BusEvent> events = PodsPending.events("shop-prod", "batch-1", pods);

    assertThat(events).hasSize(1);
    assertThat(events.getFirst().sizeBytes()).isLessThan(BusEvent.MAX_BYTES);
    PodsPending read = PodsPending.from(envelope(events.getFirst()));
    assertThat(read.part()).isEqualTo(1);
    assertThat(read.parts()).isEqualTo(1);
    assertThat(read.batchId()).isEqualTo("batch-1");
    assertThat(byName(read.pods())).isEqualTo(byName(pods));
  }

  @Test
  void aBatchBeyondOneEntryIsSplitBetweenWholeKindsAndEveryPodComesBack() {
    List<PendingPod> pods = burst(60_000, 60, 2);

    List<BusEvent> events = PodsPending.events("shop-prod", "batch-2", pods);

    assertThat(events.size()).isBetween(2, 4);
    assertThat(events).allSatisfy(e -> assertThat(e.sizeBytes()).isLessThanOrEqualTo(BusEvent.MAX_BYTES));
    List<PendingPod> back = new ArrayList<>();
    Map<String, Integer> partOfKind = new HashMap<>();
    for (BusEvent e : events) {
      PodsPending part = PodsPending.from(envelope(e));
      assertThat(part.parts()).isEqualTo(events.size());
      assertThat(part.batchId()).isEqualTo("batch-2");
      for (PendingPod p : part.pods()) {
        Integer before = partOfKind.putIfAbsent(p.labels().get("app.kubernetes.io/name"), part.part());
        assertThat(before == null || before == part.part()).as("kind of %s in one part", p.name()).isTrue();
      }
      back.addAll(part.pods());
    }
    assertThat(back).hasSize(60_000);
    assertThat(byName(back)).isEqualTo(byName(pods));
  }

  @Test
  void aKindAloneLargerThanAnEntryIsSplitBetweenItsNames() {
    List<PendingPod> pods = burst(50_000, 1, 3);

    List<BusEvent> events = PodsPending.events("shop-prod", "batch-3", pods);

    assertThat(events.size()).isGreaterThan(1);
    assertThat(events).allSatisfy(e -> assertThat(e.sizeBytes()).isLessThanOrEqualTo(BusEvent.MAX_BYTES));
    assertThat(events.stream().mapToInt(e -> PodsPending.from(envelope(e)).pods().size()).sum()).isEqualTo(50_000);
  }

  @Test
  void podsAlikeButForTheirNamesTravelAsOneKindWithTheirNamesAfterACommonPrefix() throws Exception {
    PendingPod web = PendingPod.builder("shop/web-7d9f8c6b5d-x2k4p").requests(Resources.of(500, 1L << 30)).build();
    PendingPod db = PendingPod.builder("shop/db-0").requests(Resources.of(1000, 4L << 30)).build();
    List<PendingPod> pods = List.of(web, web.withName("shop/web-7d9f8c6b5d-q8r2z"), db, db.withName("shop/db-10"),
        web);

    var detail = JSON.readTree(PodsPending.events("shop-prod", "b", pods).getFirst().detail());

    assertThat(detail.path("version").asInt()).isEqualTo(2);
    assertThat(detail.path("kinds")).hasSize(2);
    assertThat(detail.path("kinds").get(0).path("namePrefix").asText()).isEqualTo("shop/web-7d9f8c6b5d-");
    assertThat(detail.path("kinds").get(0).path("names").toString()).isEqualTo("[\"x2k4p\",\"q8r2z\"]");
    assertThat(detail.path("kinds").get(1).path("namePrefix").asText()).isEqualTo("shop/db-");
    assertThat(detail.path("kinds").get(1).path("names").toString()).isEqualTo("[\"0\",\"10\"]");
    assertThat(detail.path("kinds").get(0).path("pod").has("name")).isFalse();
  }

  @Test
  void antiAffinityOverEveryNamespaceTravelsAndIsLeftOutWhereItIsNotSet() throws Exception {
    var everywhere = new dev.flotilla.model.PodAffinityTerm(dev.flotilla.model.WellKnownLabels.HOSTNAME,
        dev.flotilla.model.LabelSelector.of(java.util.Map.of("app", "gateway")), List.of(), true);
    PendingPod gateway = PendingPod.builder("edge/gateway-0").requests(Resources.of(500, 1L << 30))
        .antiAffinity(List.of(everywhere)).build();
    PendingPod own = gateway.toBuilder().name("edge/own-0").antiAffinity(List.of(new dev.flotilla.model.PodAffinityTerm(
        dev.flotilla.model.WellKnownLabels.HOSTNAME, everywhere.selector(), List.of()))).build();

    var event = PodsPending.events("shop-prod", "b", List.of(gateway, own)).getFirst();
    var kinds = JSON.readTree(event.detail()).path("kinds");

    assertThat(kinds.get(0).path("pod").path("antiAffinity").get(0).path("anyNamespace").asBoolean()).isTrue();
    assertThat(kinds.get(1).path("pod").path("antiAffinity").get(0).has("anyNamespace")).isFalse();
    List<PendingPod> read = PodsPending.from(envelope(event)).pods();
    assertThat(read.get(0).antiAffinity().getFirst().anyNamespace()).isTrue();
    assertThat(read.get(1).antiAffinity().getFirst().anyNamespace()).isFalse();
  }

  @Test
  void theSampleEventReadsAsItsFifteenPods() {
    PodsPending sample = PodsPending.from(Envelope.parse(TestEvents.read("forwarder/pods-pending.json")));

    assertThat(sample.cluster()).isEqualTo("shop-prod");
    assertThat(sample.pods()).hasSize(15);
    assertThat(sample.pods().getFirst().name()).isEqualTo("default/web-0");
    assertThat(sample.pods().getLast().name()).isEqualTo("default/cache-2");
    assertThat(sample.pods().getLast().antiAffinity()).hasSize(1);
    assertThat(sample.pods().getFirst().spreads()).hasSize(1);
  }

  @Test
  void theFormatBeforeKindsIsStillRead() {
    String v1 = "{\"cluster\":\"shop-prod\",\"batchId\":\"b\",\"pods\":[{\"name\":\"shop/a-0\","
        + "\"requests\":{\"cpu\":500,\"memory\":1073741824},\"doNotDisrupt\":false}]}";

    PodsPending read = PodsPending.from(envelopeWithDetail(v1));

    assertThat(read.pods()).extracting(PendingPod::name).containsExactly("shop/a-0");
  }

  private static Envelope envelopeWithDetail(String detail) {
    return Envelope.parse("{\"id\":\"evt-9\",\"source\":\"flotilla.forwarder\",\"detail-type\":\"Pods Pending\","
        + "\"time\":\"2026-11-25T12:00:03Z\",\"detail\":" + detail + "}");
  }

  private static void assertRejected(Consumer<ObjectNode> breakIt, String field) throws Exception {
    ObjectNode event = (ObjectNode) JSON.readTree(TestEvents.read("forwarder/pods-pending.json"));
    breakIt.accept((ObjectNode) event.get("detail"));
    assertThatThrownBy(() -> PodsPending.from(Envelope.parse(event.toString())))
        .isInstanceOf(InvalidEventException.class)
        .hasMessageStartingWith("Pods Pending event 3c1e7f2a-9b4d-4f6e-8a2c-1d5b7e9f0a44: " + field);
  }

  @Test
  void malformedFieldsAreRejectedByName() throws Exception {
    assertRejected(d -> d.remove("version"), "detail.version");
    assertRejected(d -> d.put("version", 3), "detail.version");
    assertRejected(d -> d.remove("cluster"), "detail.cluster: is required");
    assertRejected(d -> d.put("batchId", 7), "detail.batchId: must be text");
    assertRejected(d -> d.put("parts", 0), "detail.parts");
    assertRejected(d -> d.put("part", 2), "detail.part: 2 is beyond detail.parts 1");
    assertRejected(d -> d.putArray("kinds"), "detail.kinds: must be a non-empty array");
    assertRejected(d -> ((ObjectNode) d.get("kinds").get(1)).remove("names"), "detail.kinds[1].names");
    assertRejected(d -> ((ObjectNode) d.get("kinds").get(1)).putArray("names").add(3), "detail.kinds[1].names[0]");
    assertRejected(d -> ((ObjectNode) d.get("kinds").get(0)).put("namePrefix", 5), "detail.kinds[0].namePrefix");
    assertRejected(d -> ((ObjectNode) d.get("kinds").get(0)).withArray("names").add("3"),
        "detail.kinds[0].names[12]: 'default/web-3' appears twice");
    assertRejected(d -> ((ObjectNode) d.get("kinds").get(1)).remove("pod"), "detail.kinds[1].pod");
    assertRejected(d -> ((ObjectNode) d.get("kinds").get(1).get("pod").get("requests")).put("cpu", -5),
        "detail.kinds[1].pod.requests");
  }
}
