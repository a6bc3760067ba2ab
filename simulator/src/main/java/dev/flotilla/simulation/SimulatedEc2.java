package dev.flotilla.simulation;

import dev.flotilla.catalog.InstanceType;
import dev.flotilla.catalog.Offering;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.cloud.CloudInstance;
import dev.flotilla.cloud.CloudProvider;
import dev.flotilla.cloud.InMemoryCloud;
import dev.flotilla.cloud.LaunchRequest;
import dev.flotilla.cloud.LaunchResult;
import dev.flotilla.model.CapacityType;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * EC2 as the simulation sees it: the in-memory cloud (CreateFleet picks the cheapest offering with capacity), plus
 * what a run measures: every instance's price and life for the bill, and instances launched for a claim that
 * already had one. Launched instances are announced to the world, which boots them.
 */
final class SimulatedEc2 implements CloudProvider {

  /** An instance's bill: bought at {@code price} from {@code launched} until {@code ended} (null while running). */
  record Bill(String instanceId, String claimId, String instanceType, CapacityType capacityType, double price,
      Instant launched, Instant ended) {}

  private final InMemoryCloud cloud;
  private final OfferingCatalog catalog;
  private final Clock clock;
  private final Map<String, Bill> bills = new LinkedHashMap<>();
  private final Map<String, Integer> launchesByClaim = new HashMap<>();
  private final Consumer<LaunchResult.Launched> onLaunch;
  private final Consumer<String> onTerminate;
  private int doubleLaunches;

  SimulatedEc2(String cluster, OfferingCatalog catalog, ClaimStore store, Clock clock,
      Consumer<LaunchResult.Launched> onLaunch, Consumer<String> onTerminate) {
    this.cloud = new InMemoryCloud(cluster, catalog, store, clock);
    this.catalog = catalog;
    this.clock = clock;
    this.onLaunch = onLaunch;
    this.onTerminate = onTerminate;
  }

  @Override
  public List<LaunchResult> launch(List<LaunchRequest> requests) {
    List<LaunchResult> results = cloud.launch(requests);
    for (LaunchResult r : results) {
      if (r instanceof LaunchResult.Launched l && !bills.containsKey(l.instanceId())) {
        // (an instance already billed is a repeated request's answer: nothing new was launched)
        if (launchesByClaim.merge(l.claimId(), 1, Integer::sum) > 1) {
          doubleLaunches++;
        }
        bills.put(l.instanceId(), new Bill(l.instanceId(), l.claimId(), l.instanceType(), l.capacityType(),
            l.pricePerHour(), clock.instant(), null));
        onLaunch.accept(l);
      }
    }
    return results;
  }

  @Override
  public Termination terminate(String instanceId) {
    Termination t = cloud.terminate(instanceId);
    if (t == Termination.TERMINATED) {
      end(instanceId);
    }
    return t;
  }

  /** EC2 itself takes the instance away (a spot reclaim). */
  void reclaim(String instanceId) {
    CloudInstance i = cloud.instance(instanceId);
    if (i != null && !i.state().equals("terminated")) {
      cloud.terminate(instanceId);
      end(instanceId);
    }
  }

  private void end(String instanceId) {
    Bill b = bills.get(instanceId);
    if (b != null && b.ended() == null) {
      bills.put(instanceId, new Bill(b.instanceId(), b.claimId(), b.instanceType(), b.capacityType(), b.price(),
          b.launched(), clock.instant()));
    }
    onTerminate.accept(instanceId);
  }

  @Override
  public List<CloudInstance> ownedInstances() {
    return cloud.ownedInstances();
  }

  /** Starts an instance of another team's, cheapest type in the first zone: Flotilla must never touch it. */
  String startForeign(Map<String, String> tags) {
    return cloud.startForeign("m5.large", "us-east-1a", tags);
  }

  /** Whether a request for this claim launched an instance already (a repeated request gets it back). */
  boolean launchedFor(String claimId) {
    return launchesByClaim.containsKey(claimId);
  }

  /** The claims an instance's tags say it may serve. */
  List<String> claimsOf(String instanceId) {
    CloudInstance i = cloud.instance(instanceId);
    return i == null ? List.of() : dev.flotilla.cloud.OwnershipTags.claims(i.tags());
  }

  /** Whether any instance, Flotilla's or not, is still there. */
  boolean exists(String instanceId) {
    CloudInstance i = cloud.instance(instanceId);
    return i != null && !i.state().equals("terminated");
  }

  /** Takes away (or gives back) the capacity of a family or a type, in a zone or in all. */
  void capacity(String family, String type, String zone, boolean available) {
    for (InstanceType t : catalog.types()) {
      if ((type != null && !t.name().equals(type)) || (family != null && !t.family().equals(family))) {
        continue;
      }
      for (Offering o : catalog.offerings(t)) {
        if (zone == null || o.zone().equals(zone)) {
          if (available) {
            cloud.restore(o.key());
          } else {
            cloud.exhaust(o.key());
          }
        }
      }
    }
  }

  /** Whether the instance still runs: a map lookup, since every boot asks. */
  boolean running(String instanceId) {
    Bill b = bills.get(instanceId);
    return b != null && b.ended() == null;
  }

  List<Bill> running() {
    return bills.values().stream().filter(b -> b.ended() == null).toList();
  }

  double pricePerHour() {
    return running().stream().mapToDouble(Bill::price).sum();
  }

  /** What the run cost up to now, USD. */
  double costUsd() {
    Instant now = clock.instant();
    double usd = 0;
    for (Bill b : bills.values()) {
      Instant end = b.ended() == null ? now : b.ended();
      usd += b.price() * (end.toEpochMilli() - b.launched().toEpochMilli()) / 3_600_000.0;
    }
    return usd;
  }

  List<Bill> bills() {
    return new ArrayList<>(bills.values());
  }

  int doubleLaunches() {
    return doubleLaunches;
  }
}
