package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.model.PendingPod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The running pods zone spreads count, held as counts of pods alike: the same counts as the pods one by one. */
class RunningPodsTest {

  private static final List<String> ZONES = List.of("us-east-1a", "us-east-1b", "us-east-1c");

  /** A pod drawn from few namespaces, label sets and host ports, so that many are alike. */
  record Drawn(int namespace, int app, int tier, boolean port, int zone) {
    PlacedPod placed(int index) {
      Map<String, String> labels = new TreeMap<>();
      labels.put("app", "app-" + app);
      if (tier > 0) {
        labels.put("tier", "t" + tier);
      }
      PendingPod pod = PendingPod.builder("ns-" + namespace + "/pod-" + index).labels(labels)
          .hostPorts(port ? java.util.Set.of("TCP/8080") : java.util.Set.of()).build();
      return new PlacedPod(pod, ZONES.get(zone));
    }
  }

  private static final List<Predicate<PendingPod>> SELECTIONS = List.of(
      pod -> true,
      pod -> "app-1".equals(pod.labels().get("app")),
      pod -> pod.namespace().equals("ns-0") && pod.labels().containsKey("tier"),
      pod -> pod.hostPorts().contains("TCP/8080"));

  /** The count of each zone, pod by pod, as the spreads counted before the pods were held as counts. */
  private static Map<String, Integer> oneByOne(List<PlacedPod> pods, Predicate<PendingPod> selection) {
    Map<String, Integer> byZone = new TreeMap<>();
    pods.stream().filter(p -> selection.test(p.pod())).forEach(p -> byZone.merge(p.zone(), 1, Integer::sum));
    return byZone;
  }

  @Property(tries = 200)
  void podsTakenAwayCountAsIfTheyHadNeverRun(@ForAll("pods") List<Drawn> drawn, @ForAll("leaving") List<Boolean> leaves) {
    List<PlacedPod> all = new ArrayList<>();
    List<PlacedPod> leaving = new ArrayList<>();
    List<PlacedPod> staying = new ArrayList<>();
    for (int i = 0; i < drawn.size(); i++) {
      PlacedPod p = drawn.get(i).placed(i);
      all.add(p);
      (i < leaves.size() && leaves.get(i) ? leaving : staying).add(p);
    }
    RunningPods left = RunningPods.of(all).without(leaving);
    for (Predicate<PendingPod> selection : SELECTIONS) {
      assertThat(RunningPods.of(all).byZone(selection)).isEqualTo(oneByOne(all, selection));
      assertThat(left.byZone(selection)).isEqualTo(oneByOne(staying, selection));
    }
    assertThat(left.isEmpty()).isEqualTo(staying.isEmpty());
  }

  @Test
  void takingAwayAPodThatIsNotRunningThereIsRefused() {
    PlacedPod a = new Drawn(0, 0, 0, false, 0).placed(0);
    PlacedPod elsewhere = new PlacedPod(a.pod(), ZONES.get(1));
    RunningPods running = RunningPods.of(List.of(a));

    assertThatThrownBy(() -> running.without(List.of(elsewhere)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("us-east-1b");
    assertThat(running.without(List.of(a)).isEmpty()).isTrue();
  }

  @Provide
  Arbitrary<List<Drawn>> pods() {
    return Combinators.combine(Arbitraries.integers().between(0, 1), Arbitraries.integers().between(0, 3),
        Arbitraries.integers().between(0, 2), Arbitraries.of(false, true), Arbitraries.integers().between(0, 2))
        .as(Drawn::new).list().ofMaxSize(60);
  }

  @Provide
  Arbitrary<List<Boolean>> leaving() {
    return Arbitraries.of(false, true).list().ofMaxSize(60);
  }
}
