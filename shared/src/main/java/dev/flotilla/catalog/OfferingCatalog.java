package dev.flotilla.catalog;

import dev.flotilla.model.CapacityType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every instance type with every offering that can be bought now: instance type × zone × capacity type with its
 * price, less the offerings marked unavailable (recent capacity errors). Immutable: a new catalog is built when
 * prices or availability change.
 */
public final class OfferingCatalog {

  private final String region;
  private final List<InstanceType> types;
  private final Map<String, InstanceType> byName;
  private final Map<String, List<Offering>> offerings;
  private final List<String> zones;
  private final long fingerprint;

  public OfferingCatalog(String region, List<InstanceType> types, List<Offering> offerings) {
    this.region = region;
    List<InstanceType> sorted = new ArrayList<>(types);
    sorted.sort(Comparator.comparing(InstanceType::name));
    this.types = List.copyOf(sorted);
    Map<String, InstanceType> names = new LinkedHashMap<>();
    for (InstanceType t : this.types) {
      names.put(t.name(), t);
    }
    this.byName = Collections.unmodifiableMap(names);
    Map<String, List<Offering>> grouped = new LinkedHashMap<>();
    for (InstanceType t : this.types) {
      grouped.put(t.name(), new ArrayList<>());
    }
    java.util.TreeSet<String> allZones = new java.util.TreeSet<>();
    for (Offering o : offerings) {
      List<Offering> list = grouped.get(o.type().name());
      if (list == null) {
        throw new IllegalArgumentException("offering for unknown instance type " + o.type().name());
      }
      list.add(o);
      allZones.add(o.zone());
    }
    grouped.replaceAll((k, v) -> {
      v.sort(Comparator.comparing(Offering::capacityType).thenComparing(Offering::zone));
      return List.copyOf(v);
    });
    this.offerings = Collections.unmodifiableMap(grouped);
    this.zones = List.copyOf(allZones);
    long digest = java.util.Objects.hashCode(region);
    for (List<Offering> list : this.offerings.values()) {
      for (Offering o : list) {
        digest = digest * 1_000_003L + o.key().hashCode();
        digest = digest * 1_000_003L + Double.hashCode(o.pricePerHour());
      }
    }
    this.fingerprint = digest;
  }

  /** On-demand in every zone of each type, spot where {@code spot} has a price, less {@code unavailable}. */
  public static OfferingCatalog of(CatalogFile file, SpotPrices spot, Set<Offering.Key> unavailable) {
    List<Offering> offerings = new ArrayList<>();
    for (InstanceType t : file.instanceTypes()) {
      for (String zone : t.zones()) {
        offerings.add(new Offering(t, zone, CapacityType.ON_DEMAND, t.onDemandUsdPerHour()));
        double spotPrice = spot.price(t, zone);
        if (!Double.isNaN(spotPrice)) {
          offerings.add(new Offering(t, zone, CapacityType.SPOT, spotPrice));
        }
      }
    }
    offerings.removeIf(o -> unavailable.contains(o.key()));
    return new OfferingCatalog(file.region(), file.instanceTypes(), offerings);
  }

  public static OfferingCatalog of(CatalogFile file, SpotPrices spot) {
    return of(file, spot, Set.of());
  }

  /**
   * A digest of every offering and its price: two catalogs with the same one offer the same (a plan made from one
   * holds for the other, unlike one made before an offering ran out of capacity).
   */
  public long fingerprint() {
    return fingerprint;
  }

  /** The same catalog less some offerings. */
  public OfferingCatalog without(Set<Offering.Key> unavailable) {
    if (unavailable.isEmpty()) {
      return this;
    }
    List<Offering> kept = new ArrayList<>();
    offerings.values().forEach(list -> list.stream().filter(o -> !unavailable.contains(o.key())).forEach(kept::add));
    return new OfferingCatalog(region, types, kept);
  }

  /** The same catalog offered only in these zones (those the cluster has subnets in). */
  public OfferingCatalog inZones(java.util.Collection<String> allowed) {
    List<Offering> kept = new ArrayList<>();
    offerings.values().forEach(list -> list.stream().filter(o -> allowed.contains(o.zone())).forEach(kept::add));
    return new OfferingCatalog(region, types, kept);
  }

  public String region() {
    return region;
  }

  public List<InstanceType> types() {
    return types;
  }

  public List<String> zones() {
    return zones;
  }

  public InstanceType type(String name) {
    return byName.get(name);
  }

  public List<Offering> offerings(InstanceType type) {
    return offerings.getOrDefault(type.name(), List.of());
  }

  /** The price of one offering, or NaN when it is not offered. */
  public double price(String type, String zone, CapacityType capacityType) {
    for (Offering o : offerings.getOrDefault(type, List.of())) {
      if (o.zone().equals(zone) && o.capacityType() == capacityType) {
        return o.pricePerHour();
      }
    }
    return Double.NaN;
  }
}
