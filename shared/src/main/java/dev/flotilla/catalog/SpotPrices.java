package dev.flotilla.catalog;

/** Where spot prices come from: the EC2 price history in AWS, a ratio of on-demand in plans and simulations. */
@FunctionalInterface
public interface SpotPrices {

  /** The current spot price of the type in the zone, or NaN when it has none there. */
  double price(InstanceType type, String zone);

  static SpotPrices none() {
    return (type, zone) -> Double.NaN;
  }

  /**
   * Spot at {@code ratio} of on-demand, varied by up to ±10% per type and zone with a fixed hash, so that zones
   * differ as they do in AWS and every run sees the same prices.
   */
  static SpotPrices ratio(double ratio) {
    if (!(ratio > 0 && ratio <= 1)) {
      throw new IllegalArgumentException("spot price ratio must be in (0, 1], not " + ratio);
    }
    return (type, zone) -> {
      int h = (type.name() + "@" + zone).hashCode();
      double jitter = 1.0 + (((h >>> 8) % 2001) - 1000) / 10_000.0;
      return Math.round(type.onDemandUsdPerHour() * ratio * jitter * 1e5) / 1e5;
    };
  }
}
