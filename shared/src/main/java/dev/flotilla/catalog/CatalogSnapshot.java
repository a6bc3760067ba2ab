package dev.flotilla.catalog;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The offering catalog as the AWS catalog APIs last described it, built on a schedule and stored where every
 * function reads it: the region's instance types (specs, zones, on-demand prices), the latest spot price per type
 * and zone, where those facts came from, and when it was built. Stored as gzipped JSON ({@link #gzip}).
 *
 * @param spotPrices USD per hour by instance type, then zone; a type or zone without one has no spot offering
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CatalogSnapshot(String region, List<String> sources, Instant builtAt, List<InstanceType> instanceTypes,
    Map<String, Map<String, Double>> spotPrices) {

  /** A snapshot older than this is stale: still served, but logged as such. */
  public static final Duration STALE_AFTER = Duration.ofHours(1);

  private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  public CatalogSnapshot {
    if (region == null || region.isBlank()) {
      throw new IllegalArgumentException("catalog snapshot: region is required");
    }
    if (builtAt == null) {
      throw new IllegalArgumentException("catalog snapshot: builtAt is required");
    }
    sources = sources == null ? List.of() : List.copyOf(sources);
    instanceTypes = instanceTypes == null ? List.of() : List.copyOf(instanceTypes);
    if (instanceTypes.isEmpty()) {
      throw new IllegalArgumentException("catalog snapshot: instanceTypes is empty");
    }
    Map<String, Map<String, Double>> copy = new LinkedHashMap<>();
    if (spotPrices != null) {
      spotPrices.forEach((type, byZone) -> copy.put(type, Map.copyOf(byZone)));
    }
    spotPrices = Map.copyOf(copy);
  }

  /** The snapshot of a catalog: its types, and the spot price of each of its spot offerings. */
  public static CatalogSnapshot of(OfferingCatalog catalog, List<String> sources, Instant builtAt) {
    Map<String, Map<String, Double>> spot = new LinkedHashMap<>();
    for (InstanceType t : catalog.types()) {
      for (Offering o : catalog.offerings(t)) {
        if (o.capacityType() == dev.flotilla.model.CapacityType.SPOT) {
          spot.computeIfAbsent(t.name(), k -> new LinkedHashMap<>()).put(o.zone(), o.pricePerHour());
        }
      }
    }
    return new CatalogSnapshot(catalog.region(), sources, builtAt, catalog.types(), spot);
  }

  /** Every offering the snapshot describes: on-demand in each type's zones, spot where it has a price. */
  public OfferingCatalog catalog() {
    List<String> zones = List.copyOf(instanceTypes.stream().flatMap(t -> t.zones().stream())
        .collect(java.util.stream.Collectors.toCollection(TreeSet::new)));
    return OfferingCatalog.of(new CatalogFile(region, sources, zones, instanceTypes), (type, zone) -> {
      Double price = spotPrices.getOrDefault(type.name(), Map.of()).get(zone);
      return price == null ? Double.NaN : price;
    });
  }

  /** How old the snapshot is at {@code now} (zero when it claims to be built later). */
  public Duration age(Instant now) {
    Duration age = Duration.between(builtAt, now);
    return age.isNegative() ? Duration.ZERO : age;
  }

  public boolean staleAt(Instant now) {
    return age(now).compareTo(STALE_AFTER) > 0;
  }

  /** The snapshot as gzipped JSON. */
  public byte[] gzip() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(bytes)) {
      JSON.writeValue(out, this);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Reads what {@link #gzip} wrote. */
  public static CatalogSnapshot gunzip(byte[] gzipped) {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped))) {
      return JSON.readValue(in, CatalogSnapshot.class);
    } catch (IOException e) {
      throw new UncheckedIOException("catalog snapshot is not readable: " + e.getMessage(), e);
    }
  }
}
