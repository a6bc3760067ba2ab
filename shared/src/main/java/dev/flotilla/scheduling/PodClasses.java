package dev.flotilla.scheduling;

import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.Taint;
import dev.flotilla.model.Toleration;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pods alike but for their names form a class; each class learns the shapes it may use (selectors, required then
 * preferred affinity, taints, zones, capacity type, and fitting its requests), or why none. Changes when what
 * decides a pod's compatibility with a node changes.
 */
final class PodClasses {
  private final SchedulingInput input;
  private final List<NodePool> pools;
  private final List<String> zones;
  private final List<NodeShape> shapes;
  private final Dims dims;
  private final List<PodClass> classes = new ArrayList<>();
  /** Per signature (what decides where a pod may go, other than its requests), the shapes it may use. */
  final List<BitSet> signatureShapes = new ArrayList<>();
  /**
   * Per signature, the shapes it may use by its required terms alone: where the pools its preferred node affinity
   * picks are out of room (limits), the preferences are dropped, as Karpenter relaxes them ({@link PoolFallbacks}).
   */
  final List<BitSet> signatureRequiredShapes = new ArrayList<>();
  private final List<String> signatureProblems = new ArrayList<>();
  /** {@link #emptyPoolProblem} by pool, once worked out. */
  private final Map<String, String> emptyPoolProblems = new HashMap<>();

  PodClasses(SchedulingInput input, List<NodePool> pools, List<String> zones, List<NodeShape> shapes, Dims dims) {
    this.input = input;
    this.pools = pools;
    this.zones = zones;
    this.shapes = shapes;
    this.dims = dims;
  }

  /** What decides where a pod may go, other than its requests and topology. */
  private record Signature(Map<String, String> nodeSelector, List<List<Requirement>> requiredTerms,
      List<PendingPod.PreferredTerm> preferredTerms, List<dev.flotilla.model.Toleration> tolerations,
      Set<String> volumeZones, Set<String> daemonSetPorts) {}

  /**
   * The classes of the input's pods, each with the shapes it may use and its zones and capacity types; pods no shape
   * admits or fits are added to {@code unschedulable} with the reason.
   */
  List<PodClass> build(List<Unschedulable> unschedulable) {
    Map<PendingPod, PodClass> byKey = new LinkedHashMap<>();
    Map<Signature, Integer> signatures = new HashMap<>();
    Set<String> daemonSetPorts = new java.util.HashSet<>();
    input.daemonSets().forEach(ds -> daemonSetPorts.addAll(ds.hostPorts()));
    for (PendingPod pod : input.pods()) {
      PendingPod key = pod.kind();
      PodClass c = byKey.get(key);
      if (c == null) {
        c = new PodClass(byKey.size(), pod, dims.dense(pod.requests()));
        byKey.put(key, c);
        classes.add(c);
        Set<String> taken = new java.util.TreeSet<>(pod.hostPorts());
        taken.retainAll(daemonSetPorts);
        Signature sig = new Signature(pod.nodeSelector(), pod.requiredTerms(), pod.preferredTerms(),
            pod.tolerations(), pod.volumeZones(), taken);
        PodClass first = c;
        c.signature = signatures.computeIfAbsent(sig, k -> evaluate(first.template));
      }
      c.names.add(pod.name());
    }
    for (PodClass c : classes) {
      BitSet sig = signatureShapes.get(c.signature);
      c.admits = sig;
      c.zoneMask = (1L << zones.size()) - 1;
      BitSet fits = new BitSet(shapes.size());
      int bestRank = Integer.MAX_VALUE;
      for (int s = sig.nextSetBit(0); s >= 0; s = sig.nextSetBit(s + 1)) {
        NodeShape shape = shapes.get(s);
        if (shape.poolRank <= bestRank && Dims.fits(c.requests, shape.room)) {
          if (shape.poolRank < bestRank) {
            bestRank = shape.poolRank;
            fits.clear();
          }
          fits.set(s);
        }
      }
      // only for pods that carry a zone spread themselves: kube-scheduler holds no other pod to a zone a lighter
      // pool's node makes a domain, and a pod only matched by a spread, or selected by zone affinity, must keep to its
      // heaviest pool
      if (!fits.isEmpty()
          && c.template.spreads().stream().anyMatch(s -> s.topologyKey().equals(WellKnownLabels.ZONE))) {
        addZoneFallbacks(c, sig, fits);
      }
      if (!fits.isEmpty()
          && c.template.spreads().stream().anyMatch(s -> s.topologyKey().equals(WellKnownLabels.CAPACITY_TYPE))) {
        addCapacityFallbacks(c, sig, fits);
      }
      c.shapes = fits;
      if (fits.isEmpty()) {
        c.unschedulable = signatureProblems.get(c.signature) != null
            ? signatureProblems.get(c.signature) : resourceProblem(c, sig);
        for (String name : c.names) {
          unschedulable.add(new Unschedulable(name, c.unschedulable));
        }
        continue;
      }
      int capacityTypes = 0;
      long zoneMask = 0;
      for (int s = fits.nextSetBit(0); s >= 0; s = fits.nextSetBit(s + 1)) {
        capacityTypes |= 1 << shapes.get(s).capacityType.ordinal();
        zoneMask |= shapes.get(s).zoneMask;
      }
      c.capacityTypeMask = capacityTypes;
      c.ownZoneMask = zoneMaskOf(c.template);
      c.zoneMask = zoneMask & c.ownZoneMask;
      c.untopologizedZoneMask = c.zoneMask;
    }
    return classes;
  }

  /**
   * Adds, for each zone the class's heaviest pool does not sell it a node in, the shapes of the heaviest pool that
   * does: Karpenter counts a spread's domains over every NodePool the pod may use, and where the topology sends a pod
   * to such a zone it tries the pools in weight order there. Only shares its spread pins to those zones use them
   * (see {@link BoundProblem#groups}); the class's other pods keep to its heaviest pool.
   */
  private void addZoneFallbacks(PodClass c, BitSet sig, BitSet fits) {
    long served = 0;
    for (int s = fits.nextSetBit(0); s >= 0; s = fits.nextSetBit(s + 1)) {
      served |= shapes.get(s).zoneMask;
    }
    long all = (1L << zones.size()) - 1;
    for (int z = 0; z < zones.size(); z++) {
      long bit = 1L << z;
      if ((served & bit) != 0) {
        continue;
      }
      served |= addHeaviestThatSells(c, sig, fits, shape -> (shape.zoneMask & bit) != 0) ? bit : 0;
      if (served == all) {
        break;
      }
    }
  }

  /**
   * Adds, for each capacity type the class's shapes do not sell, the shapes of the heaviest pool that does: as for
   * zones, a capacity-type spread's domains are every type a pool the pod may use sells (an on-demand pool beside a
   * lighter one of spot), and the shares pinned to a type go to the heaviest pool that sells it in their zone.
   */
  private void addCapacityFallbacks(PodClass c, BitSet sig, BitSet fits) {
    int served = 0;
    for (int s = fits.nextSetBit(0); s >= 0; s = fits.nextSetBit(s + 1)) {
      served |= 1 << shapes.get(s).capacityType.ordinal();
    }
    for (CapacityType type : CapacityType.values()) {
      if ((served & 1 << type.ordinal()) != 0) {
        continue;
      }
      addHeaviestThatSells(c, sig, fits, shape -> shape.capacityType == type);
    }
  }

  /**
   * Adds the shapes {@code sells} takes of the heaviest of the signature's pools that has one holding the class's
   * pod; whether there was one.
   */
  private boolean addHeaviestThatSells(PodClass c, BitSet sig, BitSet fits,
      java.util.function.Predicate<NodeShape> sells) {
    BitSet more = NodeShapes.ofHeaviestPool(shapes, sig, c.requests, sells);
    fits.or(more);
    return !more.isEmpty();
  }

  /**
   * Which shapes pods of this signature may use, by labels, taints, zones and capacity type. Picks the first
   * required term that some shape satisfies, then adds preferred terms heaviest first while shapes remain.
   * Returns the signature's index; records why nothing matches when nothing does.
   */
  private int evaluate(PendingPod pod) {
    List<Requirement> base = new ArrayList<>();
    pod.nodeSelector().forEach((k, v) -> base.add(Requirement.in(k, v)));
    BitSet tolerated = new BitSet(shapes.size());
    // a host port a DaemonSet binds on a node is never free there, as a taint the pod cannot tolerate
    Map<String, String> portsTaken = new java.util.TreeMap<>();
    for (NodeShape s : shapes) {
      if (Toleration.firstUntolerated(s.pool.schedulingTaints(), pod.tolerations()) == null) {
        String daemonSet = takenPort(pod, s, portsTaken);
        if (daemonSet == null) {
          tolerated.set(s.index);
        }
      }
    }
    if (tolerated.isEmpty() && !portsTaken.isEmpty()) {
      signatureShapes.add(tolerated);
      signatureRequiredShapes.add(tolerated);
      signatureProblems.add("host port(s) " + portsTaken.keySet() + " taken on every node it may run on, by"
          + " DaemonSet(s) " + new java.util.TreeSet<>(portsTaken.values()));
      return signatureShapes.size() - 1;
    }
    BitSet result = null;
    List<Requirement> chosen = base;
    if (pod.requiredTerms().isEmpty()) {
      result = matching(base, tolerated, pod);
    } else {
      for (List<Requirement> term : pod.requiredTerms()) {
        List<Requirement> reqs = new ArrayList<>(base);
        reqs.addAll(term);
        BitSet bits = matching(reqs, tolerated, pod);
        if (result == null || (result.isEmpty() && !bits.isEmpty())) {
          result = bits;
          chosen = reqs;
        }
        if (!bits.isEmpty()) {
          break;
        }
      }
    }
    signatureRequiredShapes.add((BitSet) result.clone());
    if (!result.isEmpty()) {
      List<PendingPod.PreferredTerm> preferred = new ArrayList<>(pod.preferredTerms());
      preferred.sort(Comparator.comparingInt(PendingPod.PreferredTerm::weight).reversed());
      for (PendingPod.PreferredTerm term : preferred) {
        List<Requirement> reqs = new ArrayList<>(chosen);
        reqs.addAll(term.requirements());
        BitSet bits = matching(reqs, tolerated, pod);
        if (!bits.isEmpty()) {
          result = bits;
          chosen = reqs;
        }
      }
    }
    signatureShapes.add(result);
    signatureProblems.add(result.isEmpty() ? labelProblem(pod, tolerated, chosen) : null);
    return signatureShapes.size() - 1;
  }

  /** The DaemonSet that binds one of the pod's host ports on the shape (recorded in {@code taken}), or null. */
  private static String takenPort(PendingPod pod, NodeShape shape, Map<String, String> taken) {
    for (String port : pod.hostPorts()) {
      String daemonSet = shape.daemonSetPorts.get(port);
      if (daemonSet != null) {
        taken.put(port, daemonSet);
        return daemonSet;
      }
    }
    return null;
  }

  private BitSet matching(List<Requirement> reqs, BitSet tolerated, PendingPod pod) {
    BitSet bits = new BitSet(shapes.size());
    long podZones = zoneMaskOf(pod, reqs);
    for (int s = tolerated.nextSetBit(0); s >= 0; s = tolerated.nextSetBit(s + 1)) {
      NodeShape shape = shapes.get(s);
      if ((shape.zoneMask & podZones) == 0) {
        continue;
      }
      boolean ok = true;
      for (Requirement r : reqs) {
        if (!r.key().equals(WellKnownLabels.ZONE) && !r.matches(shape.labels)) {
          ok = false;
          break;
        }
      }
      if (ok) {
        bits.set(s);
      }
    }
    return bits;
  }

  private long zoneMaskOf(PendingPod pod) {
    List<Requirement> reqs = new ArrayList<>();
    pod.nodeSelector().forEach((k, v) -> reqs.add(Requirement.in(k, v)));
    if (!pod.requiredTerms().isEmpty()) {
      // the chosen term's zone requirement was already applied through the shapes; this keeps the pod's zones
      for (List<Requirement> term : pod.requiredTerms()) {
        long mask = zoneMaskOf(pod, concat(reqs, term));
        if (mask != 0) {
          return mask;
        }
      }
      return 0;
    }
    return zoneMaskOf(pod, reqs);
  }

  private long zoneMaskOf(PendingPod pod, List<Requirement> reqs) {
    long mask = 0;
    for (int z = 0; z < zones.size(); z++) {
      String zone = zones.get(z);
      boolean ok = pod.volumeZones().isEmpty() || pod.volumeZones().contains(zone);
      for (Requirement r : reqs) {
        if (r.key().equals(WellKnownLabels.ZONE) && !r.matchesValue(zone)) {
          ok = false;
        }
      }
      if (ok) {
        mask |= 1L << z;
      }
    }
    return mask;
  }

  private static List<Requirement> concat(List<Requirement> a, List<Requirement> b) {
    List<Requirement> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /**
   * Why a pool has no shape: the first of its requirements no instance type of the catalog meets, or that its
   * requirements together leave none, or that what they leave has no offering.
   */
  private String emptyPoolProblem(NodePool pool) {
    // every class of pods may ask, and the answer is the pool's
    return emptyPoolProblems.computeIfAbsent(pool.name(), name -> findEmptyPoolProblem(pool));
  }

  private String findEmptyPoolProblem(NodePool pool) {
    List<Requirement> typeRequirements = pool.requirements().stream()
        .filter(r -> !WellKnownLabels.isOfferingKey(r.key())).toList();
    List<Map<String, String>> typeLabels = new ArrayList<>();
    for (dev.flotilla.catalog.InstanceType type : input.catalog().types()) {
      typeLabels.add(NodeShapes.labels(type, pool, input.catalog().region()));
    }
    for (Requirement r : typeRequirements) {
      if (typeLabels.stream().noneMatch(r::matches)) {
        return "NodePool " + pool.name() + ": no instance type meets " + r;
      }
    }
    if (typeLabels.stream().noneMatch(l -> Scheduler.allMatch(typeRequirements, l))) {
      return "NodePool " + pool.name() + ": no instance type meets its requirements together";
    }
    return "NodePool " + pool.name() + ": no instance type it allows has an available offering in its zones and"
        + " capacity types";
  }

  /** Why no shape matches a pod's labels and taints, naming the taint or requirement and the pools. */
  private String labelProblem(PendingPod pod, BitSet tolerated, List<Requirement> reqs) {
    if (tolerated.isEmpty()) {
      StringBuilder sb = new StringBuilder();
      for (NodePool pool : pools) {
        Taint t = Toleration.firstUntolerated(pool.schedulingTaints(), pod.tolerations());
        if (t != null) {
          sb.append(sb.isEmpty() ? "" : "; ").append("does not tolerate taint ").append(t)
              .append(" of NodePool ").append(pool.name());
        }
      }
      if (sb.isEmpty()) {
        for (NodePool pool : pools) {
          sb.append(sb.isEmpty() ? "" : "; ").append(emptyPoolProblem(pool));
        }
      }
      return sb.isEmpty() ? "no NodePool has an instance type with an available offering" : sb.toString();
    }
    if (zoneMaskOf(pod, reqs) == 0) {
      return "its zone requirements and volume zones " + pod.volumeZones() + " leave no zone";
    }
    for (Requirement r : reqs) {
      if (matching(List.of(r), tolerated, pod).isEmpty()) {
        return "no instance type in NodePool(s) " + poolNames(tolerated) + " satisfies " + r;
      }
    }
    return "no instance type in NodePool(s) " + poolNames(tolerated) + " satisfies all of " + reqs + " together";
  }

  private String resourceProblem(PodClass c, BitSet sig) {
    long[] largest = new long[dims.size()];
    for (int s = sig.nextSetBit(0); s >= 0; s = sig.nextSetBit(s + 1)) {
      for (int r = 0; r < largest.length; r++) {
        largest[r] = Math.max(largest[r], shapes.get(s).room[r]);
      }
    }
    for (int r = 0; r < largest.length; r++) {
      if (c.requests[r] > largest[r]) {
        String name = dims.names.get(r);
        return "requests " + name + "=" + Resources.format(name, c.requests[r])
            + (largest[r] == 0 ? " but no allowed instance type offers " + name
                : " but the most any allowed instance type has for pods is " + Resources.format(name, largest[r]))
            + " (NodePool(s) " + poolNames(sig) + ", after DaemonSets)";
      }
    }
    return "its requests fit no single allowed instance type in NodePool(s) " + poolNames(sig);
  }

  private String poolNames(BitSet bits) {
    List<String> names = new ArrayList<>();
    for (int s = bits.nextSetBit(0); s >= 0; s = bits.nextSetBit(s + 1)) {
      String name = shapes.get(s).pool.name();
      if (!names.contains(name)) {
        names.add(name);
      }
    }
    return String.join(", ", names);
  }
}
