package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which pods the pattern program takes, and how many of a kind one of its nodes may hold. */
class PatternPackingTest {

  private static final long GIB = 1L << 30;

  @Test
  void aClassCappedPerNodeIsAKindOfItsOwnBesideAFreeClassThatRequestsTheSame() {
    PodClass web = podClass(0, "web");
    PodClass shard = selfRepelling(podClass(1, "shard"), 0);
    List<PodClass.Item> items = List.of(item(0, web, 1, 30), item(1, shard, 1, 5));

    List<List<PodClass.Item>> kinds = PatternPacking.kinds(items, true);

    assertThat(kinds).hasSize(2).allSatisfy(kind -> assertThat(kind).singleElement());
    assertThat(kinds.stream().map(kind -> PatternPacking.perNode(kind.getFirst().podClass)))
        .containsExactly(Integer.MAX_VALUE, 1);
    assertThat(PatternPacking.anyCapped(kinds)).isTrue();
    // without caps only the free class is taken
    assertThat(PatternPacking.kinds(items, false)).singleElement()
        .satisfies(kind -> assertThat(kind.getFirst().podClass).isSameAs(web));
  }

  @Test
  void aHostnameSpreadCapsItsKindAtItsMaxSkew() {
    PodClass spread = podClass(0, "spread");
    spread.matches = new int[] {0};
    spread.capGroups = new int[] {0};
    spread.caps = new int[] {3};

    assertThat(PatternPacking.perNode(spread)).isEqualTo(3);
    assertThat(PatternPacking.kinds(List.of(item(0, spread, 1, 9)), true)).singleElement();
  }

  @Test
  void podsWhoseGroupAnotherClassKeepsAwayAreLeftToTheGreedyPacking() {
    // the shard keeps web pods off its node: neither is a kind the program may cap on its own
    PodClass web = podClass(0, "web");
    web.matches = new int[] {1};
    PodClass shard = selfRepelling(podClass(1, "shard"), 0);
    shard.repels = new int[] {0, 1};

    assertThat(PatternPacking.kinds(List.of(item(0, web, 1, 30), item(1, shard, 1, 5)), true)).isEmpty();
  }

  @Test
  void sharesOfACappedClassThatCouldMeetOnANodeAreLeftOut() {
    PodClass shard = selfRepelling(podClass(0, "shard"), 0);
    PodClass web = podClass(1, "web");

    // zones 1 and 1-2 overlap: a node in zone 1 could hold one of each share
    assertThat(PatternPacking.kinds(List.of(item(0, shard, 0b01, 3), item(1, shard, 0b11, 3), item(2, web, 1, 9)),
        true)).singleElement().satisfies(kind -> assertThat(kind.getFirst().podClass).isSameAs(web));
    // zones 1 and 2 do not: each share is a kind, capped
    assertThat(PatternPacking.kinds(List.of(item(0, shard, 0b01, 3), item(1, shard, 0b10, 3)), true)).hasSize(2);
  }

  private static PodClass podClass(int index, String name) {
    PodClass c = new PodClass(index, PendingPod.simple("default/" + name + "-0", Resources.of(500, GIB)),
        new long[] {500, GIB, 1});
    c.zoneMask = 0b11;
    return c;
  }

  /** A class that repels its own group {@code group}, one to a node. */
  private static PodClass selfRepelling(PodClass c, int group) {
    c.matches = new int[] {group};
    c.repels = new int[] {group};
    c.selfRepelling = true;
    return c;
  }

  private static PodClass.Item item(int index, PodClass c, long zoneMask, int pods) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < pods; i++) {
      names.add(c.template.name() + "-" + i);
    }
    PodClass.Item item = new PodClass.Item(index, c, zoneMask, 3, names);
    item.group = 0;
    return item;
  }
}
