package dev.flotilla.catalog;

import dev.flotilla.claims.ClaimStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Offerings from the stored catalog snapshot, so that no decision calls the AWS catalog APIs: the snapshot is read
 * from the store at the first call (a function's init) and again once it is older than {@code refresh} (at most
 * once per {@code refresh}); the schedule rebuilds it ({@link #refreshIfOlderThan}). Where no snapshot was ever
 * stored, the first call builds one, once, and stores it. A snapshot older than {@link CatalogSnapshot#STALE_AFTER}
 * is logged as stale and still served; the bundled catalog serves only when there is no snapshot and none can be
 * built. Offerings the claim store marks unavailable are left out on every call.
 */
public final class SnapshotOfferingSource implements OfferingSource {

  private static final Logger LOG = LoggerFactory.getLogger(SnapshotOfferingSource.class);

  private final CatalogSnapshotStore snapshots;
  private final Supplier<CatalogSnapshot> builder;
  private final Supplier<CatalogFile> bundled;
  private final ClaimStore store;
  private final Clock clock;
  private final Duration refresh;
  private CatalogSnapshot snapshot;
  private OfferingCatalog catalog;
  private Instant readAt = Instant.MIN;
  private Instant staleLogged;
  private boolean bundledLogged;

  /**
   * @param builder builds a snapshot from the AWS catalog APIs now; throws when they fail
   * @param refresh how old a snapshot gets before the store is read again, and before the schedule rebuilds it
   */
  public SnapshotOfferingSource(CatalogSnapshotStore snapshots, Supplier<CatalogSnapshot> builder,
      CatalogFile bundled, ClaimStore store, Clock clock, Duration refresh) {
    this(snapshots, builder, () -> bundled, store, clock, refresh);
  }

  /** @param bundled the bundled catalog, read only where it serves (its parse is not on the cold path) */
  public SnapshotOfferingSource(CatalogSnapshotStore snapshots, Supplier<CatalogSnapshot> builder,
      Supplier<CatalogFile> bundled, ClaimStore store, Clock clock, Duration refresh) {
    this.snapshots = snapshots;
    this.builder = builder;
    this.bundled = bundled;
    this.store = store;
    this.clock = clock;
    this.refresh = refresh;
  }

  @Override
  public OfferingCatalog catalog() {
    OfferingCatalog current;
    synchronized (this) {
      if (catalog == null || due()) {
        read();
      }
      current = catalog;
    }
    return current.without(store.unavailable());
  }

  /** The snapshot served now, if any (none: the bundled catalog serves, or nothing was read yet). */
  public synchronized Optional<CatalogSnapshot> snapshot() {
    return Optional.ofNullable(snapshot);
  }

  /**
   * The catalog served now with the offerings marked unavailable still in it: for the price of what was just bought,
   * which needs no read of the marks.
   */
  public OfferingCatalog catalogWithUnavailable() {
    synchronized (this) {
      if (catalog == null || due()) {
        read();
      }
      return catalog;
    }
  }

  /** An instance type as the catalog served now describes it, marked unavailable or not. */
  public Optional<InstanceType> type(String name) {
    synchronized (this) {
      if (catalog == null) {
        read();
      }
      return Optional.ofNullable(catalog.type(name));
    }
  }

  /** How old the snapshot served now is, if one serves. */
  public synchronized Optional<Duration> snapshotAge() {
    return snapshot().map(s -> s.age(clock.instant()));
  }

  /** Whether a snapshot served now is older than {@code age}, or none serves. */
  public synchronized boolean olderThan(Duration age) {
    return snapshot == null || snapshot.age(clock.instant()).compareTo(age) >= 0;
  }

  /**
   * The schedule's refresh: reads the stored snapshot and, where it is older than {@code age} or absent, builds one
   * from the AWS APIs and stores it. Throws when the build fails (the snapshot served is kept).
   *
   * @return whether a snapshot was built
   */
  public synchronized boolean refreshIfOlderThan(Duration age) {
    read();
    if (!olderThan(age)) {
      return false;
    }
    CatalogSnapshot built = builder.get();
    snapshots.put(built);
    serve(built);
    return true;
  }

  private boolean due() {
    Instant last = snapshot == null ? readAt : (readAt.isAfter(snapshot.builtAt()) ? readAt : snapshot.builtAt());
    return !clock.instant().isBefore(last.plus(refresh));
  }

  private void read() {
    readAt = clock.instant();
    try {
      Optional<CatalogSnapshot> stored = snapshots.latest();
      if (stored.isPresent()) {
        serve(stored.get());
        return;
      }
      if (snapshot == null) {
        CatalogSnapshot built = builder.get();
        snapshots.put(built);
        LOG.info("no catalog snapshot was stored: built one of {} instance types from {} and stored it",
            built.instanceTypes().size(), built.sources());
        serve(built);
        return;
      }
    } catch (RuntimeException e) {
      if (snapshot != null) {
        LOG.warn("catalog snapshot read failed ({}: {}); serving the one built at {}", e.getClass().getSimpleName(),
            e.getMessage(), snapshot.builtAt());
      } else if (catalog == null || !bundledLogged) {
        bundledLogged = true;
        LOG.warn("no catalog snapshot could be read or built ({}: {}); serving the bundled {} catalog with estimated "
            + "spot prices until one can", e.getClass().getSimpleName(), e.getMessage(), bundled.get().region());
      }
    }
    if (catalog == null) {
      catalog = OfferingCatalog.of(bundled.get(), SpotPrices.ratio(0.35));
    }
  }

  private void serve(CatalogSnapshot s) {
    if (snapshot == null || !s.builtAt().equals(snapshot.builtAt())) {
      snapshot = s;
      catalog = s.catalog();
      bundledLogged = false;
    }
    if (s.staleAt(clock.instant()) && !s.builtAt().equals(staleLogged)) {
      staleLogged = s.builtAt();
      LOG.warn("catalog snapshot built at {} is stale ({} old); serving it until the schedule builds a newer one",
          s.builtAt(), s.age(clock.instant()));
    }
  }
}
