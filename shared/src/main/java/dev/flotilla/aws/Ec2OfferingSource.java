package dev.flotilla.aws;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.CatalogSnapshot;
import dev.flotilla.catalog.InstanceType;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.OfferingSource;
import dev.flotilla.catalog.OnDemandPrices;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.claims.ClaimStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.GpuDeviceInfo;
import software.amazon.awssdk.services.ec2.model.InstanceTypeInfo;
import software.amazon.awssdk.services.ec2.model.LocationType;
import software.amazon.awssdk.services.ec2.model.SpotPrice;

/**
 * Offerings from EC2's own APIs: instance types (DescribeInstanceTypes, every page), the zones that offer them
 * (DescribeInstanceTypeOfferings) and the latest Linux spot price per type and zone (DescribeSpotPriceHistory).
 * Built at most every five minutes; offerings the claim store marks unavailable are left out on every call. When the
 * EC2 APIs fail, the bundled catalog serves, and the log says so once.
 *
 * <p>On-demand prices come from an {@link OnDemandPrices} source (the Price List API in Lambda), read at most every
 * {@link #PRICE_REFRESH} as they seldom change, and from the bundled us-east-1 table for the types it lacks. When
 * that source fails, the bundled table prices every type until it answers again (the log says so once), and where
 * the region is not us-east-1 the log also warns, once, that those prices are us-east-1's.
 */
public final class Ec2OfferingSource implements OfferingSource {

  public static final Duration REFRESH = Duration.ofMinutes(5);
  public static final Duration PRICE_REFRESH = Duration.ofHours(6);
  private static final Logger LOG = LoggerFactory.getLogger(Ec2OfferingSource.class);

  private final Ec2Client ec2;
  private final CatalogFile bundled;
  private final Optional<OnDemandPrices> prices;
  private final String region;
  private final ClaimStore store;
  private final Clock clock;
  private final AtomicBoolean warned = new AtomicBoolean();
  private OfferingCatalog cached;
  private Instant builtAt = Instant.MIN;
  private boolean fallback;
  private final AtomicBoolean pricesWarned = new AtomicBoolean();
  private final AtomicBoolean foreignPricesWarned = new AtomicBoolean();
  private Map<String, Double> livePrices = Map.of();
  private Instant pricesReadAt = Instant.MIN;

  /** On-demand prices from the bundled table alone, in the bundled table's region. */
  public Ec2OfferingSource(Ec2Client ec2, CatalogFile bundled, ClaimStore store, Clock clock) {
    this(ec2, bundled, Optional.empty(), bundled.region(), store, clock);
  }

  /**
   * @param prices on-demand prices for {@code region}; the bundled table serves the types they lack, and all types
   *     while they fail
   * @param region the region EC2 answers for, which names the catalog and the prices asked for
   */
  public Ec2OfferingSource(Ec2Client ec2, CatalogFile bundled, OnDemandPrices prices, String region,
      ClaimStore store, Clock clock) {
    this(ec2, bundled, Optional.of(prices), region, store, clock);
  }

  private Ec2OfferingSource(Ec2Client ec2, CatalogFile bundled, Optional<OnDemandPrices> prices, String region,
      ClaimStore store, Clock clock) {
    this.ec2 = ec2;
    this.bundled = bundled;
    this.prices = prices;
    this.region = region;
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

  /** Whether on-demand prices come from the price source now (false: from the bundled table alone). */
  public synchronized boolean servingLivePrices() {
    return !livePrices.isEmpty();
  }

  /**
   * A snapshot built from the EC2 and Price List APIs now, with nothing marked unavailable left out; throws the
   * {@link SdkException} when EC2 does not answer (the Price List failing falls back to the bundled prices).
   */
  public synchronized CatalogSnapshot snapshot() {
    CatalogSnapshot snapshot = fromApis();
    cached = snapshot.catalog();
    builtAt = clock.instant();
    fallback = false;
    return snapshot;
  }

  private OfferingCatalog build() {
    try {
      OfferingCatalog live = fromApis().catalog();
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

  /** The bundled table's prices, overlaid with the price source's where it has them. */
  private Map<String, Double> onDemandPrices() {
    Map<String, Double> onDemand = new HashMap<>();
    bundled.instanceTypes().forEach(t -> onDemand.put(t.name(), t.onDemandUsdPerHour()));
    if (prices.isPresent()
        && (livePrices.isEmpty() || !clock.instant().isBefore(pricesReadAt.plus(PRICE_REFRESH)))) {
      readPrices();
    }
    onDemand.putAll(livePrices);
    return onDemand;
  }

  private void readPrices() {
    try {
      Map<String, Double> read = prices.orElseThrow().usdPerHour(region);
      if (read.isEmpty()) {
        throw new IllegalStateException("no usable price for " + region);
      }
      livePrices = Map.copyOf(read);
      pricesReadAt = clock.instant();
      pricesWarned.set(false);
    } catch (RuntimeException e) {
      // an SdkException (throttling, a timeout, access denied), or an answer without one usable price: keep the
      // prices last read if any, else the bundled table's, and ask again at the next build
      if (pricesWarned.compareAndSet(false, true)) {
        LOG.warn("Price List read for {} failed ({}: {}); on-demand prices come from {} until it answers again",
            region, e.getClass().getSimpleName(), e.getMessage(),
            livePrices.isEmpty() ? "the bundled " + bundled.region() + " table" : "its last answer");
      }
    }
  }

  /** Warns, once until it stops, when another region's types are priced from the bundled us-east-1 table. */
  private void warnIfForeignPrices(List<String> pricedFromTable) {
    if (region.equals(bundled.region()) || pricedFromTable.isEmpty()) {
      foreignPricesWarned.set(false);
      return;
    }
    if (foreignPricesWarned.compareAndSet(false, true)) {
      List<String> sorted = pricedFromTable.stream().sorted().toList();
      LOG.warn("On-demand prices of {} instance types in {} are {}'s, from the bundled table, as the Price List {} "
          + "(e.g. {})", sorted.size(), region, bundled.region(),
          livePrices.isEmpty() ? "did not answer" : "has none for them", sorted.subList(0, Math.min(5, sorted.size())));
    }
  }

  /** NVMe instance storage, as Karpenter counts it for instance-local-nvme; 0 without. */
  private static long localNvme(InstanceTypeInfo info) {
    var storage = info.instanceStorageInfo();
    return storage == null || storage.totalSizeInGB() == null || "unsupported".equals(storage.nvmeSupportAsString())
        ? 0 : storage.totalSizeInGB();
  }

  /** A fact of the type's GPU in lower case, as Karpenter labels it; empty unless it has one kind of GPU. */
  private static String gpu(InstanceTypeInfo info, java.util.function.Function<GpuDeviceInfo, String> fact) {
    String value = info.gpuInfo() == null || info.gpuInfo().gpus().size() != 1 ? null
        : fact.apply(info.gpuInfo().gpus().getFirst());
    return value == null ? "" : value.toLowerCase(java.util.Locale.ROOT).replace(' ', '-');
  }

  private CatalogSnapshot fromApis() {
    Map<String, Double> onDemand = onDemandPrices();
    List<String> pricedFromTable = new ArrayList<>();
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
          Boolean.TRUE.equals(info.currentGeneration()), Boolean.TRUE.equals(info.bareMetal()), localNvme(info),
          info.neuronInfo() == null ? 0 : info.neuronInfo().neuronDevices().stream()
              .mapToInt(d -> d.count() == null ? 0 : d.count()).sum(),
          info.hypervisorAsString() == null ? "" : info.hypervisorAsString(),
          info.processorInfo() == null || info.processorInfo().manufacturer() == null ? null
              : info.processorInfo().manufacturer().toLowerCase(java.util.Locale.ROOT),
          net == null ? 0 : (int) Math.round(net.networkCards().stream()
              .mapToDouble(c -> c.baselineBandwidthInGbps() == null ? 0 : c.baselineBandwidthInGbps()).sum() * 1000),
          info.ebsInfo() == null || info.ebsInfo().ebsOptimizedInfo() == null
              || info.ebsInfo().ebsOptimizedInfo().maximumBandwidthInMbps() == null ? 0
              : info.ebsInfo().ebsOptimizedInfo().maximumBandwidthInMbps(),
          net != null && Boolean.TRUE.equals(net.encryptionInTransitSupported()),
          gpu(info, g -> g.name()), gpu(info, g -> g.manufacturer())));
      if (!livePrices.containsKey(name)) {
        pricedFromTable.add(name);
      }
    }
    warnIfForeignPrices(pricedFromTable);
    Map<String, SpotPrice> latest = new HashMap<>();
    ec2.describeSpotPriceHistoryPaginator(r -> r.productDescriptions("Linux/UNIX", "Linux/UNIX (Amazon VPC)")
            .startTime(clock.instant()))
        .spotPriceHistory()
        .forEach(p -> latest.merge(p.instanceTypeAsString() + "@" + p.availabilityZone(), p,
            (a, b) -> a.timestamp().isAfter(b.timestamp()) ? a : b));
    Map<String, Map<String, Double>> spot = new HashMap<>();
    for (InstanceType t : types) {
      for (String zone : t.zones()) {
        SpotPrice p = latest.get(t.name() + "@" + zone);
        if (p != null) {
          spot.computeIfAbsent(t.name(), k -> new HashMap<>()).put(zone, Double.parseDouble(p.spotPrice()));
        }
      }
    }
    List<String> sources = livePrices.isEmpty() ? List.of("EC2 APIs", "bundled on-demand prices")
        : List.of("EC2 APIs", "AWS Price List");
    return new CatalogSnapshot(region, sources, clock.instant(), types, spot);
  }
}
