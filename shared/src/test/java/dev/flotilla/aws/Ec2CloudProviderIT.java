package dev.flotilla.aws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.cloud.CloudProvider;
import dev.flotilla.cloud.CloudProviderContract;
import dev.flotilla.cloud.OwnershipTags;
import dev.flotilla.testing.AwsEmulator;
import dev.flotilla.testing.AwsIntegrationTest;
import dev.flotilla.cloud.LaunchRequest;
import dev.flotilla.cloud.LaunchResult;
import dev.flotilla.model.CapacityType;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.CreateFleetRequest;
import software.amazon.awssdk.services.ec2.model.CreateTagsRequest;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.Instance;

/** The cloud provider contract against EC2 in the emulator: real CreateFleet, tags, DescribeInstances, terminate. */
@AwsIntegrationTest
class Ec2CloudProviderIT extends CloudProviderContract {

  private final AtomicInteger fleets = new AtomicInteger();
  private volatile CreateFleetRequest lastFleet;
  private volatile String lastFleetId;
  private volatile boolean tagsFail;
  private Ec2Client ec2;
  private CloudProvider cloud;

  @BeforeEach
  void network(URI endpoint) {
    ec2 = Ec2Client.builder().endpointOverride(endpoint).region(AwsEmulator.REGION)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
        .httpClient(UrlConnectionHttpClient.create())
        .overrideConfiguration(o -> o.addExecutionInterceptor(new ExecutionInterceptor() {
          @Override
          public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
            if (context.request() instanceof CreateFleetRequest fleet) {
              fleets.incrementAndGet();
              lastFleet = fleet;
            }
            if (tagsFail && context.request() instanceof CreateTagsRequest) {
              throw SdkClientException.create("connection reset");
            }
          }

          @Override
          public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
            if (context.response() instanceof software.amazon.awssdk.services.ec2.model.CreateFleetResponse fleet) {
              lastFleetId = fleet.fleetId();
            }
          }
        }))
        .build();
    EmulatorAccount account = EmulatorAccount.create(ec2, "contract", ZONES);
    OfferingCatalog catalog = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.ratio(0.35));
    cloud = new Ec2CloudProvider(ec2,
        new Ec2CloudProvider.Settings(CLUSTER, account.launchTemplateId(), account.subnetByZone()),
        catalog::price, new InMemoryClaimStore(Clock.systemUTC()));
  }

  @Test
  void eachInstanceBootsTheImageOfItsArchitecture() {
    List<String> images = ec2.describeImages(r -> r.owners("amazon")).images().stream().map(Image::imageId)
        .limit(2).toList();
    EmulatorAccount account = EmulatorAccount.create(ec2, "images", ZONES);
    CatalogFile catalog = CatalogFile.bundled();
    Ec2CloudProvider byArch = new Ec2CloudProvider(ec2,
        new Ec2CloudProvider.Settings(CLUSTER, account.launchTemplateId(), account.subnetByZone(),
            Map.of("amd64", images.get(0), "arm64", images.get(1)), type -> catalog.require(type).arch()),
        (t, z, c) -> 0.1, new InMemoryClaimStore(Clock.systemUTC()));

    List<LaunchResult> results = byArch.launch(List.of(
        new LaunchRequest("intel", "general", List.of("m7i.large"), ZONES, CapacityType.ON_DEMAND),
        new LaunchRequest("graviton", "general", List.of("m7g.large"), ZONES, CapacityType.ON_DEMAND)));

    Map<String, String> imageByType = new HashMap<>();
    for (LaunchResult r : results) {
      String id = ((LaunchResult.Launched) r).instanceId();
      Instance i = ec2.describeInstances(q -> q.instanceIds(id)).reservations().getFirst().instances().getFirst();
      imageByType.put(i.instanceTypeAsString(), i.imageId());
    }
    assertThat(imageByType).containsExactlyInAnyOrderEntriesOf(
        Map.of("m7i.large", images.get(0), "m7g.large", images.get(1)));
  }

  @Test
  void anInstanceIsDescribedWithTheSubnetAndSecurityGroupsItWasLaunchedWith() {
    EmulatorAccount account = EmulatorAccount.create(ec2, "network", ZONES);
    String group = ec2.createSecurityGroup(r -> r.groupName("flotilla-nodes").description("nodes")
        .vpcId(account.vpcId())).groupId();
    String template = ec2.createLaunchTemplate(r -> r.launchTemplateName("flotilla-network-nodes")
        .launchTemplateData(d -> d.imageId("ami-12c6146b").securityGroupIds(group))).launchTemplate()
        .launchTemplateId();
    Ec2CloudProvider.Settings settings = new Ec2CloudProvider.Settings(CLUSTER, template, account.subnetByZone(),
        Map.of(), type -> "", null, List.of(group));
    Ec2CloudProvider withGroups = new Ec2CloudProvider(ec2, settings, (t, z, c) -> 0.1,
        new InMemoryClaimStore(Clock.systemUTC()));

    LaunchResult.Launched launched = (LaunchResult.Launched) withGroups.launch(List.of(
        new LaunchRequest("networked", "general", List.of("m7i.large"), List.of("us-east-1b"),
            CapacityType.ON_DEMAND, "5f3c2a"))).getFirst();

    assertThat(launched.subnet()).isEqualTo(account.subnetByZone().get("us-east-1b"));
    assertThat(launched.securityGroups()).containsExactly(group);
    dev.flotilla.cloud.CloudInstance described = withGroups.ownedInstance(launched.instanceId()).orElseThrow();
    assertThat(described.subnet()).isEqualTo(launched.subnet());
    assertThat(described.launchedWith())
        .containsEntry(dev.flotilla.claims.Claim.Annotations.NODEPOOL_HASH, "5f3c2a")
        .containsEntry(dev.flotilla.claims.Claim.Annotations.SUBNET, launched.subnet());

    // the emulator does not put a template's groups on a fleet's instances; one started with its groups named
    // shows how a described instance's groups are read
    String subnet = account.subnetByZone().get("us-east-1a");
    String started = ec2.runInstances(r -> r.imageId("ami-12c6146b").minCount(1).maxCount(1)
        .instanceType("m7i.large").subnetId(subnet).securityGroupIds(group)
        .tagSpecifications(t -> t.resourceType(software.amazon.awssdk.services.ec2.model.ResourceType.INSTANCE)
            .tags(software.amazon.awssdk.services.ec2.model.Tag.builder()
                .key(dev.flotilla.model.WellKnownLabels.CLUSTER).value(CLUSTER).build())))
        .instances().getFirst().instanceId();
    assertThat(withGroups.ownedInstance(started).orElseThrow().launchedWith()).isEqualTo(Map.of(
        dev.flotilla.claims.Claim.Annotations.SUBNET, subnet,
        dev.flotilla.claims.Claim.Annotations.SECURITY_GROUPS, group));
  }

  @Test
  void aLaunchTagsTheFleetAndWhatItCreatesWithTheClusterAsTheStacksIamRequires() {
    LaunchResult.Launched launched = (LaunchResult.Launched) cloud.launch(List.of(
        new LaunchRequest("tagged", "general", TYPES, ZONES, CapacityType.SPOT))).getFirst();

    assertThat(lastFleet.tagSpecifications()).extracting(t -> t.resourceTypeAsString())
        .containsExactly("fleet", "instance", "volume");
    assertThat(lastFleet.tagSpecifications()).allSatisfy(t -> assertThat(t.tags()).anySatisfy(tag -> {
      assertThat(tag.key()).isEqualTo(dev.flotilla.model.WellKnownLabels.CLUSTER);
      assertThat(tag.value()).isEqualTo(CLUSTER);
    }));
    assertThat(ec2.describeFleets(r -> r.filters(f -> f.name("tag:" + dev.flotilla.model.WellKnownLabels.CLUSTER)
        .values(CLUSTER))).fleets()).as("this launch's fleet, found by its tag")
        .anySatisfy(f -> assertThat(f.fleetId()).isEqualTo(lastFleetId));
    assertThat(cloud.ownedInstance(launched.instanceId())).isPresent();
  }

  @Test
  void instancesOfSeveralClaimsAreRecordedAndNameTheirClaimsWhenTaggingFails() {
    tagsFail = true;
    List<LaunchResult> results = cloud.launch(List.of(
        new LaunchRequest("c1", "general", TYPES, ZONES, CapacityType.ON_DEMAND),
        new LaunchRequest("c2", "general", TYPES, ZONES, CapacityType.ON_DEMAND)));

    assertThat(results).allSatisfy(r -> assertThat(r).isInstanceOf(LaunchResult.Launched.class));
    assertThat(cloud.ownedInstances()).hasSize(2).allSatisfy(i -> {
      assertThat(i.tags()).containsEntry(OwnershipTags.CLAIMS, "c1,c2");
      assertThat(OwnershipTags.claims(i.tags())).containsExactly("c1", "c2");
    });
  }

  @Test
  void claimsOfSeveralShapesLaunchedSideBySideComeBackInTheirOrder() {
    dev.flotilla.provisioning.Fanout fanout = dev.flotilla.provisioning.Fanout.bounded(4, "test-fleets");
    EmulatorAccount account = EmulatorAccount.create(ec2, "side-by-side", ZONES);
    Ec2CloudProvider sideBySide = new Ec2CloudProvider(ec2,
        new Ec2CloudProvider.Settings(CLUSTER, account.launchTemplateId(), account.subnetByZone()),
        (t, z, c) -> 0.1, new InMemoryClaimStore(Clock.systemUTC()), fanout);
    List<String> types = List.of("m7i.large", "c7i.large", "r7i.large", "m7g.large", "c7g.large");
    List<LaunchRequest> requests = new java.util.ArrayList<>();
    for (int i = 0; i < types.size(); i++) {
      requests.add(new LaunchRequest("claim-" + i, "general", List.of(types.get(i)), ZONES, CapacityType.ON_DEMAND));
    }
    requests.add(new LaunchRequest("claim-5", "general", List.of(types.get(0)), ZONES, CapacityType.ON_DEMAND));
    int before = fleets.get();

    List<LaunchResult> results = sideBySide.launch(requests);

    // one request per shape, the two claims of the first shape sharing theirs
    assertThat(fleets.get() - before).isEqualTo(types.size());
    assertThat(results).hasSize(requests.size());
    for (int i = 0; i < requests.size(); i++) {
      LaunchResult.Launched launched = (LaunchResult.Launched) results.get(i);
      assertThat(launched.claimId()).isEqualTo(requests.get(i).claimId());
      assertThat(launched.instanceType()).isEqualTo(requests.get(i).instanceTypes().getFirst());
      String id = launched.instanceId();
      Instance instance = ec2.describeInstances(q -> q.instanceIds(id)).reservations().getFirst().instances()
          .getFirst();
      assertThat(OwnershipTags.claims(instance.tags().stream()
          .collect(java.util.stream.Collectors.toMap(t -> t.key(), t -> t.value()))))
          .contains(requests.get(i).claimId());
    }
  }

  @AfterEach
  void close() {
    ec2.close();
  }

  @Override
  protected CloudProvider cloud() {
    return cloud;
  }

  @Override
  protected int fleetRequests() {
    return fleets.get();
  }

  @Override
  protected String startForeign() {
    return ec2.runInstances(r -> r.imageId("ami-12c6146b").minCount(1).maxCount(1).instanceType("m5.large"))
        .instances().getFirst().instanceId();
  }
}
