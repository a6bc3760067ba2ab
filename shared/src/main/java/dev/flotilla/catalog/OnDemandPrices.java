package dev.flotilla.catalog;

import java.util.Map;

/** Where on-demand prices come from when they are not the bundled table's: the AWS Price List API in AWS. */
@FunctionalInterface
public interface OnDemandPrices {

  /**
   * Linux, shared-tenancy on-demand prices in USD per hour by instance type name, for one region. Types the source
   * has no usable price for are absent. Throws (an unchecked exception) when the source cannot answer at all.
   */
  Map<String, Double> usdPerHour(String region);
}
