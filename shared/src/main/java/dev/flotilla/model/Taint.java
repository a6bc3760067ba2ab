package dev.flotilla.model;

/** A node taint. Effects: NoSchedule, PreferNoSchedule, NoExecute. */
public record Taint(String key, String value, String effect) {

  public Taint {
    if (key == null || key.isBlank()) {
      throw new IllegalArgumentException("taint: key is required");
    }
    value = value == null ? "" : value;
    if (!"NoSchedule".equals(effect) && !"PreferNoSchedule".equals(effect) && !"NoExecute".equals(effect)) {
      throw new IllegalArgumentException("taint " + key + ": effect must be NoSchedule, PreferNoSchedule or NoExecute, not " + effect);
    }
  }

  /** PreferNoSchedule is only a preference: it never keeps a pod off a node. */
  public boolean blocksScheduling() {
    return !"PreferNoSchedule".equals(effect);
  }

  @Override
  public String toString() {
    return key + (value.isEmpty() ? "" : "=" + value) + ":" + effect;
  }
}
