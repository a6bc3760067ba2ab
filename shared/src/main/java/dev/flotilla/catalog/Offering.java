package dev.flotilla.catalog;

import dev.flotilla.model.CapacityType;

/** An instance type bought in one zone, on-demand or spot, at a price in USD per hour. */
public record Offering(InstanceType type, String zone, CapacityType capacityType, double pricePerHour) {

  /** The identity of an offering, as capacity errors mark it unavailable. */
  public record Key(String instanceType, String zone, CapacityType capacityType) {
    @Override
    public String toString() {
      return instanceType + "/" + zone + "/" + capacityType.label();
    }
  }

  public Key key() {
    return new Key(type.name(), zone, capacityType);
  }
}
