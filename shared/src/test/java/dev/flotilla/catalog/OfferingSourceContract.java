package dev.flotilla.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.ClaimStore;
import dev.flotilla.model.CapacityType;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What every offering source gives the scheduler, from EC2's APIs or a fixed catalog. */
public abstract class OfferingSourceContract {

  protected abstract OfferingSource source();

  protected abstract ClaimStore store();

  @Test
  void knownTypeIsOfferedOnDemandAndSpotWithItsSpecsAndPrice() {
    OfferingCatalog catalog = source().catalog();
    InstanceType m5 = catalog.type("m5.large");
    assertThat(m5.vcpu()).isEqualTo(2);
    assertThat(m5.memoryMiB()).isEqualTo(8192);
    assertThat(m5.maxPods()).isEqualTo(29);
    assertThat(catalog.price("m5.large", "us-east-1a", CapacityType.ON_DEMAND)).isEqualTo(0.096);
    assertThat(catalog.price("m5.large", "us-east-1a", CapacityType.SPOT)).isPositive().isLessThan(0.096);
    assertThat(catalog.type("m7g.large").arch()).isEqualTo("arm64");
    // the facts Karpenter labels nodes with, which NodePools written for it require (instance-hypervisor: nitro)
    assertThat(m5.hypervisor()).isEqualTo("nitro");
    assertThat(m5.cpuManufacturer()).isEqualTo("intel");
    assertThat(m5.networkBandwidthMbps()).isEqualTo(750);
    assertThat(m5.ebsBandwidthMbps()).isEqualTo(4750);
    assertThat(catalog.type("m7g.large").cpuManufacturer()).isEqualTo("aws");
    assertThat(catalog.type("m5d.large").localNvmeGiB()).isEqualTo(75);
    assertThat(catalog.type("g5.xlarge").gpuName()).isEqualTo("a10g");
    assertThat(catalog.type("g5.xlarge").gpuManufacturer()).isEqualTo("nvidia");
  }

  @Test
  void offeringsMarkedUnavailableAreLeftOut() {
    store().markUnavailable(new Offering.Key("m5.large", "us-east-1a", CapacityType.ON_DEMAND),
        "InsufficientInstanceCapacity", Duration.ofMinutes(3));

    OfferingCatalog catalog = source().catalog();

    assertThat(catalog.price("m5.large", "us-east-1a", CapacityType.ON_DEMAND)).isNaN();
    assertThat(catalog.price("m5.large", "us-east-1b", CapacityType.ON_DEMAND)).isEqualTo(0.096);
  }
}
