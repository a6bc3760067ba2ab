package dev.flotilla.model;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the scheduler needs to know of a pod that waits for a node: its requests (already computed as Kubernetes
 * does, pod slot included) and every constraint on where it may run. Plain values only, so the scheduler never sees
 * an API client type.
 *
 * @param name          {@code namespace/name}
 * @param requiredTerms required node affinity: a list of terms, any one of which must hold (each a list of
 *                      requirements that must all hold); empty means no constraint
 * @param preferredTerms preferred node affinity, tried heaviest first and dropped when they cannot be met
 * @param hostPorts     {@code protocol/port} pairs the pod binds on its node
 * @param volumeZones   zones its persistent volumes live in; empty means any
 * @param ownerKind     the controller's kind (ReplicaSet, StatefulSet, Job, ...), empty for a bare pod
 */
public record PendingPod(
    String name,
    String namespace,
    Map<String, String> labels,
    Resources requests,
    Map<String, String> nodeSelector,
    List<List<Requirement>> requiredTerms,
    List<PreferredTerm> preferredTerms,
    List<Toleration> tolerations,
    List<TopologySpread> spreads,
    List<PodAffinityTerm> affinity,
    List<PodAffinityTerm> antiAffinity,
    Set<String> hostPorts,
    Set<String> volumeZones,
    String ownerKind,
    boolean doNotDisrupt) {

  /** A preferred node affinity term. */
  public record PreferredTerm(int weight, List<Requirement> requirements) {
    public PreferredTerm {
      requirements = List.copyOf(requirements);
    }
  }

  public PendingPod {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("pod: name is required");
    }
    namespace = namespace == null || namespace.isBlank() ? "default" : namespace;
    labels = sorted(labels);
    requests = requests == null ? Resources.NONE : requests;
    if (requests.get(Resources.PODS) == 0) {
      requests = requests.with(Resources.PODS, 1);
    }
    nodeSelector = sorted(nodeSelector);
    requiredTerms = requiredTerms == null ? List.of() : requiredTerms.stream().map(List::copyOf).toList();
    preferredTerms = preferredTerms == null ? List.of() : List.copyOf(preferredTerms);
    tolerations = tolerations == null ? List.of() : List.copyOf(tolerations);
    spreads = spreads == null ? List.of() : List.copyOf(spreads);
    affinity = affinity == null ? List.of() : List.copyOf(affinity);
    antiAffinity = antiAffinity == null ? List.of() : List.copyOf(antiAffinity);
    // most pods have neither: the one empty set, not one of their own, which every load of a cluster would read
    hostPorts = hostPorts == null || hostPorts.isEmpty() ? Set.of()
        : Collections.unmodifiableSortedSet(new TreeSet<>(hostPorts));
    volumeZones = volumeZones == null || volumeZones.isEmpty() ? Set.of()
        : Collections.unmodifiableSortedSet(new TreeSet<>(volumeZones));
    ownerKind = ownerKind == null ? "" : ownerKind;
  }

  /** A pod with only requests: handy for tests and synthetic workloads. */
  public static PendingPod simple(String name, Resources requests) {
    return builder(name).requests(requests).build();
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * The pod under the one name every kind carries: two pods have equal kinds when they are equal but for their names,
   * and so schedule alike. What pods are grouped by.
   */
  public PendingPod kind() {
    return withName(KIND);
  }

  private static final String KIND = "kind";

  /** A workload's pods, told apart from others' by their namespace and labels. */
  public record Workload(String namespace, Map<String, String> labels) {}

  /**
   * The workload it belongs to: its controller makes it again under a new name with the same namespace and labels,
   * and a disruption budget's selector picks all of them or none.
   */
  public Workload workload() {
    return new Workload(namespace, labels);
  }

  /** Whether one of its topology spreads is DoNotSchedule: a rule the cluster's scheduler refuses it by. */
  public boolean hasHardSpread() {
    return spreads.stream().anyMatch(TopologySpread::required);
  }

  /** The same pod under another name; pods equal but for their names schedule alike. */
  public PendingPod withName(String newName) {
    return new PendingPod(newName, namespace, labels, requests, nodeSelector, requiredTerms, preferredTerms,
        tolerations, spreads, affinity, antiAffinity, hostPorts, volumeZones, ownerKind, doNotDisrupt);
  }

  /**
   * Keys in order, so that printing and JSON are stable, but looked up by hash: label selectors and node selectors
   * read a pod's labels millions of times a simulated hour, and a tree's string comparisons cost most of that.
   */
  private static Map<String, String> sorted(Map<String, String> m) {
    return SortedLabels.of(m);
  }

  /** Builds pods field by field. */
  public static final class Builder {
    private String name;
    private String namespace;
    private Map<String, String> labels = Map.of();
    private Resources requests = Resources.NONE;
    private Map<String, String> nodeSelector = Map.of();
    private List<List<Requirement>> requiredTerms = List.of();
    private List<PreferredTerm> preferredTerms = List.of();
    private List<Toleration> tolerations = List.of();
    private List<TopologySpread> spreads = List.of();
    private List<PodAffinityTerm> affinity = List.of();
    private List<PodAffinityTerm> antiAffinity = List.of();
    private Set<String> hostPorts = Set.of();
    private Set<String> volumeZones = Set.of();
    private String ownerKind = "";
    private boolean doNotDisrupt;

    private Builder(String name) {
      this.name = name;
      int slash = name.indexOf('/');
      this.namespace = slash > 0 ? name.substring(0, slash) : "default";
    }

    private Builder(PendingPod p) {
      name = p.name; namespace = p.namespace; labels = p.labels; requests = p.requests;
      nodeSelector = p.nodeSelector; requiredTerms = p.requiredTerms; preferredTerms = p.preferredTerms;
      tolerations = p.tolerations; spreads = p.spreads; affinity = p.affinity; antiAffinity = p.antiAffinity;
      hostPorts = p.hostPorts; volumeZones = p.volumeZones; ownerKind = p.ownerKind; doNotDisrupt = p.doNotDisrupt;
    }

    public Builder name(String v) { name = v; return this; }
    public Builder namespace(String v) { namespace = v; return this; }
    public Builder labels(Map<String, String> v) { labels = v; return this; }
    public Builder requests(Resources v) { requests = v; return this; }
    public Builder nodeSelector(Map<String, String> v) { nodeSelector = v; return this; }
    public Builder requiredTerms(List<List<Requirement>> v) { requiredTerms = v; return this; }
    public Builder require(Requirement... v) { requiredTerms = List.of(List.of(v)); return this; }
    public Builder preferredTerms(List<PreferredTerm> v) { preferredTerms = v; return this; }
    public Builder tolerations(List<Toleration> v) { tolerations = v; return this; }
    public Builder spreads(List<TopologySpread> v) { spreads = v; return this; }
    public Builder affinity(List<PodAffinityTerm> v) { affinity = v; return this; }
    public Builder antiAffinity(List<PodAffinityTerm> v) { antiAffinity = v; return this; }
    public Builder hostPorts(Set<String> v) { hostPorts = v; return this; }
    public Builder volumeZones(Set<String> v) { volumeZones = v; return this; }
    public Builder ownerKind(String v) { ownerKind = v; return this; }
    public Builder doNotDisrupt(boolean v) { doNotDisrupt = v; return this; }

    public PendingPod build() {
      return new PendingPod(name, namespace, labels, requests, nodeSelector, requiredTerms, preferredTerms,
          tolerations, spreads, affinity, antiAffinity, hostPorts, volumeZones, ownerKind, doNotDisrupt);
    }
  }
}
