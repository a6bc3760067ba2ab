package dev.flotilla.functions;

import dev.flotilla.lifecycle.GarbageCollector;
import dev.flotilla.lifecycle.Lifecycle;
import dev.flotilla.manifest.Manifest;
import dev.flotilla.manifest.NodePoolReader;
import dev.flotilla.nodepool.NodePool;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a function needs to know, all from its environment (set by the CDK stack; no secrets).
 *
 * <ul>
 *   <li>{@code FLOTILLA_CLUSTER}, {@code FLOTILLA_TABLE}: whose claims, where;</li>
 *   <li>{@code FLOTILLA_LAUNCH_TEMPLATE_ID}, {@code FLOTILLA_SUBNETS} ({@code zone=subnet,...}): where nodes go;</li>
 *   <li>{@code FLOTILLA_NODEPOOLS}: the NodePools YAML (the default pool when unset);</li>
 *   <li>{@code FLOTILLA_LAUNCH_TIMEOUT}, {@code FLOTILLA_GC_GRACE} (seconds): optional.</li>
 * </ul>
 */
public record FunctionConfig(String cluster, String table, String launchTemplateId, Map<String, String> subnets,
    List<NodePool> nodePools, Duration launchTimeout, Duration gcGrace) {

  public static FunctionConfig fromEnvironment(Map<String, String> env) {
    String pools = env.getOrDefault("FLOTILLA_NODEPOOLS", "");
    return new FunctionConfig(
        required(env, "FLOTILLA_CLUSTER"),
        required(env, "FLOTILLA_TABLE"),
        env.getOrDefault("FLOTILLA_LAUNCH_TEMPLATE_ID", ""),
        subnets(env.getOrDefault("FLOTILLA_SUBNETS", "")),
        pools.isBlank() ? List.of() : NodePoolReader.read(Manifest.parse("FLOTILLA_NODEPOOLS", pools)),
        seconds(env, "FLOTILLA_LAUNCH_TIMEOUT", Lifecycle.LAUNCH_TIMEOUT),
        seconds(env, "FLOTILLA_GC_GRACE", GarbageCollector.GRACE));
  }

  static Map<String, String> subnets(String text) {
    Map<String, String> result = new LinkedHashMap<>();
    for (String pair : text.split(",")) {
      if (pair.isBlank()) {
        continue;
      }
      String[] kv = pair.trim().split("=", 2);
      if (kv.length != 2 || kv[0].isBlank() || kv[1].isBlank()) {
        throw new IllegalArgumentException("FLOTILLA_SUBNETS: '" + pair + "' is not zone=subnet-id");
      }
      result.put(kv[0].trim(), kv[1].trim());
    }
    return result;
  }

  private static String required(Map<String, String> env, String name) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      throw new IllegalStateException(name + " is not set");
    }
    return v;
  }

  private static Duration seconds(Map<String, String> env, String name, Duration fallback) {
    String v = env.get(name);
    return v == null || v.isBlank() ? fallback : Duration.ofSeconds(Long.parseLong(v.trim()));
  }
}
