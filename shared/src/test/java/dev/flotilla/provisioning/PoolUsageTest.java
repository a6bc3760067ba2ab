package dev.flotilla.provisioning;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.NodeCapacity;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.Resources;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What live claims count against their NodePools' limits. */
class PoolUsageTest {

  private static final OfferingCatalog CATALOG = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.ratio(0.35));
  private static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");

  private static Claim launching(String id, String... types) {
    return Claim.launching(id, "default", List.of(types), List.of("us-east-1a"), CapacityType.ON_DEMAND,
        List.of(), Resources.NONE, 0.1, NOW);
  }

  @Test
  void aClaimNotYetLaunchedCountsTheLargestTypeItOffersInEachResource() {
    // CreateFleet may launch any of them: a c7g.2xlarge (8 CPUs, 16 GiB) or an r7g.xlarge (4 CPUs, 32 GiB)
    Claim claim = launching("a", "m7g.large", "c7g.2xlarge", "r7g.xlarge");

    Resources counted = Provisioner.poolUsage(List.of(claim), CATALOG).get("default");

    assertThat(counted.cpuMillis()).isEqualTo(8_000);
    assertThat(counted.memoryBytes()).isEqualTo(NodeCapacity.capacity(CATALOG.type("r7g.xlarge")).memoryBytes())
        .isGreaterThan(NodeCapacity.capacity(CATALOG.type("c7g.2xlarge")).memoryBytes());
  }

  @Test
  void aLaunchedClaimCountsTheTypeItGotAndADrainingOneNothing() {
    Claim launched = launching("a", "m7g.large", "c7g.2xlarge")
        .launched("i-0a", "m7g.large", "us-east-1a", CapacityType.ON_DEMAND, 0.08, NOW);
    Claim draining = launching("b", "c7g.2xlarge").moved(ClaimState.Draining, NOW);

    Resources counted = Provisioner.poolUsage(List.of(launched, draining), CATALOG).get("default");

    assertThat(counted).isEqualTo(NodeCapacity.capacity(CATALOG.type("m7g.large")));
  }
}
