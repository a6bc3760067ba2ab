package dev.flotilla.claims;

import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A node Flotilla decided to launch, as the claim store keeps it: what it is for (pods, NodePool, allowed instance
 * types and zones) and what it became (instance, type, zone, price). Every change goes through a conditional write
 * on {@code state} and {@code version}, so two functions never both move the same claim.
 *
 * @param instanceTypes ranked cheapest first, as CreateFleet gets them
 * @param pods          the keys (uid, or namespace/name) of the pods it reserves
 * @param load          what those pods request together: the room the node has left is its allocatable less this
 * @param replaces      the claims whose nodes this one replaces (a consolidation, drift, a rebalance): they are
 *                      drained once this claim's node is ready
 * @param kinds         the facts of the pods it reserves, kind by kind: what per-node rules (hostname
 *                      anti-affinity and spread, host ports) count on its node while it is in flight
 * @param annotations   what its node's lifetime is judged by: the NodePool template hash and node image it was
 *                      launched with, when its drain must end (see {@link Annotations})
 */
public record Claim(
    String id,
    String nodePool,
    ClaimState state,
    long version,
    List<String> instanceTypes,
    List<String> zones,
    CapacityType capacityType,
    List<String> pods,
    String instanceId,
    String instanceType,
    String zone,
    double pricePerHour,
    String nodeName,
    Resources load,
    Instant createdAt,
    Instant updatedAt,
    List<String> replaces,
    List<PodKind> kinds,
    Map<String, String> annotations) {

  public Claim {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("claim: id is required");
    }
    instanceTypes = instanceTypes == null ? List.of() : List.copyOf(instanceTypes);
    zones = zones == null ? List.of() : List.copyOf(zones);
    pods = pods == null ? List.of() : List.copyOf(pods);
    load = load == null ? Resources.NONE : load;
    replaces = replaces == null ? List.of() : List.copyOf(replaces);
    kinds = kinds == null ? List.of() : List.copyOf(kinds);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
  }

  /** A new claim, before any instance exists. */
  public static Claim launching(String id, String nodePool, List<String> instanceTypes, List<String> zones,
      CapacityType capacityType, List<String> pods, Resources load, double estimatedPrice, Instant now) {
    return new Claim(id, nodePool, ClaimState.Launching, 1, instanceTypes, zones, capacityType, pods, null, null,
        null, estimatedPrice, null, load, now, now, List.of(), List.of(), Map.of());
  }

  /** The claim once its instance exists. */
  public Claim launched(String instanceId, String instanceType, String zone, CapacityType boughtAs, double price,
      Instant now) {
    return new Claim(id, nodePool, ClaimState.Launched, version, instanceTypes, zones, boughtAs, pods, instanceId,
        instanceType, zone, price, nodeName, load, createdAt, now, replaces, kinds, annotations);
  }

  /**
   * The claim once it records an instance launched for it whose answer never reached the claim: the invocation died
   * after CreateFleet, or the answer was lost. What the instance says of its launch (template hash tag, subnet,
   * security groups) fills in what the claim lacks, since drift judges the node by it.
   */
  public Claim recording(dev.flotilla.cloud.CloudInstance instance, Instant now) {
    return launched(instance.id(), instance.instanceType(), instance.zone(), capacityType, pricePerHour, now)
        .annotatedWhereAbsent(instance.launchedWith());
  }

  public Claim moved(ClaimState to, Instant now) {
    return new Claim(id, nodePool, to, version, instanceTypes, zones, capacityType, pods, instanceId, instanceType,
        zone, pricePerHour, nodeName, load, createdAt, now, replaces, kinds, annotations);
  }

  /**
   * What a store keeps of this claim once it is Terminated, until it expires: who it was (NodePool, instance, type,
   * zone, price, node, what it replaced, its annotations and times) without what it was for (the pods it reserved,
   * their kinds and load, the types it offered). Its reservations go with it, and nothing reads those fields of a
   * closed claim; yet every read of the claims brings back the Terminated ones too, a day of churn of them (thousands
   * in a cluster of a thousand nodes), and kept whole they would make most of each read.
   */
  public Claim closedRecord() {
    return new Claim(id, nodePool, state, version, instanceType == null ? List.of() : List.of(instanceType), zones,
        capacityType, List.of(), instanceId, instanceType, zone, pricePerHour, nodeName, Resources.NONE, createdAt,
        updatedAt, replaces, List.of(), annotations);
  }

  public Claim withNode(String node) {
    return new Claim(id, nodePool, state, version, instanceTypes, zones, capacityType, pods, instanceId,
        instanceType, zone, pricePerHour, node, load, createdAt, updatedAt, replaces, kinds, annotations);
  }

  /** The claim with more pods in its node's spare room. */
  public Claim withMorePods(List<String> more, Resources moreLoad, Instant now) {
    List<String> all = new java.util.ArrayList<>(pods);
    all.addAll(more);
    return new Claim(id, nodePool, state, version, instanceTypes, zones, capacityType, all, instanceId,
        instanceType, zone, pricePerHour, nodeName, load.plus(moreLoad), createdAt, now, replaces, kinds,
        annotations);
  }

  /**
   * The kinds of the pods it reserves less those the node mirror shows running already ({@code running}, by name):
   * the pods still on their way to its node. A claim still Registered whose node runs pods is one whose Ready event
   * was lost; counting its reservations on top of its running pods would make its zone look fuller than it is, and
   * a plan would then avoid the very zone a spread's minimum is in.
   */
  public List<PodKind> kindsStillToLand(Map<String, PendingPod> running) {
    List<PendingPod> landed = pods.stream().map(running::get).filter(java.util.Objects::nonNull).toList();
    if (landed.isEmpty()) {
      return kinds;
    }
    List<PodKind> left = new java.util.ArrayList<>();
    List<PendingPod> unmatched = new java.util.ArrayList<>(landed);
    for (PodKind kind : kinds) {
      int count = kind.count();
      // a spread's selector reads a pod's namespace and labels: a landed pod with the kind's is one of its pods
      for (var it = unmatched.iterator(); it.hasNext() && count > 0; ) {
        PendingPod pod = it.next();
        if (pod.namespace().equals(kind.pod().namespace()) && pod.labels().equals(kind.pod().labels())) {
          it.remove();
          count--;
        }
      }
      if (count > 0) {
        left.add(new PodKind(kind.pod(), count));
      }
    }
    return left;
  }

  /** The claim with these pod facts (the kinds of the pods it reserves, or will once extended). */
  public Claim withKinds(List<PodKind> podKinds) {
    return new Claim(id, nodePool, state, version, instanceTypes, zones, capacityType, pods, instanceId,
        instanceType, zone, pricePerHour, nodeName, load, createdAt, updatedAt, replaces, podKinds, annotations);
  }

  /** The claim as the replacement of these claims' nodes. */
  public Claim replacing(List<String> claimIds) {
    return new Claim(id, nodePool, state, version, instanceTypes, zones, capacityType, pods, instanceId,
        instanceType, zone, pricePerHour, nodeName, load, createdAt, updatedAt, claimIds, kinds, annotations);
  }

  /** The same claim at another version: stores set it, callers never do. */
  public Claim withVersion(long v) {
    return new Claim(id, nodePool, state, v, instanceTypes, zones, capacityType, pods, instanceId, instanceType,
        zone, pricePerHour, nodeName, load, createdAt, updatedAt, replaces, kinds, annotations);
  }

  /** The claim with these annotations added (or replaced). */
  public Claim annotated(Map<String, String> more) {
    Map<String, String> all = new java.util.LinkedHashMap<>(annotations);
    all.putAll(more);
    return new Claim(id, nodePool, state, version, instanceTypes, zones, capacityType, pods, instanceId,
        instanceType, zone, pricePerHour, nodeName, load, createdAt, updatedAt, replaces, kinds, all);
  }

  /** The claim noting of {@code more} what it does not note already: what it noted at launch stands. */
  public Claim annotatedWhereAbsent(Map<String, String> more) {
    Map<String, String> missing = new java.util.LinkedHashMap<>(more);
    missing.keySet().removeAll(annotations.keySet());
    return missing.isEmpty() ? this : annotated(missing);
  }

  /** The keys of a claim's annotations, in the NodeClaim's spelling where Karpenter has one. */
  public static final class Annotations {
    /** The NodePool's {@link dev.flotilla.nodepool.NodePool#templateHash} when the claim was launched. */
    public static final String NODEPOOL_HASH = "flotilla.dev/nodepool-hash";
    /** The subnet the instance was launched into, where it is known. */
    public static final String SUBNET = "flotilla.dev/subnet";
    /** The security groups the instance was launched with, sorted and comma-separated, where known. */
    public static final String SECURITY_GROUPS = "flotilla.dev/security-groups";

    /**
     * What a claim notes of the network its instance was launched into (subnet, security groups), leaving out what
     * is not known: from CreateFleet's answer at launch, or from the instance's description when adopting it.
     */
    public static Map<String, String> network(String subnet, java.util.Collection<String> securityGroups) {
      Map<String, String> notes = new java.util.LinkedHashMap<>();
      if (subnet != null) {
        notes.put(SUBNET, subnet);
      }
      if (!securityGroups.isEmpty()) {
        notes.put(SECURITY_GROUPS, dev.flotilla.cloud.NodeNetwork.join(securityGroups));
      }
      return notes;
    }
    /** The node image the instance was launched with, where it is known. */
    public static final String IMAGE = "flotilla.dev/image";
    /** When the node's drain must be over (its pool's terminationGracePeriod from the drain's start). */
    public static final String TERMINATION_DEADLINE = "flotilla.dev/termination-deadline";
    /** Why the node is being disrupted: Empty, Underutilized, Drifted, Expired, Unhealthy. */
    public static final String DISRUPTION_REASON = "flotilla.dev/disruption-reason";
    /**
     * On a replacement, why the nodes it replaces go (Underutilized for a consolidation, Drifted for drift); a
     * replacement without it was launched ahead of a rebalance recommendation.
     */
    public static final String REPLACING_FOR = "flotilla.dev/replacing-for";

    private Annotations() {}
  }
}
