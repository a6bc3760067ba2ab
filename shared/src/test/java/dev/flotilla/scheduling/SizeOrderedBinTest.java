package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The pod streams' bins answer as a size-ordered set would, through any mix of look-ups and removals. */
class SizeOrderedBinTest {

  private static final Comparator<PodClass.Item> LARGEST_FIRST =
      Comparator.comparingDouble((PodClass.Item i) -> -i.size).thenComparingInt(i -> i.index);

  @Test
  void walksFromTheLargestItemNoLargerThanTheRoomAndSkipsRemovedItems() {
    PodClass c = new PodClass(0, PendingPod.simple("p", Resources.of(1000, 1L << 30)), new long[] {1000, 1L << 30});
    Random random = new Random(7);
    for (int run = 0; run < 50; run++) {
      SizeOrderedBin bin = new SizeOrderedBin();
      TreeSet<PodClass.Item> set = new TreeSet<>(LARGEST_FIRST);
      List<PodClass.Item> items = new ArrayList<>();
      int n = 1 + random.nextInt(40);
      for (int i = 0; i < n; i++) {
        PodClass.Item item = new PodClass.Item(i, c, 1, 1, List.of("p-" + i));
        // few distinct sizes, so ties are common and the index must order them
        item.size = random.nextInt(8) / 2.0;
        items.add(item);
        bin.add(item);
        set.add(item);
      }
      for (int step = 0; step < 60; step++) {
        if (random.nextInt(3) == 0) {
          PodClass.Item gone = items.get(random.nextInt(n));
          assertThat(bin.remove(gone)).isEqualTo(set.remove(gone));
        }
        double room = random.nextInt(10) / 2.0;
        PodClass.Item probe = new PodClass.Item(-1, c, 1, 1, List.of());
        probe.size = room;
        List<PodClass.Item> expected = new ArrayList<>(set.tailSet(probe, true));
        List<PodClass.Item> walked = new ArrayList<>();
        for (int at = bin.first(room); at < bin.end(); at = bin.after(at)) {
          walked.add(bin.at(at));
        }
        assertThat(walked).containsExactlyElementsOf(expected);
        assertThat(bin.isEmpty()).isEqualTo(set.isEmpty());
      }
    }
  }
}
