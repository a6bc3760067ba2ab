package dev.flotilla.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.Offering;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.model.CapacityType;
import dev.flotilla.testing.MutableClock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InMemoryCloudTest extends CloudProviderContract {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
  private final InMemoryClaimStore store = new InMemoryClaimStore(clock);
  private final InMemoryCloud cloud = new InMemoryCloud(CLUSTER,
      OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.ratio(0.35)), store, clock);

  @Override
  protected CloudProvider cloud() {
    return cloud;
  }

  @Override
  protected int fleetRequests() {
    return cloud.fleetRequests();
  }

  @Override
  protected String startForeign() {
    return cloud.startForeign("m5.large", "us-east-1a", Map.of("team", "other"));
  }

  @Test
  void exhaustedOfferingsAreSkippedAndWhenNoneIsLeftMarkedUnavailable() {
    Offering.Key only = new Offering.Key("m7g.large", "us-east-1a", CapacityType.SPOT);
    LaunchRequest request = new LaunchRequest("c1", "general", List.of("m7g.large"), List.of("us-east-1a"),
        CapacityType.SPOT);
    cloud.exhaust(only);

    assertThat(cloud.launch(List.of(request))).singleElement().isInstanceOf(LaunchResult.Failed.class);
    assertThat(store.unavailable()).containsExactly(only);
  }
}
