package dev.flotilla.functions;

import dev.flotilla.binding.ScoringProfile;
import dev.flotilla.lifecycle.GarbageCollector;
import dev.flotilla.lifecycle.Lifecycle;
import dev.flotilla.manifest.Manifest;
import dev.flotilla.manifest.NodePoolReader;
import dev.flotilla.nodepool.NodePool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 *   <li>{@code FLOTILLA_SECURITY_GROUPS} ({@code sg-...,...}): the launch template's security groups, which each
 *       claim notes and network drift compares with (optional: no node drifts for its security groups);</li>
 *   <li>{@code FLOTILLA_NODEPOOLS_FILE}: the NodePools YAML file the stack ships beside the jar, or
 *       {@code FLOTILLA_NODEPOOLS}: the YAML itself (the default pool when neither is set): the seed, planned with
 *       while the cluster has no NodePools of its own in the table;</li>
 *   <li>{@code FLOTILLA_IMAGE_AMD64}, {@code FLOTILLA_IMAGE_ARM64}: the node image per architecture (optional: the
 *       launch template's image otherwise);</li>
 *   <li>{@code FLOTILLA_IMAGE_PARAMETER_AMD64}, {@code FLOTILLA_IMAGE_PARAMETER_ARM64}: the SSM parameters naming
 *       the node image per architecture, read again every few minutes so that a release drifts the old nodes
 *       (optional: the images above stand otherwise);</li>
 *   <li>{@code FLOTILLA_COMMAND_QUEUE_URL}: where in-cluster commands go (interruption and consolidation);</li>
 *   <li>{@code FLOTILLA_SCHEDULER_SCORING}: {@code LeastAllocated} (kube-scheduler's default, and EKS's) or
 *       {@code MostAllocated}, how the cluster's scheduler ranks the nodes a pod fits: consolidation's check of
 *       where a drained node's pods land, and the provisioner's judgement of pods the cluster's scheduler binds
 *       without a launch, place pods with it (optional: LeastAllocated);</li>
 *   <li>{@code FLOTILLA_LAUNCH_TIMEOUT}, {@code FLOTILLA_GC_GRACE} (seconds): optional.</li>
 * </ul>
 */
public record FunctionConfig(String cluster, String table, String launchTemplateId, Map<String, String> subnets,
    List<NodePool> nodePools, Duration launchTimeout, Duration gcGrace, Map<String, String> imageByArch,
    String commandQueueUrl, Map<String, String> imageParameterByArch, List<String> securityGroups,
    ScoringProfile schedulerScoring) {

  public FunctionConfig {
    imageParameterByArch = imageParameterByArch == null ? Map.of() : Map.copyOf(imageParameterByArch);
    securityGroups = securityGroups == null ? List.of() : List.copyOf(securityGroups);
    schedulerScoring = schedulerScoring == null ? ScoringProfile.LeastAllocated : schedulerScoring;
  }

  public FunctionConfig(String cluster, String table, String launchTemplateId, Map<String, String> subnets,
      List<NodePool> nodePools, Duration launchTimeout, Duration gcGrace, Map<String, String> imageByArch,
      String commandQueueUrl, Map<String, String> imageParameterByArch, List<String> securityGroups) {
    this(cluster, table, launchTemplateId, subnets, nodePools, launchTimeout, gcGrace, imageByArch, commandQueueUrl,
        imageParameterByArch, securityGroups, null);
  }

  public FunctionConfig(String cluster, String table, String launchTemplateId, Map<String, String> subnets,
      List<NodePool> nodePools, Duration launchTimeout, Duration gcGrace, Map<String, String> imageByArch,
      String commandQueueUrl, Map<String, String> imageParameterByArch) {
    this(cluster, table, launchTemplateId, subnets, nodePools, launchTimeout, gcGrace, imageByArch, commandQueueUrl,
        imageParameterByArch, List.of());
  }

  /** The subnets and security groups new nodes go into: what network drift compares nodes with. */
  public dev.flotilla.cloud.NodeNetwork network() {
    return new dev.flotilla.cloud.NodeNetwork(java.util.Set.copyOf(subnets.values()),
        java.util.Set.copyOf(securityGroups));
  }

  public FunctionConfig(String cluster, String table, String launchTemplateId, Map<String, String> subnets,
      List<NodePool> nodePools, Duration launchTimeout, Duration gcGrace, Map<String, String> imageByArch,
      String commandQueueUrl) {
    this(cluster, table, launchTemplateId, subnets, nodePools, launchTimeout, gcGrace, imageByArch, commandQueueUrl,
        Map.of());
  }

  public FunctionConfig(String cluster, String table, String launchTemplateId, Map<String, String> subnets,
      List<NodePool> nodePools, Duration launchTimeout, Duration gcGrace) {
    this(cluster, table, launchTemplateId, subnets, nodePools, launchTimeout, gcGrace, Map.of(), "");
  }

  /** The same configuration sending commands to {@code url}. */
  public FunctionConfig withCommandQueue(String url) {
    return new FunctionConfig(cluster, table, launchTemplateId, subnets, nodePools, launchTimeout, gcGrace,
        imageByArch, url, imageParameterByArch, securityGroups, schedulerScoring);
  }

  public static FunctionConfig fromEnvironment(Map<String, String> env) {
    Map<String, String> images = new LinkedHashMap<>();
    Map<String, String> parameters = new LinkedHashMap<>();
    for (String arch : List.of("amd64", "arm64")) {
      String image = env.getOrDefault("FLOTILLA_IMAGE_" + arch.toUpperCase(java.util.Locale.ROOT), "");
      if (!image.isBlank()) {
        images.put(arch, image.trim());
      }
      String parameter = env.getOrDefault("FLOTILLA_IMAGE_PARAMETER_" + arch.toUpperCase(java.util.Locale.ROOT), "");
      if (!parameter.isBlank()) {
        if (!parameter.trim().startsWith("/")) {
          throw new IllegalArgumentException("FLOTILLA_IMAGE_PARAMETER_" + arch.toUpperCase(java.util.Locale.ROOT)
              + ": '" + parameter + "' is not an SSM parameter name (it starts with /)");
        }
        parameters.put(arch, parameter.trim());
      }
    }
    return new FunctionConfig(
        required(env, "FLOTILLA_CLUSTER"),
        required(env, "FLOTILLA_TABLE"),
        env.getOrDefault("FLOTILLA_LAUNCH_TEMPLATE_ID", ""),
        subnets(env.getOrDefault("FLOTILLA_SUBNETS", "")),
        nodePools(env),
        seconds(env, "FLOTILLA_LAUNCH_TIMEOUT", Lifecycle.LAUNCH_TIMEOUT),
        seconds(env, "FLOTILLA_GC_GRACE", GarbageCollector.GRACE),
        images,
        env.getOrDefault("FLOTILLA_COMMAND_QUEUE_URL", ""),
        parameters,
        securityGroups(env.getOrDefault("FLOTILLA_SECURITY_GROUPS", "")),
        scoring(env.getOrDefault("FLOTILLA_SCHEDULER_SCORING", "")));
  }

  private static ScoringProfile scoring(String value) {
    if (value.isBlank()) {
      return ScoringProfile.LeastAllocated;
    }
    return ScoringProfile.named(value.trim()).orElseThrow(() -> new IllegalArgumentException(
        "FLOTILLA_SCHEDULER_SCORING: '" + value + "' is not LeastAllocated or MostAllocated"));
  }

  // A file because Lambda caps all environment variables together at 4 KB, less than a few NodePools take
  private static List<NodePool> nodePools(Map<String, String> env) {
    String file = env.getOrDefault("FLOTILLA_NODEPOOLS_FILE", "");
    if (!file.isBlank()) {
      try {
        return NodePoolReader.read(Manifest.parse(file, Files.readString(Path.of(file))));
      } catch (IOException e) {
        throw new UncheckedIOException("FLOTILLA_NODEPOOLS_FILE: cannot read " + file, e);
      }
    }
    String pools = env.getOrDefault("FLOTILLA_NODEPOOLS", "");
    return pools.isBlank() ? List.of() : NodePoolReader.read(Manifest.parse("FLOTILLA_NODEPOOLS", pools));
  }

  static List<String> securityGroups(String text) {
    List<String> groups = new java.util.ArrayList<>();
    for (String group : text.split(",")) {
      if (group.isBlank()) {
        continue;
      }
      if (!group.trim().startsWith("sg-")) {
        throw new IllegalArgumentException("FLOTILLA_SECURITY_GROUPS: '" + group + "' is not a security group id");
      }
      groups.add(group.trim());
    }
    return groups;
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
      throw new MissingSetting(name);
    }
    return v;
  }

  /** A setting the environment must give and does not. */
  public static final class MissingSetting extends IllegalStateException {
    private static final long serialVersionUID = 1L;
    private final String setting;

    MissingSetting(String setting) {
      super(setting + " is not set");
      this.setting = setting;
    }

    public String setting() {
      return setting;
    }
  }

  private static Duration seconds(Map<String, String> env, String name, Duration fallback) {
    String v = env.get(name);
    return v == null || v.isBlank() ? fallback : Duration.ofSeconds(Long.parseLong(v.trim()));
  }
}
