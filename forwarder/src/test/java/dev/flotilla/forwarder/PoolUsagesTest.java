package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.Resources;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A NodePool's status resources count its nodes as its limits do: a draining node still costs, and counts nothing. */
class PoolUsagesTest {

  private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");

  private static Claim joined(String id, String node, ClaimState state) {
    Claim launched = Claim.launching(id, "general", List.of("m5.large"), List.of("us-east-1a"),
        CapacityType.ON_DEMAND, List.of(), Resources.NONE, 0.096, NOW)
        .launched("i-" + id, "m5.large", "us-east-1a", CapacityType.ON_DEMAND, 0.096, NOW);
    Claim ready = launched.moved(ClaimState.Initialized, NOW).withNode(node);
    return state == ClaimState.Initialized ? ready : ready.moved(state, NOW);
  }

  private static Node node(String name) {
    return new NodeBuilder().withNewMetadata().withName(name).endMetadata().withNewStatus()
        .withCapacity(Map.of("cpu", new Quantity("2"), "memory", new Quantity("8Gi"))).endStatus().build();
  }

  @Test
  void aDrainingNodeCostsAndCountsNothingAgainstTheLimits() {
    Map<String, PoolUsage> usage = PoolUsages.of(List.of(joined("a", "node-a", ClaimState.Initialized),
        joined("b", "node-b", ClaimState.Draining)), PoolUsagesTest::node);

    PoolUsage general = usage.get("general");
    assertThat(general.nodes()).isEqualTo(1);
    assertThat(general.cpuMillis()).isEqualTo(2_000);
    assertThat(general.memoryBytes()).isEqualTo(8L << 30);
    assertThat(general.pricePerHour()).isEqualTo(0.192, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(general.claims()).containsEntry("Initialized", 1).containsEntry("Draining", 1);
  }
}
