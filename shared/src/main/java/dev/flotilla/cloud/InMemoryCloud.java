package dev.flotilla.cloud;

import dev.flotilla.catalog.Offering;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.claims.ClaimStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * EC2 in memory: launches take the cheapest offering among a request's types and zones that has capacity, as
 * CreateFleet's lowest-price strategy does; capacity can be taken away per offering. The simulator builds its EC2 on
 * it, and it passes the same contract tests as the CreateFleet adapter.
 */
public final class InMemoryCloud implements CloudProvider {

  private final String cluster;
  private final OfferingCatalog catalog;
  private final ClaimStore store;
  private final Clock clock;
  private final Map<String, CloudInstance> instances = new LinkedHashMap<>();
  /** Which instance each claim's request launched: what a repeated request with its client token gets back. */
  private final Map<String, String> launchedFor = new java.util.HashMap<>();
  private final Set<Offering.Key> exhausted = new HashSet<>();
  private long sequence = 0x1000;
  private int fleetRequests;

  public InMemoryCloud(String cluster, OfferingCatalog catalog, ClaimStore store, Clock clock) {
    this.cluster = cluster;
    this.catalog = catalog;
    this.store = store;
    this.clock = clock;
  }

  /** Takes away an offering's capacity until {@link #restore}. */
  public synchronized void exhaust(Offering.Key offering) {
    exhausted.add(offering);
  }

  public synchronized void restore(Offering.Key offering) {
    exhausted.remove(offering);
  }

  /** Starts an instance Flotilla does not own, as another team's would be. */
  public synchronized String startForeign(String instanceType, String zone, Map<String, String> tags) {
    String id = nextId();
    instances.put(id, new CloudInstance(id, instanceType, zone, "running", clock.instant(), tags));
    return id;
  }

  @Override
  public synchronized List<LaunchResult> launch(List<LaunchRequest> requests) {
    Map<LaunchRequest.Shape, List<LaunchRequest>> groups = new LinkedHashMap<>();
    requests.forEach(r -> groups.computeIfAbsent(r.shape(), k -> new ArrayList<>()).add(r));
    Map<String, LaunchResult> results = new LinkedHashMap<>();
    for (Map.Entry<LaunchRequest.Shape, List<LaunchRequest>> group : groups.entrySet()) {
      fleetRequests++;
      LaunchRequest.Shape shape = group.getKey();
      for (LaunchRequest request : group.getValue()) {
        CloudInstance earlier = instances.get(launchedFor.get(request.claimId()));
        if (earlier != null && !earlier.state().equals("terminated")) {
          // the same claim asked again (a resumed launch): CreateFleet's client token, derived from the claim,
          // answers with the instance the first request launched
          results.put(request.claimId(), new LaunchResult.Launched(request.claimId(), earlier.id(),
              earlier.instanceType(), earlier.zone(), shape.capacityType(), price(earlier, shape.capacityType())));
          continue;
        }
        Offering best = cheapest(shape);
        if (best == null) {
          for (String type : shape.instanceTypes()) {
            for (String zone : shape.zones()) {
              Offering.Key key = new Offering.Key(type, zone, shape.capacityType());
              if (exhausted.contains(key)) {
                store.markUnavailable(key, "InsufficientInstanceCapacity", UNAVAILABLE_FOR);
              }
            }
          }
          results.put(request.claimId(), new LaunchResult.Failed(request.claimId(), "InsufficientInstanceCapacity"));
          continue;
        }
        String id = nextId();
        Map<String, String> tags = OwnershipTags.forClaims(cluster, shape.nodePool(), List.of(request.claimId()),
            shape.nodePoolHash());
        instances.put(id, new CloudInstance(id, best.type().name(), best.zone(), "running", clock.instant(), tags));
        launchedFor.put(request.claimId(), id);
        results.put(request.claimId(), new LaunchResult.Launched(request.claimId(), id, best.type().name(),
            best.zone(), shape.capacityType(), best.pricePerHour()));
      }
    }
    return requests.stream().map(r -> results.get(r.claimId())).toList();
  }

  private double price(CloudInstance instance, dev.flotilla.model.CapacityType capacityType) {
    var type = catalog.type(instance.instanceType());
    return type == null ? 0 : catalog.offerings(type).stream().filter(o -> o.zone().equals(instance.zone())
        && o.capacityType() == capacityType).mapToDouble(Offering::pricePerHour).findFirst().orElse(0);
  }

  private Offering cheapest(LaunchRequest.Shape shape) {
    Offering best = null;
    for (String typeName : shape.instanceTypes()) {
      var type = catalog.type(typeName);
      if (type == null) {
        continue;
      }
      for (Offering o : catalog.offerings(type)) {
        if (o.capacityType() == shape.capacityType() && shape.zones().contains(o.zone())
            && !exhausted.contains(o.key()) && (best == null || o.pricePerHour() < best.pricePerHour())) {
          best = o;
        }
      }
    }
    return best;
  }

  @Override
  public synchronized Termination terminate(String instanceId) {
    CloudInstance instance = instances.get(instanceId);
    if (instance == null || instance.state().equals("terminated")) {
      return Termination.ALREADY_GONE;
    }
    if (!OwnershipTags.owned(instance.tags(), cluster)) {
      return Termination.REFUSED_NOT_OWNED;
    }
    instances.put(instanceId, new CloudInstance(instance.id(), instance.instanceType(), instance.zone(), "terminated",
        instance.launchTime(), instance.tags()));
    return Termination.TERMINATED;
  }

  @Override
  public synchronized List<CloudInstance> ownedInstances() {
    return instances.values().stream()
        .filter(i -> !i.state().equals("terminated") && OwnershipTags.owned(i.tags(), cluster)).toList();
  }

  public synchronized CloudInstance instance(String id) {
    return instances.get(id);
  }

  public synchronized int fleetRequests() {
    return fleetRequests;
  }

  private String nextId() {
    return String.format("i-%017x", sequence++);
  }
}
