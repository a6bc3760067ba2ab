package dev.flotilla.aws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.Offering;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.cloud.LaunchRequest;
import dev.flotilla.cloud.LaunchResult;
import dev.flotilla.model.CapacityType;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.CreateFleetError;
import software.amazon.awssdk.services.ec2.model.CreateFleetInstance;
import software.amazon.awssdk.services.ec2.model.CreateFleetRequest;
import software.amazon.awssdk.services.ec2.model.CreateFleetResponse;

/**
 * The emulator never answers CreateFleet with per-override errors, so this one path runs against a stubbed
 * Ec2Client that does: the first request fails for lack of capacity on one offering, the retry succeeds.
 */
class Ec2CloudProviderErrorsTest {

  @Test
  void capacityErrorMarksTheOfferingUnavailableAndRetriesOnceWithoutIt() {
    List<CreateFleetRequest> requests = new ArrayList<>();
    Ec2Client stub = stub(request -> requests.add(request), List.of(
        CreateFleetResponse.builder().errors(CreateFleetError.builder().errorCode("InsufficientInstanceCapacity")
            .errorMessage("no capacity").launchTemplateAndOverrides(l -> l.overrides(o -> o
                .instanceType("m7g.large").subnetId("subnet-a"))).build()).build(),
        CreateFleetResponse.builder().instances(CreateFleetInstance.builder().instanceIds("i-0123")
            .instanceType("c7g.large").lifecycle("on-demand")
            .launchTemplateAndOverrides(l -> l.overrides(o -> o.instanceType("c7g.large").subnetId("subnet-a")))
            .build()).build()));
    InMemoryClaimStore store = new InMemoryClaimStore(Clock.systemUTC());
    Ec2CloudProvider cloud = new Ec2CloudProvider(stub,
        new Ec2CloudProvider.Settings("c", "lt-1", Map.of("us-east-1a", "subnet-a")), (t, z, ct) -> 0.07, store);

    List<LaunchResult> results = cloud.launch(List.of(new LaunchRequest("claim-1", "general",
        List.of("m7g.large", "c7g.large"), List.of("us-east-1a"), CapacityType.ON_DEMAND)));

    assertThat(results).singleElement().isEqualTo(new LaunchResult.Launched("claim-1", "i-0123", "c7g.large",
        "us-east-1a", CapacityType.ON_DEMAND, 0.07));
    assertThat(store.unavailable()).containsExactly(
        new Offering.Key("m7g.large", "us-east-1a", CapacityType.ON_DEMAND));
    assertThat(requests).hasSize(2);
    assertThat(requests.get(0).launchTemplateConfigs().getFirst().overrides()).hasSize(2);
    assertThat(requests.get(1).launchTemplateConfigs().getFirst().overrides())
        .singleElement().satisfies(o -> assertThat(o.instanceTypeAsString()).isEqualTo("c7g.large"));
    assertThat(requests.get(0).onDemandOptions().allocationStrategyAsString()).isEqualTo("lowest-price");
  }

  @Test
  void spotUsesPriceCapacityOptimizedAndFailureNamesTheErrors() {
    List<CreateFleetRequest> requests = new ArrayList<>();
    CreateFleetResponse noCapacity = CreateFleetResponse.builder().errors(CreateFleetError.builder()
        .errorCode("InsufficientInstanceCapacity").launchTemplateAndOverrides(l -> l.overrides(o -> o
            .instanceType("m7g.large").subnetId("subnet-a"))).build()).build();
    Ec2Client stub = stub(requests::add, List.of(noCapacity, noCapacity));
    Ec2CloudProvider cloud = new Ec2CloudProvider(stub,
        new Ec2CloudProvider.Settings("c", "lt-1", Map.of("us-east-1a", "subnet-a")), (t, z, ct) -> 0.03,
        new InMemoryClaimStore(Clock.systemUTC()));

    List<LaunchResult> results = cloud.launch(List.of(new LaunchRequest("claim-1", "general",
        List.of("m7g.large"), List.of("us-east-1a"), CapacityType.SPOT)));

    assertThat(results).singleElement()
        .isEqualTo(new LaunchResult.Failed("claim-1", "InsufficientInstanceCapacity"));
    assertThat(requests).hasSize(1);
    assertThat(requests.getFirst().spotOptions().allocationStrategyAsString()).isEqualTo("price-capacity-optimized");
  }

  /** An Ec2Client whose CreateFleet answers with the given responses in turn; every other call is unsupported. */
  private static Ec2Client stub(Consumer<CreateFleetRequest> seen, List<CreateFleetResponse> responses) {
    return new Ec2Client() {
      private int next;

      @Override
      public CreateFleetResponse createFleet(CreateFleetRequest request) {
        seen.accept(request);
        return responses.get(next++);
      }

      @Override
      public String serviceName() {
        return "ec2";
      }

      @Override
      public void close() {}
    };
  }
}
