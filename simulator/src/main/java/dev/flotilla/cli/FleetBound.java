package dev.flotilla.cli;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.model.PendingPod;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.scheduling.Scheduler;
import dev.flotilla.scheduling.SchedulingInput;
import java.util.List;
import java.util.Map;

/**
 * The fractional lower bound of what the pods the fleet runs could cost an hour, over the bundled catalog with spot at
 * {@code flotilla plan}'s default share of on-demand: the figure the simulator and the provisioner's decisions compare
 * a fleet with.
 */
final class FleetBound {

  static final double SPOT_RATIO = 0.35;

  private FleetBound() {
  }

  static double of(List<PendingPod> running, List<NodePool> pools, List<PendingPod> daemonSets) {
    if (running.isEmpty()) {
      return 0;
    }
    OfferingCatalog catalog = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.ratio(SPOT_RATIO));
    return new Scheduler().schedule(new SchedulingInput(running, pools, catalog, daemonSets, Map.of()))
        .lowerBoundPerHour();
  }
}
