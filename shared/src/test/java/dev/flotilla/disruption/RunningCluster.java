package dev.flotilla.disruption;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.NodeCapacity;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.catalog.StaticOfferingSource;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.cloud.InMemoryCloud;
import dev.flotilla.cloud.LaunchRequest;
import dev.flotilla.cloud.LaunchResult;
import dev.flotilla.commands.Command;
import dev.flotilla.commands.InMemoryCommandQueue;
import dev.flotilla.contracts.NodeEvent;
import dev.flotilla.lifecycle.Lifecycle;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.PodAffinityTerm;
import dev.flotilla.model.Resources;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.provisioning.Provisioner;
import dev.flotilla.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A cluster whose nodes Flotilla launched, over the in-memory adapters: claims in the store, instances in the
 * in-memory EC2, and each node's state mirrored as the forwarder writes it.
 */
public final class RunningCluster {

  public static final String CLUSTER = "shop-prod";

  public final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
  public final InMemoryClaimStore store = new InMemoryClaimStore(clock);
  private static final OfferingCatalog CATALOG = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.ratio(0.35));
  public final OfferingCatalog catalog = CATALOG;
  public final InMemoryCloud cloud = new InMemoryCloud(CLUSTER, catalog, store, clock);
  public final InMemoryCommandQueue commands = new InMemoryCommandQueue(clock, Duration.ofMinutes(6));
  public final StaticOfferingSource offerings = new StaticOfferingSource(catalog, store);
  public final List<NodePool> pools = new ArrayList<>(List.of(NodePool.defaultPool()));
  public final Provisioner provisioner = new Provisioner(store, cloud, offerings, () -> pools, List::of, clock);
  /** The lifecycle's nominations go to a queue of their own, so that tests read the disruption commands alone. */
  public final InMemoryCommandQueue nominations = new InMemoryCommandQueue(clock, Duration.ofMinutes(6));
  public final Lifecycle lifecycle = new Lifecycle(store, cloud, nominations, clock, Lifecycle.LAUNCH_TIMEOUT);

  /**
   * The default pool, consolidating as soon as a node's claim settles ({@code consolidateAfter: 0s}) and up to
   * {@code nodes} nodes at once.
   */
  public void consolidateAtOnce(int nodes) {
    NodePool pool = NodePool.defaultPool();
    pools.set(0, new NodePool(pool.name(), pool.requirements(), pool.labels(), pool.taints(), pool.startupTaints(),
        pool.limits(), pool.weight(), new NodePool.Disruption(NodePool.ConsolidationPolicy.WhenEmptyOrUnderutilized,
            Duration.ZERO, List.of(new NodePool.Budget(nodes, false, List.of())), false), pool.lifetime(),
        pool.replicas()));
  }

  /** A pod of a ReplicaSet. */
  public static PendingPod pod(String name, long cpuMillis, long memoryMiB) {
    return PendingPod.builder("shop/" + name).ownerKind("ReplicaSet").requests(Resources.of(cpuMillis,
        memoryMiB * NodeCapacity.MIB)).build();
  }

  /** A pod of a sharded store: one to a node (hostname anti-affinity to its own kind). */
  public static PendingPod shard(int i, long cpuMillis, long memoryMiB) {
    LabelSelector shards = LabelSelector.of(Map.of("app", "shard"));
    return pod("shard-" + i, cpuMillis, memoryMiB).toBuilder().labels(Map.of("app", "shard"))
        .antiAffinity(List.of(new PodAffinityTerm(WellKnownLabels.HOSTNAME, shards, List.of()))).build();
  }

  /** Launches a node for these pods (reserving them), brings it to Ready, and mirrors its state. */
  public Claim node(String node, String instanceType, CapacityType capacityType, String pool,
      List<NodeState.NodePod> pods) {
    return node(node, instanceType, capacityType, pool, "us-east-1a", pods);
  }

  /** As {@link #node(String, String, CapacityType, String, List)}, in {@code zone}. */
  public Claim node(String node, String instanceType, CapacityType capacityType, String pool, String zone,
      List<NodeState.NodePod> pods) {
    Claim launched = launched("claim-" + node, instanceType, capacityType, pool, zone, pods);
    Claim ready = lifecycle.ready(new NodeEvent(CLUSTER, node, launched.instanceId())).orElseThrow();
    mirror(node, ready, pods, false);
    return ready;
  }

  /** Launches a claim {@code id} for these pods (reserving them) in the in-memory EC2; its node has not registered. */
  public Claim launched(String id, String instanceType, CapacityType capacityType, String pool, String zone,
      List<NodeState.NodePod> pods) {
    Resources load = pods.stream().map(p -> p.pod().requests()).reduce(Resources.NONE, Resources::plus);
    Claim claim = ((ClaimStore.Created) store.create(Claim.launching(id, pool, List.of(instanceType), List.of(zone),
        capacityType, pods.stream().map(p -> p.pod().name()).toList(), load,
        catalog.price(instanceType, zone, capacityType), clock.instant()))).claim();
    var launched = (LaunchResult.Launched) cloud.launch(List.of(new LaunchRequest(id, pool, List.of(instanceType),
        List.of(zone), capacityType))).getFirst();
    return store.transition(claim, claim.launched(launched.instanceId(), launched.instanceType(), launched.zone(),
        launched.capacityType(), launched.pricePerHour(), clock.instant()));
  }

  public Claim node(String node, String instanceType, List<NodeState.NodePod> pods) {
    return node(node, instanceType, CapacityType.ON_DEMAND, "default", pods);
  }

  /** The claim's node joins and becomes Ready, empty, and the forwarder mirrors it. */
  public Claim ready(String node, Claim claim) {
    Claim ready = lifecycle.ready(new NodeEvent(CLUSTER, node, claim.instanceId())).orElseThrow();
    mirror(node, ready, List.of(), false);
    return ready;
  }

  /**
   * A node just Ready, the pods planned for it reserved by its claim and not bound yet (the mirror shows none),
   * carrying {@code taints}.
   */
  public Claim readyWithPlanned(String node, String instanceType, List<NodeState.NodePod> planned,
      List<dev.flotilla.model.Taint> taints) {
    Claim ready = node(node, instanceType, planned);
    ready = store.transition(ready, ready.withKinds(dev.flotilla.claims.PodKind.of(
        planned.stream().map(NodeState.NodePod::pod).toList())));
    mirror(node, ready, List.of(), false, taints);
    return ready;
  }

  /** A pod that takes all of a node of this type but half a CPU and 512 MiB: no other pod of a test fits beside it. */
  public PendingPod filling(String name, String instanceType) {
    Resources room = NodeCapacity.allocatable(catalog.type(instanceType));
    return pod(name, room.get(Resources.CPU) - 500, room.get(Resources.MEMORY) / NodeCapacity.MIB - 512);
  }

  /** The node of the claim that reserved {@code pod} joins, Ready, and runs it. */
  public void joinRunning(String node, PendingPod pod) {
    Claim claim = store.claims().stream().filter(c -> c.pods().contains(pod.name())).findFirst().orElseThrow();
    mirror(node, ready(node, claim), List.of(running(pod)), false);
  }

  /** Writes the node's state document as the forwarder's mirror does. */
  public void mirror(String node, Claim claim, List<NodeState.NodePod> pods, boolean doNotDisrupt) {
    mirror(node, claim, pods, doNotDisrupt, List.of());
  }

  /** As {@link #mirror(String, Claim, List, boolean)}, the node carrying these taints. */
  public void mirror(String node, Claim claim, List<NodeState.NodePod> pods, boolean doNotDisrupt,
      List<dev.flotilla.model.Taint> taints) {
    // the labels a node of its type carries (arch among them, which a pinned pod's move is checked against), as the
    // forwarder mirrors them
    Map<String, String> labels = new java.util.HashMap<>(dev.flotilla.catalog.NodeLabels.of(
        catalog.type(claim.instanceType())));
    labels.putAll(Map.of(WellKnownLabels.ZONE, claim.zone(), WellKnownLabels.NODEPOOL, claim.nodePool(),
        WellKnownLabels.CLUSTER, CLUSTER));
    store.putNodeState(node, new NodeState(node, claim.instanceId(), labels, doNotDisrupt,
        NodeCapacity.allocatable(catalog.type(claim.instanceType())), taints, pods).toJson());
  }

  /** The commands sent since the last call, oldest first, taken off the queue as the forwarder would. */
  public List<Command> sent() {
    List<Command> result = new ArrayList<>();
    commands.receive(100, Duration.ZERO).forEach(r -> {
      result.add(Command.parse(r.body()));
      commands.delete(r.receipt());
    });
    return result;
  }

  /** What a consolidation pass reads of this cluster now: its mirrored nodes, claims, pools and catalog. */
  public Consolidator.View view() {
    return new Consolidator.View(store.nodeStates().values().stream().map(NodeState::parse).toList(), store.claims(),
        pools, catalog, clock.instant());
  }

  public static NodeState.NodePod running(PendingPod pod) {
    return new NodeState.NodePod(pod, -1);
  }
}
