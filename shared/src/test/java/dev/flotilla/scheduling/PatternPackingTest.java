package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.nodepool.NodePool;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which pods the pattern program takes, and how many of a kind one of its nodes may hold. */
class PatternPackingTest {

  private static final long GIB = 1L << 30;

  @Test
  void aClassCappedPerNodeIsAKindOfItsOwnBesideAFreeClassThatRequestsTheSame() {
    PodClass web = podClass(0, "web");
    PodClass shard = selfRepelling(podClass(1, "shard"), 0);
    List<PodClass.Item> items = List.of(item(0, web, 1, 30), item(1, shard, 1, 5));

    List<List<PodClass.Item>> kinds = kinds(items, true);

    assertThat(kinds).hasSize(2).allSatisfy(kind -> assertThat(kind).singleElement());
    assertThat(kinds.stream().map(kind -> PatternPacking.perNode(kind.getFirst().podClass)))
        .containsExactly(Integer.MAX_VALUE, 1);
    assertThat(PatternPacking.anyCapped(kinds)).isTrue();
    // without caps only the free class is taken
    assertThat(kinds(items, false)).singleElement()
        .satisfies(kind -> assertThat(kind.getFirst().podClass).isSameAs(web));
  }

  @Test
  void aHostnameSpreadCapsItsKindAtItsMaxSkew() {
    PodClass spread = podClass(0, "spread");
    spread.matches = new int[] {0};
    spread.capGroups = new int[] {0};
    spread.caps = new int[] {3};

    assertThat(PatternPacking.perNode(spread)).isEqualTo(3);
    assertThat(kinds(List.of(item(0, spread, 1, 9)), true)).singleElement();
  }

  @Test
  void podsWhoseGroupAnotherClassKeepsAwayAreLeftToTheGreedyPacking() {
    // the shard keeps web pods off its node: neither is a kind the program may cap on its own
    PodClass web = podClass(0, "web");
    web.matches = new int[] {1};
    PodClass shard = selfRepelling(podClass(1, "shard"), 0);
    shard.repels = new int[] {0, 1};

    assertThat(kinds(List.of(item(0, web, 1, 30), item(1, shard, 1, 5)), true)).isEmpty();
  }

  @Test
  void sharesOfACappedClassThatCouldMeetOnANodeAreLeftOut() {
    PodClass shard = selfRepelling(podClass(0, "shard"), 0);
    PodClass web = podClass(1, "web");

    // zones 1 and 1-2 overlap: a node in zone 1 could hold one of each share
    assertThat(kinds(List.of(item(0, shard, 0b01, 3), item(1, shard, 0b11, 3), item(2, web, 1, 9)),
        true)).singleElement().satisfies(kind -> assertThat(kind.getFirst().podClass).isSameAs(web));
    // zones 1 and 2 do not: each share is a kind, capped
    assertThat(kinds(List.of(item(0, shard, 0b01, 3), item(1, shard, 0b10, 3)), true)).hasSize(2);
  }

  @Test
  void moreKindsThanTheLimitGiveNone() {
    List<PodClass.Item> items = distinctItems(PatternPacking.KINDS + 1, 2);

    assertThat(PatternPacking.kinds(items, false, PatternPacking.KINDS)).isNull();
    assertThat(PatternPacking.kinds(items, false, PatternPacking.SEEDED_KINDS)).hasSize(PatternPacking.KINDS + 1);
  }

  @Test
  void overAHundredKindsTheProgramRunsFromAKeptPlanOnlyWhereTheKindsHaveManyPodsEach() {
    int many = PatternPacking.SEEDED_KINDS + 50;

    assertThat(PatternPacking.seededRuns(distinctKinds(many, PatternPacking.SEEDED_PODS_PER_KIND))).isTrue();
    assertThat(PatternPacking.seededRuns(distinctKinds(many, PatternPacking.SEEDED_PODS_PER_KIND - 1))).isFalse();
    // up to SEEDED_KINDS, however few; above, not
    assertThat(PatternPacking.seededRuns(distinctKinds(PatternPacking.SEEDED_KINDS, 1))).isTrue();
    assertThat(PatternPacking.seededRuns(distinctKinds(PatternPacking.SEEDED_KINDS + 1, 1))).isFalse();
    assertThat(PatternPacking.seededRuns(distinctKinds(PatternPacking.SEEDED_KINDS_MANY_PODS,
        PatternPacking.SEEDED_PODS_PER_KIND))).isTrue();
    // above SEEDED_KINDS_MANY_PODS there are no kinds to run it over
    assertThat(distinctKinds(PatternPacking.SEEDED_KINDS_MANY_PODS + 1, 100)).isNull();
    assertThat(PatternPacking.seededRuns(null)).isFalse();
  }

  /** The program's kinds, up to {@link PatternPacking#SEEDED_KINDS_MANY_PODS}, of {@link #distinctItems}. */
  private static List<List<PodClass.Item>> distinctKinds(int count, int pods) {
    return PatternPacking.kinds(distinctItems(count, pods), false, PatternPacking.SEEDED_KINDS_MANY_PODS);
  }

  /** {@code count} classes of {@code pods} pods each, alike but in their CPU requests. */
  private static List<PodClass.Item> distinctItems(int count, int pods) {
    List<PodClass.Item> items = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      PodClass c = new PodClass(i, PendingPod.simple("default/web" + i + "-0", Resources.of(100 + i, GIB)),
          new long[] {100 + i, GIB, 1});
      c.zoneMask = 0b11;
      items.add(item(i, c, 1, pods));
    }
    return items;
  }

  @Test
  void aKeptNodeIsAPatternOfItsPodsOfTheProgramsKinds() {
    PodClass web = podClass(0, "web");
    PodClass shard = selfRepelling(podClass(1, "shard"), 0);
    PodClass.Item webs = item(0, web, 1, 30);
    PodClass.Item shards = item(1, shard, 1, 5);
    List<List<PodClass.Item>> kinds = kinds(List.of(webs, shards), false);
    NodeShape shape = new NodeShape(3, NodePool.defaultPool(), 0,
        SyntheticWorkloads.karpenterCatalog(1).instanceTypes().getFirst(), CapacityType.ON_DEMAND, Map.of(),
        new long[] {8_000, 32 * GIB, 110}, Resources.NONE, new double[] {0.4, 0.5});
    OpenNode mixed = new OpenNode(shape, 0b01, 1);
    mixed.items.addAll(List.of(webs, shards));
    mixed.itemCounts.addAll(List.of(6, 1));
    OpenNode shardOnly = new OpenNode(shape, 0b01, 1);
    shardOnly.items.add(shards);
    shardOnly.itemCounts.add(1);

    java.util.BitSet ownShapes = new java.util.BitSet();
    ownShapes.set(3);
    // the shard is not one of the program's kinds: the mixed node gives its webs, the shard's node nothing
    assertThat(PatternPacking.patterns(List.of(mixed, shardOnly), kinds, i -> ownShapes)).singleElement()
        .satisfies(p -> {
          assertThat(p.shape()).isEqualTo(3);
          assertThat(p.counts()).containsExactly(6);
          assertThat(p.zoneMask()).isEqualTo(0b01);
          assertThat(p.price()).isEqualTo(0.4);
        });
    // webs that filled the room of another pool's node (a shape not among theirs) make no pattern of that shape
    assertThat(PatternPacking.patterns(List.of(mixed, shardOnly), kinds, i -> new java.util.BitSet())).isEmpty();
  }

  private static List<List<PodClass.Item>> kinds(List<PodClass.Item> items, boolean capped) {
    return PatternPacking.kinds(items, capped, PatternPacking.KINDS);
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
