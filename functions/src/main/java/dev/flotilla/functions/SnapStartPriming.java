package dev.flotilla.functions;

import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.catalog.StaticOfferingSource;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.cloud.InMemoryCloud;
import dev.flotilla.provisioning.Provisioner;
import dev.flotilla.scheduling.SyntheticWorkloads;
import dev.flotilla.aws.AwsClients;
import dev.flotilla.aws.DynamoClaimStore;
import dev.flotilla.aws.Ec2CloudProvider;
import dev.flotilla.provisioning.Fanout;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.crac.Context;
import org.crac.Core;
import org.crac.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * What a decision touches, made ready before it is needed: a representative decision run through the functions' own
 * adapters over SDK clients that are answered locally (the scheduler's paths, the SDK's request and answer paths:
 * classes loaded, hot methods compiled), the catalog snapshot read, the SDK clients built. Runs at
 * init, and again before SnapStart takes its snapshot ({@link #beforeCheckpoint}); after a restore the catalog is
 * read again only where the one restored is older than its refresh period.
 */
final class SnapStartPriming implements Resource {

  private static final Logger LOG = LoggerFactory.getLogger(SnapStartPriming.class);

  private final FlotillaServices services;

  SnapStartPriming(FlotillaServices services) {
    this.services = services;
  }

  /** Registers the hooks; CRaC holds resources weakly, so the caller keeps the one returned. */
  static SnapStartPriming register(FlotillaServices services) {
    SnapStartPriming priming = new SnapStartPriming(services);
    Core.getGlobalContext().register(priming);
    return priming;
  }

  @Override
  public void beforeCheckpoint(Context<? extends Resource> context) {
    long start = System.nanoTime();
    services.readCatalog();
    for (int i = 0; i < 3; i++) {
      decide(services.offerings.catalog(), services.fanout, true);
    }
    LOG.info("primed for the snapshot in {} ms", (System.nanoTime() - start) / 1_000_000);
  }

  @Override
  public void afterRestore(Context<? extends Resource> context) {
    services.catalogSnapshots().filter(s -> s.olderThan(dev.flotilla.aws.Ec2OfferingSource.REFRESH))
        .ifPresent(s -> services.readCatalog());
  }

  /**
   * Runs the scheduler on a representative plan (a hundred mixed pods) over in-memory ports: nothing is written
   * and no AWS API is called.
   */
  static void plan(OfferingCatalog catalog) {
    Clock clock = Clock.systemUTC();
    InMemoryClaimStore store = new InMemoryClaimStore(clock);
    new Provisioner(store, new InMemoryCloud("priming", catalog, store, clock), new StaticOfferingSource(catalog, store),
        List::of, List::of, clock).provision("priming", SyntheticWorkloads.mixed(30, 11));
  }

  /**
   * A representative decision (thirty mixed pods) through the functions' own adapters, {@link DynamoClaimStore} and
   * {@link Ec2CloudProvider}, over SDK clients configured as the real ones are, whose HTTP client answers here
   * ({@link PrimingTransport}): the scheduler's paths, the claim store's reads and conditional writes, CreateFleet's
   * request and answer and the decision's fanout all run as the first real decision will run them. No AWS API is
   * called and nothing is written.
   *
   * @param again whether a second, smaller decision follows, reading the claims and reservations the first wrote:
   *     before a SnapStart snapshot, where time is free, and not at init, which waits for it
   */
  static Provisioner.Decision decide(OfferingCatalog catalog, Fanout fanout, boolean again) {
    return decide(catalog, fanout, new PrimingTransport(), again);
  }

  static Provisioner.Decision decide(OfferingCatalog catalog, Fanout fanout, PrimingTransport transport,
      boolean again) {
    Clock clock = Clock.systemUTC();
    Map<String, String> env = System.getenv();
    AwsClients.Settings real = AwsClients.Settings.fromEnvironment(env);
    AwsClients.Settings offline = new AwsClients.Settings(real.region(), real.endpoint(),
        StaticCredentialsProvider.create(AwsBasicCredentials.create("priming", "priming")));
    try (AwsClients aws = new AwsClients(offline, transport)) {
      DynamoClaimStore store = new DynamoClaimStore(aws.dynamo(), "flotilla-priming", "priming", clock);
      Map<String, String> subnets = new LinkedHashMap<>();
      catalog.zones().forEach(zone -> subnets.put(zone, "subnet-priming-" + zone));
      Ec2CloudProvider cloud = new Ec2CloudProvider(aws.ec2(),
          new Ec2CloudProvider.Settings("priming", "lt-priming", subnets), catalog::price, store, fanout);
      Provisioner provisioner = new Provisioner(store, cloud, new StaticOfferingSource(catalog, store), List::of,
          List::of, clock, () -> UUID.randomUUID().toString(), fanout);
      Provisioner.Decision first = provisioner.provision("priming", SyntheticWorkloads.mixed(30, 11));
      if (again) {
        // a second, smaller decision reads the claims and reservations the first wrote, as a real one reads those
        // of the decisions before it
        provisioner.provision("priming-again", SyntheticWorkloads.mixed(10, 12));
      }
      return first;
    }
  }

  /** A small synthetic catalog, for a plan that need not wait for the snapshot. */
  static OfferingCatalog synthetic() {
    return OfferingCatalog.of(SyntheticWorkloads.karpenterCatalog(60), SpotPrices.ratio(0.35));
  }
}
