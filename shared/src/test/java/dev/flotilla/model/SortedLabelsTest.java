package dev.flotilla.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/** A pod's labels: the same map as any other holding its entries, sorted by key, and read-only. */
class SortedLabelsTest {

  @Property(tries = 200)
  void equalAndHashedAsAnyMapOfTheSameEntries(
      @ForAll @Size(max = 8) Map<@AlphaChars @StringLength(max = 4) String, @AlphaChars String> labels) {
    Map<String, String> sorted = PendingPod.builder("default/p").labels(labels).build().labels();
    Map<String, String> plain = new HashMap<>(labels);

    assertThat(sorted).isEqualTo(plain);
    assertThat(plain).isEqualTo(sorted);
    assertThat(sorted.hashCode()).isEqualTo(plain.hashCode()).isEqualTo(sorted.hashCode());
    assertThat(List.copyOf(sorted.keySet())).isEqualTo(List.copyOf(new TreeMap<>(labels).keySet()));
    labels.keySet().forEach(k -> assertThat(sorted.get(k)).isEqualTo(labels.get(k)));
  }

  @Test
  void theLabelsAreReadOnlyAndSurviveJson() throws Exception {
    PendingPod pod = PendingPod.builder("shop/web-0").labels(Map.of("tier", "front", "app", "web")).build();

    assertThatThrownBy(() -> pod.labels().put("app", "db")).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> pod.labels().entrySet().clear()).isInstanceOf(UnsupportedOperationException.class);
    ObjectMapper json = new ObjectMapper().findAndRegisterModules();
    PendingPod back = json.readValue(json.writeValueAsString(pod), PendingPod.class);
    assertThat(back.labels()).isEqualTo(pod.labels());
    assertThat(json.writeValueAsString(pod)).contains("\"labels\":{\"app\":\"web\",\"tier\":\"front\"}");
  }
}
