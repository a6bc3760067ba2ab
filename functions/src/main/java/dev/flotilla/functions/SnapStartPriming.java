package dev.flotilla.functions;

import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.catalog.StaticOfferingSource;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.cloud.InMemoryCloud;
import dev.flotilla.provisioning.Provisioner;
import dev.flotilla.scheduling.SyntheticWorkloads;
import java.time.Clock;
import java.util.List;
import org.crac.Context;
import org.crac.Core;
import org.crac.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a decision touches, made ready before it is needed: the scheduler's paths run on a representative plan over
 * in-memory ports (classes loaded, hot methods compiled), the catalog snapshot read, the SDK clients built. Runs at
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
      plan(services.offerings.catalog());
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
        List::of, List::of, clock).provision("priming", SyntheticWorkloads.mixed(100, 11));
  }

  /** A small synthetic catalog, for a plan that need not wait for the snapshot. */
  static OfferingCatalog synthetic() {
    return OfferingCatalog.of(SyntheticWorkloads.karpenterCatalog(60), SpotPrices.ratio(0.35));
  }
}
