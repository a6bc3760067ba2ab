package dev.flotilla.model;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongBinaryOperator;

/**
 * An amount of each resource a pod requests or a node offers, keyed by the Kubernetes resource name. CPU is in
 * millicores, memory and storage in bytes, everything else in units. Absent means zero.
 */
public record Resources(@com.fasterxml.jackson.annotation.JsonValue Map<String, Long> amounts) {

  public static final String CPU = "cpu";
  public static final String MEMORY = "memory";
  public static final String PODS = "pods";
  public static final String EPHEMERAL_STORAGE = "ephemeral-storage";
  public static final String NVIDIA_GPU = "nvidia.com/gpu";
  public static final String AMD_GPU = "amd.com/gpu";
  public static final String NEURON = "aws.amazon.com/neuron";

  public static final Resources NONE = new Resources(Map.of());

  public Resources {
    TreeMap<String, Long> sorted = new TreeMap<>();
    amounts.forEach((k, v) -> {
      if (v < 0) {
        throw new IllegalArgumentException("negative amount of " + k + ": " + v);
      }
      if (v != 0) {
        sorted.put(k, v);
      }
    });
    // names in order, so that printing and JSON are stable, but looked up by hash: the scheduler and the binder read
    // a pod's cpu and memory millions of times a simulated hour, and a tree's string comparisons cost most of that
    amounts = Collections.unmodifiableMap(new java.util.LinkedHashMap<>(sorted));
  }

  /** Reads the JSON form, a plain map of resource name to amount. */
  @com.fasterxml.jackson.annotation.JsonCreator(mode = com.fasterxml.jackson.annotation.JsonCreator.Mode.DELEGATING)
  public static Resources fromJson(Map<String, Long> amounts) {
    return new Resources(amounts == null ? Map.of() : amounts);
  }

  public static Resources of(String name, long amount) {
    return new Resources(Map.of(name, amount));
  }

  public static Resources of(long cpuMillis, long memoryBytes) {
    return new Resources(Map.of(CPU, cpuMillis, MEMORY, memoryBytes));
  }

  public long get(String name) {
    return amounts.getOrDefault(name, 0L);
  }

  public long cpuMillis() {
    return get(CPU);
  }

  public long memoryBytes() {
    return get(MEMORY);
  }

  public Resources with(String name, long amount) {
    TreeMap<String, Long> copy = new TreeMap<>(amounts);
    copy.put(name, amount);
    return new Resources(copy);
  }

  public Resources plus(Resources other) {
    return combine(other, Long::sum);
  }

  /** Saturates at zero: what is left of a node's room never goes negative. */
  public Resources minus(Resources other) {
    return combine(other, (a, b) -> Math.max(0, a - b));
  }

  public Resources max(Resources other) {
    return combine(other, Math::max);
  }

  /** True when every amount here is at most the same amount in {@code room}. */
  public boolean fitsIn(Resources room) {
    for (Map.Entry<String, Long> e : amounts.entrySet()) {
      if (e.getValue() > room.get(e.getKey())) {
        return false;
      }
    }
    return true;
  }

  private Resources combine(Resources other, LongBinaryOperator op) {
    TreeMap<String, Long> result = new TreeMap<>(amounts);
    for (Map.Entry<String, Long> e : other.amounts.entrySet()) {
      result.put(e.getKey(), op.applyAsLong(result.getOrDefault(e.getKey(), 0L), e.getValue()));
    }
    for (Map.Entry<String, Long> e : amounts.entrySet()) {
      if (!other.amounts.containsKey(e.getKey())) {
        result.put(e.getKey(), op.applyAsLong(e.getValue(), 0L));
      }
    }
    return new Resources(result);
  }

  /** Human form: {@code cpu=1500m memory=2Gi pods=3}. */
  public static String format(String name, long amount) {
    if (CPU.equals(name)) {
      return amount % 1000 == 0 ? Long.toString(amount / 1000) : amount + "m";
    }
    if (MEMORY.equals(name) || EPHEMERAL_STORAGE.equals(name)) {
      if (amount % (1L << 30) == 0) {
        return (amount >> 30) + "Gi";
      }
      if (amount % (1L << 20) == 0) {
        return (amount >> 20) + "Mi";
      }
      return String.format(java.util.Locale.ROOT, "%.1fMi", amount / 1048576.0);
    }
    return Long.toString(amount);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    amounts.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : " ").append(k).append('=').append(format(k, v)));
    return sb.toString();
  }
}
