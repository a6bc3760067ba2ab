package dev.flotilla.aws;

import dev.flotilla.catalog.Offering;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.cloud.CloudInstance;
import dev.flotilla.cloud.CloudProvider;
import dev.flotilla.cloud.LaunchRequest;
import dev.flotilla.cloud.LaunchResult;
import dev.flotilla.cloud.OwnershipTags;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.provisioning.Fanout;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.CreateFleetError;
import software.amazon.awssdk.services.ec2.model.CreateFleetInstance;
import software.amazon.awssdk.services.ec2.model.CreateFleetResponse;
import software.amazon.awssdk.services.ec2.model.DefaultTargetCapacityType;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.FleetLaunchTemplateOverridesRequest;
import software.amazon.awssdk.services.ec2.model.FleetType;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

/**
 * Launches with EC2 CreateFleet (type {@code instant}) and terminates with ownership checked first.
 *
 * <p>A fleet request carries a launch template and one override per ranked instance type and allowed zone's subnet
 * (at most 60 types); spot uses {@code price-capacity-optimized}, on-demand {@code lowest-price}. Errors on an
 * override that mean the offering has no capacity mark it unavailable for three minutes in the claim store, where
 * every function instance sees it, and the missing instances are asked for once more without it. Throttling
 * ({@code RequestLimitExceeded}) is retried with backoff by the SDK's standard retry strategy.
 *
 * <p>Each request carries a client token derived from its claims and attempt, so a request resent after its answer
 * was lost launches nothing twice. Instances are tagged at creation with their claim (or, when one request serves
 * several claims, with all of them, see {@link OwnershipTags#CLAIMS}): whatever fails after the instances exist,
 * the garbage collector can find and adopt them. A failure of CreateFleet itself, on the service's side or the
 * client's, fails the launch; nothing after CreateFleet answered loses an instance it launched.
 */
public final class Ec2CloudProvider implements CloudProvider {

  /**
   * The resource types a CreateFleet request tags with the ownership tags (an instant fleet tags no others). The
   * stack's IAM lets a launch create these only when they carry the cluster's tag, so the two must not drift.
   */
  public static final List<String> TAGGED_AT_LAUNCH = List.of("fleet", "instance", "volume");

  /**
   * Where instances go: the cluster, its launch template, a subnet per zone, and the machine image per architecture
   * ({@code amd64}, {@code arm64}). One fleet may mix architectures, so the image is set on each override; with no
   * image for an architecture the launch template's own image is used.
   */
  public record Settings(String cluster, String launchTemplateId, Map<String, String> subnetByZone,
      Map<String, String> imageByArch, Function<String, String> archOfType, dev.flotilla.cloud.NodeImages images,
      List<String> securityGroups) {
    public Settings {
      subnetByZone = Map.copyOf(subnetByZone);
      imageByArch = Map.copyOf(imageByArch);
      // the images a claim notes at launch are the images launched: both read the same source
      images = images == null ? dev.flotilla.cloud.NodeImages.of(imageByArch) : images;
      securityGroups = securityGroups == null ? List.of() : List.copyOf(securityGroups);
    }

    /**
     * @param securityGroups the launch template's security groups, as the stack configures both: what each
     *                       launched instance's claim notes, since CreateFleet's answer does not name them
     */
    public Settings(String cluster, String launchTemplateId, Map<String, String> subnetByZone,
        Map<String, String> imageByArch, Function<String, String> archOfType, dev.flotilla.cloud.NodeImages images) {
      this(cluster, launchTemplateId, subnetByZone, imageByArch, archOfType, images, List.of());
    }

    public Settings(String cluster, String launchTemplateId, Map<String, String> subnetByZone,
        Map<String, String> imageByArch, Function<String, String> archOfType) {
      this(cluster, launchTemplateId, subnetByZone, imageByArch, archOfType, null);
    }

    public Settings(String cluster, String launchTemplateId, Map<String, String> subnetByZone) {
      this(cluster, launchTemplateId, subnetByZone, Map.of(), type -> "", null);
    }

    String imageFor(String instanceType) {
      return images.current(archOfType.apply(instanceType)).orElse(null);
    }
  }

  /** Looks up what an offering costs, USD per hour (NaN when unknown). */
  @FunctionalInterface
  public interface Prices {
    double price(String instanceType, String zone, CapacityType capacityType);
  }

  static final int MAX_TYPES = 60;
  /** EC2's limit on a tag's value, which bounds how many claims one request serves. */
  static final int MAX_TAG_VALUE = 256;
  static final Set<String> CAPACITY_ERRORS = Set.of("InsufficientInstanceCapacity", "MaxSpotInstanceCountExceeded",
      "Unsupported", "UnfulfillableCapacity", "SpotMaxPriceTooLow", "InsufficientCapacityOnHost");
  private static final Logger LOG = LoggerFactory.getLogger(Ec2CloudProvider.class);

  private final Ec2Client ec2;
  private final Settings settings;
  private final Prices prices;
  private final ClaimStore store;
  private final Map<String, String> zoneBySubnet = new HashMap<>();
  private final Fanout fanout;

  public Ec2CloudProvider(Ec2Client ec2, Settings settings, Prices prices, ClaimStore store) {
    this(ec2, settings, prices, store, Fanout.SEQUENTIAL);
  }

  /** @param fanout how the requests of one launch (one per shape of claims) run: one by one, or side by side */
  public Ec2CloudProvider(Ec2Client ec2, Settings settings, Prices prices, ClaimStore store, Fanout fanout) {
    this.fanout = fanout;
    this.ec2 = ec2;
    this.settings = settings;
    this.prices = prices;
    this.store = store;
    settings.subnetByZone().forEach((zone, subnet) -> zoneBySubnet.put(subnet, zone));
  }

  @Override
  public List<LaunchResult> launch(List<LaunchRequest> requests) {
    Map<LaunchRequest.Shape, List<LaunchRequest>> groups = new LinkedHashMap<>();
    requests.forEach(r -> groups.computeIfAbsent(r.shape(), k -> new ArrayList<>()).add(r));
    // one CreateFleet per shape, and per as many of its claims as their ids fit in one tag value; the requests
    // share nothing (each has its own claims, overrides and client token), so they may go out side by side
    List<java.util.function.Supplier<Map<String, LaunchResult>>> fleets = new ArrayList<>();
    groups.forEach((shape, group) -> {
      List<LaunchRequest> batch = new ArrayList<>();
      int length = -1;
      for (LaunchRequest r : group) {
        if (!batch.isEmpty() && length + 1 + r.claimId().length() > MAX_TAG_VALUE) {
          List<LaunchRequest> full = batch;
          fleets.add(() -> launchGroup(shape, full));
          batch = new ArrayList<>();
          length = -1;
        }
        batch.add(r);
        length += 1 + r.claimId().length();
      }
      List<LaunchRequest> last = batch;
      fleets.add(() -> launchGroup(shape, last));
    });
    Map<String, LaunchResult> results = new HashMap<>();
    fanout.all(fleets).forEach(results::putAll);
    return requests.stream().map(r -> results.get(r.claimId())).toList();
  }

  private Map<String, LaunchResult> launchGroup(LaunchRequest.Shape shape, List<LaunchRequest> group) {
    Map<String, LaunchResult> results = new HashMap<>();
    List<String> waiting = new ArrayList<>(group.stream().map(LaunchRequest::claimId).toList());
    Set<Offering.Key> excluded = new LinkedHashSet<>();
    Set<String> errorCodes = new LinkedHashSet<>();
    for (int attempt = 1; attempt <= 2 && !waiting.isEmpty(); attempt++) {
      List<FleetLaunchTemplateOverridesRequest> overrides = overrides(shape, excluded);
      if (overrides.isEmpty()) {
        break;
      }
      CreateFleetResponse response;
      try {
        response = createFleet(shape, overrides, waiting, clientToken(waiting, attempt));
      } catch (SdkException e) {
        // a service error, or one on the client's side (a timeout, a lost connection) the SDK's retries, with the
        // same client token, did not get past: the instances it may have launched carry their claims' tags
        errorCodes.add(e instanceof AwsServiceException s && s.awsErrorDetails() != null
            && s.awsErrorDetails().errorCode() != null ? s.awsErrorDetails().errorCode() : e.getMessage());
        LOG.warn("CreateFleet for {} claims of NodePool {} failed: {}", waiting.size(), shape.nodePool(),
            e.getMessage());
        break;
      }
      boolean shared = waiting.size() > 1;
      Map<String, String> claimByInstance = new LinkedHashMap<>();
      for (CreateFleetInstance launched : response.instances()) {
        String subnet = launched.launchTemplateAndOverrides() == null
            || launched.launchTemplateAndOverrides().overrides() == null ? null
            : launched.launchTemplateAndOverrides().overrides().subnetId();
        String zone = subnet == null ? null : zoneBySubnet.get(subnet);
        CapacityType boughtAs = "spot".equals(launched.lifecycleAsString()) ? CapacityType.SPOT : CapacityType.ON_DEMAND;
        for (String id : launched.instanceIds()) {
          if (waiting.isEmpty()) {
            break;
          }
          String claim = waiting.removeFirst();
          claimByInstance.put(id, claim);
          results.put(claim, new LaunchResult.Launched(claim, id, launched.instanceTypeAsString(), zone, boughtAs,
              prices.price(launched.instanceTypeAsString(), zone, boughtAs), subnet, settings.securityGroups()));
        }
      }
      if (shared) {
        // one request served several claims: each instance learns its own claim. The claim records its instance
        // either way, and the instance names all the request's claims since its creation, so a failure is no loss.
        claimByInstance.forEach((id, claim) -> {
          try {
            ec2.createTags(r -> r.resources(id).tags(tag(WellKnownLabels.CLAIM, claim)));
          } catch (SdkException e) {
            LOG.warn("instance {} of claim {} not tagged with its claim: {}", id, claim, e.getMessage());
          }
        });
      }
      for (CreateFleetError error : response.errors()) {
        errorCodes.add(error.errorCode());
        var o = error.launchTemplateAndOverrides() == null ? null : error.launchTemplateAndOverrides().overrides();
        if (o != null && CAPACITY_ERRORS.contains(error.errorCode())) {
          Offering.Key key = new Offering.Key(o.instanceTypeAsString(), zoneBySubnet.get(o.subnetId()),
              shape.capacityType());
          excluded.add(key);
          try {
            store.markUnavailable(key, error.errorCode(), UNAVAILABLE_FOR);
          } catch (RuntimeException e) {
            // this launch still leaves the offering out; other function instances may try it meanwhile
            LOG.warn("offering {} not marked unavailable: {}", key, e.getMessage());
          }
        }
      }
    }
    for (String claim : waiting) {
      results.put(claim, new LaunchResult.Failed(claim, errorCodes.isEmpty() ? "no offering left to try"
          : String.join(", ", errorCodes)));
    }
    return results;
  }

  private List<FleetLaunchTemplateOverridesRequest> overrides(LaunchRequest.Shape shape, Set<Offering.Key> excluded) {
    List<FleetLaunchTemplateOverridesRequest> overrides = new ArrayList<>();
    int priority = 0;
    for (String type : shape.instanceTypes().subList(0, Math.min(MAX_TYPES, shape.instanceTypes().size()))) {
      for (String zone : shape.zones()) {
        String subnet = settings.subnetByZone().get(zone);
        if (subnet != null && !excluded.contains(new Offering.Key(type, zone, shape.capacityType()))) {
          overrides.add(FleetLaunchTemplateOverridesRequest.builder().instanceType(type).subnetId(subnet)
              .imageId(settings.imageFor(type)).priority((double) priority).build());
        }
      }
      priority++;
    }
    return overrides;
  }

  /**
   * The request's idempotency token: the same claims at the same attempt (whose request is the same) always give
   * the same token, at most 64 characters as EC2 allows.
   */
  static String clientToken(List<String> claims, int attempt) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] digest = sha.digest((String.join(",", claims) + "#" + attempt).getBytes(StandardCharsets.UTF_8));
      return "flotilla-" + HexFormat.of().formatHex(digest, 0, 24);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private CreateFleetResponse createFleet(LaunchRequest.Shape shape,
      List<FleetLaunchTemplateOverridesRequest> overrides, List<String> claims, String clientToken) {
    Map<String, String> tags = OwnershipTags.forClaims(settings.cluster(), shape.nodePool(), claims,
        shape.nodePoolHash());
    List<Tag> tagList = tags.entrySet().stream().map(e -> tag(e.getKey(), e.getValue())).toList();
    boolean spot = shape.capacityType() == CapacityType.SPOT;
    return ec2.createFleet(r -> {
      r.type(FleetType.INSTANT)
          .clientToken(clientToken)
          .launchTemplateConfigs(c -> c
              .launchTemplateSpecification(s -> s.launchTemplateId(settings.launchTemplateId()).version("$Latest"))
              .overrides(overrides))
          .targetCapacitySpecification(t -> t.totalTargetCapacity(claims.size())
              .defaultTargetCapacityType(spot ? DefaultTargetCapacityType.SPOT : DefaultTargetCapacityType.ON_DEMAND))
          .tagSpecifications(TAGGED_AT_LAUNCH.stream().map(type -> TagSpecification.builder()
              .resourceType(ResourceType.fromValue(type)).tags(tagList).build()).toList());
      if (spot) {
        r.spotOptions(o -> o.allocationStrategy("price-capacity-optimized"));
      } else {
        r.onDemandOptions(o -> o.allocationStrategy("lowest-price"));
      }
    });
  }

  @Override
  public Termination terminate(String instanceId) {
    List<Instance> found;
    try {
      found = ec2.describeInstances(r -> r.instanceIds(instanceId)).reservations().stream()
          .flatMap(res -> res.instances().stream()).toList();
    } catch (AwsServiceException e) {
      if (e.awsErrorDetails() != null && "InvalidInstanceID.NotFound".equals(e.awsErrorDetails().errorCode())) {
        return Termination.ALREADY_GONE;
      }
      throw e;
    }
    if (found.isEmpty() || "terminated".equals(found.getFirst().state().nameAsString())) {
      return Termination.ALREADY_GONE;
    }
    Map<String, String> tags = new HashMap<>();
    found.getFirst().tags().forEach(t -> tags.put(t.key(), t.value()));
    if (!OwnershipTags.owned(tags, settings.cluster())) {
      LOG.warn("refusing to terminate {}: its {} tag is {}, not {}", instanceId, WellKnownLabels.CLUSTER,
          tags.get(WellKnownLabels.CLUSTER), settings.cluster());
      return Termination.REFUSED_NOT_OWNED;
    }
    ec2.terminateInstances(r -> r.instanceIds(instanceId));
    return Termination.TERMINATED;
  }

  @Override
  public List<CloudInstance> ownedInstances() {
    return owned(List.of());
  }

  @Override
  public java.util.Optional<CloudInstance> ownedInstance(String instanceId) {
    return owned(List.of(Filter.builder().name("instance-id").values(instanceId).build())).stream().findFirst();
  }

  private List<CloudInstance> owned(List<Filter> more) {
    List<Filter> filters = new java.util.ArrayList<>(List.of(
        Filter.builder().name("tag:" + WellKnownLabels.CLUSTER).values(settings.cluster()).build(),
        Filter.builder().name("instance-state-name").values("pending", "running", "stopping", "stopped").build()));
    filters.addAll(more);
    return ec2.describeInstancesPaginator(r -> r.filters(filters))
        .reservations().stream().flatMap(res -> res.instances().stream())
        .map(i -> {
          Map<String, String> tags = new HashMap<>();
          i.tags().forEach(t -> tags.put(t.key(), t.value()));
          return new CloudInstance(i.instanceId(), i.instanceTypeAsString(), i.placement().availabilityZone(),
              i.state().nameAsString(), i.launchTime(), tags, i.subnetId(),
              i.securityGroups().stream().map(g -> g.groupId()).toList());
        })
        .toList();
  }

  private static Tag tag(String key, String value) {
    return Tag.builder().key(key).value(value).build();
  }
}
