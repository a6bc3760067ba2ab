package dev.flotilla.model;

import java.util.Locale;

/** How an instance is bought. The label values are Karpenter's. */
public enum CapacityType {
  ON_DEMAND("on-demand"), SPOT("spot");

  private final String label;

  CapacityType(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  public static CapacityType fromLabel(String value) {
    for (CapacityType t : values()) {
      if (t.label.equals(value.toLowerCase(Locale.ROOT))) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown capacity type '" + value + "' (on-demand, spot)");
  }
}
