package dev.flotilla.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.model.PendingPod;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pending pods' mirror document: read back whole, cut to its size with what was left out said. */
class PendingPodsTest {

  private static final Instant AT = Instant.parse("2026-12-06T12:00:05Z");

  @Test
  void aBurstIsReadBackPodForPodItsKindsInTheOrderTheyFirstAppear() {
    List<PendingPod> burst = PodsPendingTest.burst(2_000, 40, 7);
    Instant listed = AT.minusSeconds(600);

    PendingPods read = PendingPods.parse(PendingPods.of(listed, AT, burst).toJson());

    assertThat(read.at()).isEqualTo(AT);
    assertThat(read.listedAt()).isEqualTo(listed);
    assertThat(read.leftOut()).isZero();
    assertThat(read.pods()).containsExactlyInAnyOrderElementsOf(burst);
    assertThat(read.pods().stream().map(PendingPod::kind).distinct().toList())
        .isEqualTo(burst.stream().map(PendingPod::kind).distinct().toList());
  }

  @Test
  void noPodPendingIsADocumentToo() {
    PendingPods read = PendingPods.parse(PendingPods.of(AT, List.of()).toJson());

    assertThat(read.pods()).isEmpty();
    assertThat(read.leftOut()).isZero();
  }

  @Test
  void podsPastTheSizeAreLeftOutAndCounted() {
    List<PendingPod> burst = PodsPendingTest.burst(3_000, 30, 11);
    int limit = PendingPods.of(AT, burst).toJson().getBytes(StandardCharsets.UTF_8).length / 2;

    String cut = PendingPods.of(AT, burst).toJson(limit);
    PendingPods read = PendingPods.parse(cut);

    assertThat(cut.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(limit);
    assertThat(read.pods()).isNotEmpty().hasSizeLessThan(burst.size());
    assertThat(read.pods().size() + read.leftOut()).isEqualTo(burst.size());
    assertThat(burst).containsAll(read.pods());
  }

  /** One deployment's burst larger than the document, then a small one: the first in part, the second whole. */
  @Test
  void aKindLargerThanTheDocumentGoesInPartAndTheKindsAfterItStillFit() {
    List<PendingPod> big = PodsPendingTest.burst(20_000, 1, 3);
    List<PendingPod> small = PodsPendingTest.burst(5, 1, 4).stream()
        .map(p -> p.toBuilder().name(p.name().replace("service-0", "other-0")).labels(java.util.Map.of("app", "other"))
            .build()).toList();
    List<PendingPod> all = new java.util.ArrayList<>(big);
    all.addAll(small);
    int limit = 20 * 1024;

    String cut = PendingPods.of(AT, all).toJson(limit);
    PendingPods read = PendingPods.parse(cut);

    assertThat(cut.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(limit);
    assertThat(read.pods()).containsAll(small);
    assertThat(read.pods().size()).isGreaterThan(small.size());
    assertThat(read.pods().size() + read.leftOut()).isEqualTo(all.size());
  }

  @Test
  void aDocumentOlderThanItsRefreshesAllowIsStale() {
    PendingPods doc = PendingPods.of(AT, List.of());
    assertThat(doc.staleAt(AT.plus(PendingPods.STALE_AFTER))).isFalse();
    assertThat(doc.staleAt(AT.plus(PendingPods.STALE_AFTER).plusSeconds(1))).isTrue();
  }

  @Test
  void aMalformedDocumentNamesTheField() {
    assertThatThrownBy(() -> PendingPods.parse("{\"kinds\":[]}")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at: must be an instant");
    assertThatThrownBy(() -> PendingPods.parse("{\"at\":\"" + AT + "\",\"kinds\":{}}"))
        .hasMessageContaining("kinds: must be an array");
    assertThatThrownBy(() -> PendingPods.parse("{\"at\":\"" + AT + "\",\"kinds\":[{\"names\":[\"a/b\"]}]}"))
        .hasMessageContaining("kinds[0].pod: must be an object");
    assertThatThrownBy(() -> PendingPods.parse("{\"at\":\"" + AT + "\",\"kinds\":[],\"leftOut\":-1}"))
        .hasMessageContaining("leftOut: must be a whole number");
    assertThatThrownBy(() -> PendingPods.parse("{\"at\":\"" + AT + "\",\"listedAt\":\"yesterday\",\"kinds\":[]}"))
        .hasMessageContaining("listedAt: must be an instant");
    assertThatThrownBy(() -> PendingPods.parse("not json")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("the mirrored pending pods document:");
  }
}
