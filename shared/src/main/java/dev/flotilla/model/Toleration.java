package dev.flotilla.model;

import java.util.List;

/** A pod toleration. An empty key with operator Exists tolerates every taint; an empty effect matches every effect. */
public record Toleration(String key, String operator, String value, String effect) {

  public Toleration {
    key = key == null ? "" : key;
    operator = operator == null || operator.isEmpty() ? "Equal" : operator;
    value = value == null ? "" : value;
    effect = effect == null ? "" : effect;
    if (!operator.equals("Equal") && !operator.equals("Exists")) {
      throw new IllegalArgumentException("toleration " + key + ": operator must be Equal or Exists, not " + operator);
    }
  }

  public boolean tolerates(Taint taint) {
    if (!effect.isEmpty() && !effect.equals(taint.effect())) {
      return false;
    }
    if (key.isEmpty()) {
      return operator.equals("Exists");
    }
    if (!key.equals(taint.key())) {
      return false;
    }
    return operator.equals("Exists") || value.equals(taint.value());
  }

  /** The first taint that blocks scheduling and that none of the tolerations tolerates, or null. */
  public static Taint firstUntolerated(List<Taint> taints, List<Toleration> tolerations) {
    for (Taint taint : taints) {
      if (!taint.blocksScheduling()) {
        continue;
      }
      boolean tolerated = false;
      for (Toleration t : tolerations) {
        if (t.tolerates(taint)) {
          tolerated = true;
          break;
        }
      }
      if (!tolerated) {
        return taint;
      }
    }
    return null;
  }
}
