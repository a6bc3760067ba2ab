package dev.flotilla.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResourcesTest {

  @Test
  void namesComeInOrderWhateverOrderTheyWereGivenIn() throws Exception {
    Map<String, Long> given = new LinkedHashMap<>();
    given.put(Resources.PODS, 3L);
    given.put(Resources.NVIDIA_GPU, 1L);
    given.put(Resources.MEMORY, 2L << 30);
    given.put(Resources.CPU, 500L);
    Resources r = new Resources(given);

    assertThat(r.amounts().keySet()).containsExactly(Resources.CPU, Resources.MEMORY, Resources.NVIDIA_GPU,
        Resources.PODS);
    assertThat(r).hasToString("cpu=500m memory=2Gi nvidia.com/gpu=1 pods=3");
    assertThat(new ObjectMapper().writeValueAsString(r))
        .isEqualTo("{\"cpu\":500,\"memory\":2147483648,\"nvidia.com/gpu\":1,\"pods\":3}");
  }

  @Test
  void readsWhatItHoldsAndZeroForTheRest() {
    Resources r = Resources.of(250, 1L << 30).with(Resources.PODS, 1);

    assertThat(r.cpuMillis()).isEqualTo(250);
    assertThat(r.memoryBytes()).isEqualTo(1L << 30);
    assertThat(r.get(Resources.PODS)).isEqualTo(1);
    assertThat(r.get(Resources.NVIDIA_GPU)).isZero();
    assertThat(r).isEqualTo(new Resources(Map.of(Resources.PODS, 1L, Resources.MEMORY, 1L << 30, Resources.CPU,
        250L, Resources.NVIDIA_GPU, 0L)));
  }

  @Test
  void cannotBeChangedThroughItsMap() {
    Resources r = Resources.of(250, 1L << 30);

    assertThatThrownBy(() -> r.amounts().put(Resources.CPU, 1L)).isInstanceOf(UnsupportedOperationException.class);
  }
}
