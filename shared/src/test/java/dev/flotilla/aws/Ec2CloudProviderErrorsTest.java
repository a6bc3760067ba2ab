package dev.flotilla.aws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.Offering;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.cloud.LaunchRequest;
import dev.flotilla.cloud.LaunchResult;
import dev.flotilla.cloud.OwnershipTags;
import dev.flotilla.model.CapacityType;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.CreateFleetError;
import software.amazon.awssdk.services.ec2.model.CreateFleetInstance;
import software.amazon.awssdk.services.ec2.model.CreateFleetRequest;
import software.amazon.awssdk.services.ec2.model.CreateFleetResponse;
import software.amazon.awssdk.services.ec2.model.CreateTagsRequest;
import software.amazon.awssdk.services.ec2.model.CreateTagsResponse;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Tag;

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
        "us-east-1a", CapacityType.ON_DEMAND, 0.07, "subnet-a", List.of()));
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

  @Test
  void aFleetRequestCarriesAClientTokenDerivedFromItsClaimsAndAttempt() {
    List<CreateFleetRequest> requests = new ArrayList<>();
    CreateFleetResponse noCapacity = CreateFleetResponse.builder().errors(CreateFleetError.builder()
        .errorCode("InsufficientInstanceCapacity").launchTemplateAndOverrides(l -> l.overrides(o -> o
            .instanceType("m7g.large").subnetId("subnet-a"))).build()).build();
    Ec2Client stub = stub(requests::add, List.of(noCapacity, noCapacity, noCapacity, noCapacity, noCapacity));
    Ec2CloudProvider cloud = new Ec2CloudProvider(stub,
        new Ec2CloudProvider.Settings("c", "lt-1", Map.of("us-east-1a", "subnet-a")), (t, z, ct) -> 0.03,
        new InMemoryClaimStore(Clock.systemUTC()));
    LaunchRequest one = new LaunchRequest("claim-1", "general", List.of("m7g.large", "c7g.large"),
        List.of("us-east-1a"), CapacityType.ON_DEMAND);

    cloud.launch(List.of(one));
    cloud.launch(List.of(one));
    cloud.launch(List.of(new LaunchRequest("claim-2", "general", List.of("m7g.large"), List.of("us-east-1a"),
        CapacityType.ON_DEMAND)));

    assertThat(requests).hasSize(5).allSatisfy(r -> assertThat(r.clientToken()).isNotBlank().hasSizeLessThanOrEqualTo(64));
    // the same claims at the same attempt: the same token, so a resent request launches nothing twice
    assertThat(requests.get(2).clientToken()).isEqualTo(requests.get(0).clientToken());
    assertThat(requests.get(3).clientToken()).isEqualTo(requests.get(1).clientToken());
    // the retry without the offerings out of capacity is another request
    assertThat(requests.get(1).clientToken()).isNotEqualTo(requests.get(0).clientToken());
    assertThat(requests.get(4).clientToken()).isNotEqualTo(requests.get(0).clientToken());
  }

  @Test
  void aClientSideFailureOfCreateFleetFailsTheLaunchInsteadOfThrowing() {
    Ec2Client stub = new StubEc2() {
      @Override
      public CreateFleetResponse createFleet(CreateFleetRequest request) {
        throw SdkClientException.create("Unable to execute HTTP request: Read timed out");
      }
    };
    Ec2CloudProvider cloud = new Ec2CloudProvider(stub,
        new Ec2CloudProvider.Settings("c", "lt-1", Map.of("us-east-1a", "subnet-a")), (t, z, ct) -> 0.03,
        new InMemoryClaimStore(Clock.systemUTC()));

    List<LaunchResult> results = cloud.launch(List.of(new LaunchRequest("claim-1", "general",
        List.of("m7g.large"), List.of("us-east-1a"), CapacityType.ON_DEMAND)));

    assertThat(results).singleElement().isInstanceOfSatisfying(LaunchResult.Failed.class,
        f -> assertThat(f.reason()).contains("Read timed out"));
  }

  @Test
  void instancesOfSeveralClaimsAreRecordedEvenWhenTaggingThemWithTheirClaimsFails() {
    List<CreateFleetRequest> requests = new ArrayList<>();
    Ec2Client stub = new StubEc2() {
      @Override
      public CreateFleetResponse createFleet(CreateFleetRequest request) {
        requests.add(request);
        return CreateFleetResponse.builder().instances(CreateFleetInstance.builder().instanceIds("i-1", "i-2")
            .instanceType("m7g.large").lifecycle("on-demand")
            .launchTemplateAndOverrides(l -> l.overrides(o -> o.instanceType("m7g.large").subnetId("subnet-a")))
            .build()).build();
      }

      @Override
      public CreateTagsResponse createTags(CreateTagsRequest request) {
        throw Ec2Exception.builder().message("Request limit exceeded").statusCode(503).build();
      }
    };
    Ec2CloudProvider cloud = new Ec2CloudProvider(stub,
        new Ec2CloudProvider.Settings("c", "lt-1", Map.of("us-east-1a", "subnet-a")), (t, z, ct) -> 0.07,
        new InMemoryClaimStore(Clock.systemUTC()));

    List<LaunchResult> results = cloud.launch(List.of(
        new LaunchRequest("claim-1", "general", List.of("m7g.large"), List.of("us-east-1a"), CapacityType.ON_DEMAND),
        new LaunchRequest("claim-2", "general", List.of("m7g.large"), List.of("us-east-1a"),
            CapacityType.ON_DEMAND)));

    assertThat(results).containsExactly(
        new LaunchResult.Launched("claim-1", "i-1", "m7g.large", "us-east-1a", CapacityType.ON_DEMAND, 0.07,
            "subnet-a", List.of()),
        new LaunchResult.Launched("claim-2", "i-2", "m7g.large", "us-east-1a", CapacityType.ON_DEMAND, 0.07,
            "subnet-a", List.of()));
    // each instance names its possible claims from the moment it exists, so the garbage collector can adopt it
    assertThat(requests.getFirst().tagSpecifications()).allSatisfy(spec -> assertThat(spec.tags())
        .contains(Tag.builder().key(OwnershipTags.CLAIMS).value("claim-1,claim-2").build()));
  }

  @Test
  void identicalClaimsGoOutInAsFewRequestsAsTheirClaimsTagAllows() {
    List<CreateFleetRequest> requests = new ArrayList<>();
    java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
    Ec2Client stub = new StubEc2() {
      @Override
      public CreateFleetResponse createFleet(CreateFleetRequest request) {
        requests.add(request);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < request.targetCapacitySpecification().totalTargetCapacity(); i++) {
          ids.add("i-" + next.incrementAndGet());
        }
        return CreateFleetResponse.builder().instances(CreateFleetInstance.builder().instanceIds(ids)
            .instanceType("m7g.large").lifecycle("on-demand")
            .launchTemplateAndOverrides(l -> l.overrides(o -> o.instanceType("m7g.large").subnetId("subnet-a")))
            .build()).build();
      }

      @Override
      public CreateTagsResponse createTags(CreateTagsRequest request) {
        return CreateTagsResponse.builder().build();
      }
    };
    Ec2CloudProvider cloud = new Ec2CloudProvider(stub,
        new Ec2CloudProvider.Settings("c", "lt-1", Map.of("us-east-1a", "subnet-a")), (t, z, ct) -> 0.07,
        new InMemoryClaimStore(Clock.systemUTC()));
    List<LaunchRequest> ten = java.util.stream.IntStream.range(0, 10).mapToObj(i -> new LaunchRequest(
        java.util.UUID.randomUUID().toString(), "general", List.of("m7g.large"), List.of("us-east-1a"),
        CapacityType.ON_DEMAND)).toList();

    List<LaunchResult> results = cloud.launch(ten);

    assertThat(results).allSatisfy(r -> assertThat(r).isInstanceOf(LaunchResult.Launched.class));
    assertThat(results).extracting(r -> ((LaunchResult.Launched) r).instanceId()).doesNotHaveDuplicates();
    assertThat(requests).hasSize(2);
    assertThat(requests).allSatisfy(r -> assertThat(r.tagSpecifications().getFirst().tags())
        .filteredOn(t -> t.key().equals(OwnershipTags.CLAIMS)).singleElement()
        .satisfies(t -> assertThat(t.value()).hasSizeLessThanOrEqualTo(256)));
  }

  /** An Ec2Client that supports nothing until a test overrides it. */
  private abstract static class StubEc2 implements Ec2Client {
    @Override
    public String serviceName() {
      return "ec2";
    }

    @Override
    public void close() {}
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
