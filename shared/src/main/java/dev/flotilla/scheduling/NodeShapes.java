package dev.flotilla.scheduling;

import dev.flotilla.catalog.InstanceType;
import dev.flotilla.catalog.NodeCapacity;
import dev.flotilla.catalog.NodeLabels;
import dev.flotilla.catalog.Offering;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The nodes Flotilla could launch: each NodePool's instance types and capacity types with their offerings, with
 * allocatable from the node model less the DaemonSets that would run there. Changes when the node model or what a
 * NodePool allows changes.
 */
final class NodeShapes {

  private NodeShapes() {}

  /**
   * What the shapes are built from. The catalog is compared by identity (it has no value equality): a source hands
   * back the same catalog while nothing about its offerings changed.
   */
  private record Inputs(OfferingCatalog catalog, List<NodePool> pools, List<PendingPod> daemonSets,
      List<String> dims) {}

  /**
   * The last shapes built, by what they were built from. A consolidation pass schedules dozens of times over the same
   * pools, catalog and DaemonSets, and building a full catalog's shapes was a tenth of each scheduling. Shapes are
   * immutable, so runs may share them. A few entries, since the provisioner, consolidation and interruption may each
   * see their own catalog instance.
   */
  private static final Map<Inputs, Built> BUILT = new LinkedHashMap<>(8, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Inputs, Built> eldest) {
      return size() > 4;
    }
  };

  /**
   * Shapes as built, with their indexes cheapest first (then by type name and index): every scheduling's claims
   * are chosen in that order, and sorting a full catalog's shapes for each one was a tenth of a small scheduling.
   */
  record Built(List<NodeShape> shapes, int[] byPrice, Map<Offered, NodeShape> byOffering) {
    static Built of(List<NodeShape> shapes) {
      Integer[] order = new Integer[shapes.size()];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      Arrays.sort(order, java.util.Comparator.comparingDouble((Integer s) -> shapes.get(s).minPrice)
          .thenComparing(s -> shapes.get(s).type.name()).thenComparingInt(s -> s));
      int[] byPrice = new int[order.length];
      for (int i = 0; i < order.length; i++) {
        byPrice[i] = order[i];
      }
      Map<Offered, NodeShape> byOffering = new java.util.HashMap<>();
      for (NodeShape shape : shapes) {
        byOffering.putIfAbsent(new Offered(shape.pool.name(), shape.type.name(), shape.capacityType), shape);
      }
      return new Built(shapes, byPrice, Map.copyOf(byOffering));
    }
  }

  /** What a launched node was bought as: the shape an in-flight claim fills is looked up by it. */
  record Offered(String nodePool, String instanceType, dev.flotilla.model.CapacityType capacityType) {}

  /** Every NodePool's instance types × capacity types with an offering its zone requirements allow. */
  static Built build(SchedulingInput input, List<NodePool> pools, List<String> zones,
      Map<String, Integer> zoneIndex, Dims dims) {
    Inputs inputs = new Inputs(input.catalog(), List.copyOf(pools), List.copyOf(input.daemonSets()), dims.names);
    synchronized (BUILT) {
      Built built = BUILT.get(inputs);
      if (built != null) {
        return built;
      }
    }
    Built built = Built.of(List.copyOf(buildShapes(input, pools, zones, zoneIndex, dims)));
    synchronized (BUILT) {
      BUILT.put(inputs, built);
    }
    return built;
  }

  /** The labels a node of {@code type} from {@code pool} carries, zone and capacity type aside. */
  static Map<String, String> labels(InstanceType type, NodePool pool, String region) {
    Map<String, String> labels = new LinkedHashMap<>(NodeLabels.of(type));
    labels.putAll(pool.labels());
    labels.put(WellKnownLabels.NODEPOOL, pool.name());
    NodeLabels.putRegion(labels, region);
    return labels;
  }

  private static List<NodeShape> buildShapes(SchedulingInput input, List<NodePool> pools, List<String> zones,
      Map<String, Integer> zoneIndex, Dims dims) {
    List<NodeShape> shapes = new ArrayList<>();
    for (int rank = 0; rank < pools.size(); rank++) {
      NodePool pool = pools.get(rank);
      List<Requirement> typeRequirements = new ArrayList<>();
      List<Requirement> zoneRequirements = new ArrayList<>();
      for (Requirement r : pool.requirements()) {
        if (r.key().equals(WellKnownLabels.ZONE)) {
          zoneRequirements.add(r);
        } else if (!r.key().equals(WellKnownLabels.CAPACITY_TYPE)) {
          typeRequirements.add(r);
        }
      }
      for (InstanceType type : input.catalog().types()) {
        Map<String, String> labels = labels(type, pool, input.catalog().region());
        if (!Scheduler.allMatch(typeRequirements, labels)) {
          continue;
        }
        Resources allocatable = NodeCapacity.allocatable(type);
        for (CapacityType capacityType : CapacityType.values()) {
          if (!pool.allows(capacityType)) {
            continue;
          }
          double[] zonePrice = new double[zones.size()];
          Arrays.fill(zonePrice, Double.NaN);
          boolean any = false;
          for (Offering o : input.catalog().offerings(type)) {
            if (o.capacityType() == capacityType && Scheduler.allMatchValue(zoneRequirements, o.zone())) {
              zonePrice[zoneIndex.get(o.zone())] = o.pricePerHour();
              any = true;
            }
          }
          if (!any) {
            continue;
          }
          Map<String, String> shapeLabels = new LinkedHashMap<>(labels);
          shapeLabels.put(WellKnownLabels.CAPACITY_TYPE, capacityType.label());
          List<PendingPod> daemons = daemonSetsOn(input, pool, shapeLabels);
          Resources overhead = Resources.NONE;
          Map<String, String> ports = new LinkedHashMap<>();
          for (PendingPod ds : daemons) {
            overhead = overhead.plus(ds.requests());
            // a DaemonSet kept to some zones is counted everywhere for its resources (a shape spans zones), but
            // its ports only where it runs in every zone: elsewhere a pod binding them would be refused nowhere
            if (!zoneBound(ds)) {
              ds.hostPorts().forEach(port -> ports.putIfAbsent(port, ds.name()));
            }
          }
          long[] room = dims.dense(allocatable.minus(overhead));
          // extended resources the node does not offer stay 0; pods asking for them will not fit
          shapes.add(new NodeShape(shapes.size(), pool, rank, type, capacityType, shapeLabels, room,
              NodeCapacity.capacity(type), zonePrice, ports.isEmpty() ? Map.of() : Map.copyOf(ports)));
        }
      }
    }
    return shapes;
  }

  /**
   * Of {@code among}, the shapes {@code takes} takes that hold {@code requests}, in the heaviest pool that has one
   * (empty when none). Shapes are built pool by pool in weight order, so the first such shape is of that pool.
   */
  static BitSet ofHeaviestPool(List<NodeShape> shapes, BitSet among, long[] requests,
      java.util.function.Predicate<NodeShape> takes) {
    BitSet found = new BitSet(shapes.size());
    int rank = -1;
    for (int s = among.nextSetBit(0); s >= 0; s = among.nextSetBit(s + 1)) {
      NodeShape shape = shapes.get(s);
      if (rank >= 0 && shape.poolRank != rank) {
        break;
      }
      if (takes.test(shape) && Dims.fits(requests, shape.room)) {
        rank = shape.poolRank;
        found.set(s);
      }
    }
    return found;
  }

  private static boolean zoneBound(PendingPod ds) {
    return ds.nodeSelector().containsKey(WellKnownLabels.ZONE) || ds.requiredTerms().stream()
        .anyMatch(term -> term.stream().anyMatch(r -> r.key().equals(WellKnownLabels.ZONE)));
  }

  /** The DaemonSets whose pods run on a node of the pool with these labels (taints tolerated, selectors met). */
  private static List<PendingPod> daemonSetsOn(SchedulingInput input, NodePool pool, Map<String, String> labels) {
    List<PendingPod> on = new ArrayList<>();
    for (PendingPod ds : input.daemonSets()) {
      if (DaemonSetPlacement.runsOn(ds, pool, labels)) {
        on.add(ds);
      }
    }
    return on;
  }
}
