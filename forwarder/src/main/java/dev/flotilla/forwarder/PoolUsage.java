package dev.flotilla.forwarder;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What one NodePool's nodes add up to, as its status reports it: {@code resources} in Karpenter's form (cpu, memory
 * and nodes as quantities, against the pool's limits), their price per hour, and its claims by state where known.
 */
record PoolUsage(long nodes, long cpuMillis, long memoryBytes, double pricePerHour, Map<String, Integer> claims) {

  static final PoolUsage NONE = new PoolUsage(0, 0, 0, 0, Map.of());

  PoolUsage {
    claims = Map.copyOf(claims);
  }

  PoolUsage plus(long cpu, long memory, double price) {
    return new PoolUsage(nodes + 1, cpuMillis + cpu, memoryBytes + memory, pricePerHour + price, claims);
  }

  PoolUsage withClaims(Map<String, Integer> byState) {
    return new PoolUsage(nodes, cpuMillis, memoryBytes, pricePerHour, byState);
  }

  Map<String, Object> resources() {
    Map<String, Object> resources = new LinkedHashMap<>();
    resources.put("cpu", cpuMillis % 1000 == 0 ? Long.toString(cpuMillis / 1000) : cpuMillis + "m");
    resources.put("memory", memory(memoryBytes));
    resources.put("nodes", Long.toString(nodes));
    return resources;
  }

  String pricePerHourText() {
    return String.format(Locale.ROOT, "%.4f", pricePerHour);
  }

  /** The largest binary unit that states the amount exactly, as {@code kubectl} shows memory. */
  static String memory(long bytes) {
    String[] units = {"Ki", "Mi", "Gi", "Ti"};
    String text = Long.toString(bytes);
    long value = bytes;
    for (String unit : units) {
      if (value == 0 || value % 1024 != 0) {
        break;
      }
      value /= 1024;
      text = value + unit;
    }
    return text;
  }
}
