package dev.flotilla.aws;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.InstanceType;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.OfferingSource;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.claims.ClaimStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.InstanceTypeInfo;
import software.amazon.awssdk.services.ec2.model.LocationType;
import software.amazon.awssdk.services.ec2.model.SpotPrice;

/**
 * Offerings from EC2's own APIs: instance types (DescribeInstanceTypes, every page), the zones that offer them
 * (DescribeInstanceTypeOfferings) and the latest Linux spot price per type and zone (DescribeSpotPriceHistory);
 * on-demand prices from the bundled table. Built at most every five minutes; offerings the claim store marks
 * unavailable are left out on every call. When the APIs fail, the bundled catalog serves, and the log says so once.
 */
public final class Ec2OfferingSource implements OfferingSource {

  public static final Duration REFRESH = Duration.ofMinutes(5);
  private static final Logger LOG = LoggerFactory.getLogger(Ec2OfferingSource.class);

  private final Ec2Client ec2;
  private final CatalogFile bundled;
  private final ClaimStore store;
  private final Clock clock;
  private final AtomicBoolean warned = new AtomicBoolean();
  private OfferingCatalog cached;
  private Instant builtAt = Instant.MIN;
  private boolean fallback;

  public Ec2OfferingSource(Ec2Client ec2, CatalogFile bundled, ClaimStore store, Clock clock) {
    this.ec2 = ec2;
    this.bundled = bundled;
    this.store = store;
    this.clock = clock;
  }

  @Override
  public OfferingCatalog catalog() {
    OfferingCatalog base;
    synchronized (this) {
      if (cached == null || !clock.instant().isBefore(builtAt.plus(REFRESH))) {
        cached = build();
        builtAt = clock.instant();
      }
      base = cached;
    }
    return base.without(store.unavailable());
  }

  /** Whether the last build fell back to the bundled catalog. */
  public synchronized boolean servingBundled() {
    return fallback;
  }

  private OfferingCatalog build() {
    try {
      OfferingCatalog live = fromApis();
      fallback = false;
      warned.set(false);
      return live;
    } catch (SdkException e) {
      fallback = true;
      if (warned.compareAndSet(false, true)) {
        LOG.warn("EC2 catalog APIs failed ({}); serving the bundled {} catalog with estimated spot prices until "
            + "they answer again", e.getMessage(), bundled.region());
      }
      return OfferingCatalog.of(bundled, SpotPrices.ratio(0.35));
    }
  }

  private OfferingCatalog fromApis() {
    Map<String, Double> onDemand = new HashMap<>();
    bundled.instanceTypes().forEach(t -> onDemand.put(t.name(), t.onDemandUsdPerHour()));
    Map<String, TreeSet<String>> zones = new HashMap<>();
    ec2.describeInstanceTypeOfferingsPaginator(r -> r.locationType(LocationType.AVAILABILITY_ZONE))
        .instanceTypeOfferings()
        .forEach(o -> zones.computeIfAbsent(o.instanceTypeAsString(), k -> new TreeSet<>()).add(o.location()));
    List<InstanceType> types = new ArrayList<>();
    for (InstanceTypeInfo info : ec2.describeInstanceTypesPaginator(r -> r.maxResults(100)).instanceTypes()) {
      String name = info.instanceTypeAsString();
      Double price = onDemand.get(name);
      if (price == null || !zones.containsKey(name) || info.vCpuInfo() == null || info.memoryInfo() == null) {
        continue;
      }
      String family = name.substring(0, name.indexOf('.'));
      int gpus = info.gpuInfo() == null ? 0
          : info.gpuInfo().gpus().stream().mapToInt(g -> g.count() == null ? 0 : g.count()).sum();
      long gpuMemory = info.gpuInfo() == null || info.gpuInfo().totalGpuMemoryInMiB() == null ? 0
          : info.gpuInfo().totalGpuMemoryInMiB();
      var net = info.networkInfo();
      int maxPods = net == null ? 110 : net.maximumNetworkInterfaces() * (net.ipv4AddressesPerInterface() - 1) + 2;
      boolean arm = info.processorInfo() != null && info.processorInfo().supportedArchitecturesAsStrings().contains("arm64");
      types.add(new InstanceType(name, family, info.vCpuInfo().defaultVCpus(), info.memoryInfo().sizeInMiB(),
          arm ? "arm64" : "amd64", gpus, gpuMemory, maxPods, price, List.copyOf(zones.get(name)),
          Boolean.TRUE.equals(info.currentGeneration()), Boolean.TRUE.equals(info.bareMetal()), 0, 0));
    }
    Map<String, SpotPrice> latest = new HashMap<>();
    ec2.describeSpotPriceHistoryPaginator(r -> r.productDescriptions("Linux/UNIX", "Linux/UNIX (Amazon VPC)")
            .startTime(clock.instant()))
        .spotPriceHistory()
        .forEach(p -> latest.merge(p.instanceTypeAsString() + "@" + p.availabilityZone(), p,
            (a, b) -> a.timestamp().isAfter(b.timestamp()) ? a : b));
    SpotPrices spot = (type, zone) -> {
      SpotPrice p = latest.get(type.name() + "@" + zone);
      return p == null ? Double.NaN : Double.parseDouble(p.spotPrice());
    };
    List<String> allZones = zones.values().stream().flatMap(TreeSet::stream).distinct().sorted().toList();
    return OfferingCatalog.of(new CatalogFile(bundled.region(), List.of("EC2 APIs"), allZones, types), spot);
  }
}
