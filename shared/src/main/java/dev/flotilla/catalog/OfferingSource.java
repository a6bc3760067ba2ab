package dev.flotilla.catalog;

/** Where the scheduler's offerings come from: EC2's APIs in AWS, a fixed catalog in plans and simulations. */
@FunctionalInterface
public interface OfferingSource {

  /** The offerings that can be bought now, less those marked unavailable. */
  OfferingCatalog catalog();
}
