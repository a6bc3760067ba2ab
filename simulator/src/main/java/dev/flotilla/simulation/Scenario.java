package dev.flotilla.simulation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.flotilla.binding.ScoringProfile;
import dev.flotilla.manifest.Manifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A simulation to run: the workloads and NodePools (manifests), the simulated EC2's behaviour, and what happens when.
 * Read from YAML; every error names the file and the field.
 */
public record Scenario(String name, Duration duration, Ec2 ec2, Cluster cluster, List<Manifest> manifests,
    List<Event> events, Faults faults) {

  /** The same scenario with other faults (a test sweeping seeds, say). */
  public Scenario withFaults(Faults other) {
    return new Scenario(name, duration, ec2, cluster, manifests, events, other);
  }

  /** The largest factor {@link #withReplicasScaled} takes: a hundred times a shipped scenario is a million pods. */
  public static final double MAX_REPLICAS_FACTOR = 100;
  /**
   * The kinds of workload a scenario runs, by the field that says how many pods each runs at once ({@code
   * spec.replicas}, a Job's {@code spec.parallelism}; one when it says none). A Job's pods run until the scenario
   * ends: completions are not modelled.
   */
  static final Map<String, String> REPLICATED = Map.of("Deployment", "replicas", "StatefulSet", "replicas",
      "ReplicaSet", "replicas", "Job", "parallelism");
  /** Kinds a scenario reads for what they say of the cluster rather than for pods of their own. */
  private static final java.util.Set<String> CLUSTER_KINDS = java.util.Set.of("NodePool", "EC2NodeClass",
      "DaemonSet", "PodDisruptionBudget", "Namespace", "ConfigMap", "Secret", "Service", "ServiceAccount");

  /** How many pods a workload's manifest asks for at once. */
  static int replicas(Manifest m) {
    return m.node().path("spec").path(REPLICATED.get(m.kind())).asInt(1);
  }

  /**
   * The manifests whose pods the scenario does not run, each with why: a bare Pod (no controller would make it
   * again after a drain, which the simulated cluster does for every pod it runs), and kinds it does not know.
   */
  public List<String> notRun() {
    List<String> notes = new ArrayList<>();
    for (Manifest m : manifests) {
      if (REPLICATED.containsKey(m.kind()) || CLUSTER_KINDS.contains(m.kind())) {
        continue;
      }
      notes.add(m.describe() + " is not run: the simulator runs the pods of Deployments, StatefulSets, "
          + "ReplicaSets and Jobs" + (m.kind().equals("Pod") ? " (a Deployment of one replica stands for a bare Pod)"
              : ""));
    }
    return notes;
  }

  /**
   * The same scenario at another size: every workload's replicas (Deployments, StatefulSets and ReplicaSets as the
   * manifests declare them, and each scale event) times {@code factor}, rounded, a workload with any keeping at least
   * one. Named after the factor. A change tuned on the shipped scenarios is checked on sizes it was not tuned on.
   */
  public Scenario withReplicasScaled(double factor) {
    if (!(factor > 0 && factor <= MAX_REPLICAS_FACTOR)) {
      throw new IllegalArgumentException("a replicas factor is a number above 0 and at most " + MAX_REPLICAS_FACTOR
          + ", not " + factor);
    }
    if (factor == 1) {
      return this;
    }
    List<Manifest> scaled = new java.util.ArrayList<>();
    for (Manifest m : manifests) {
      if (REPLICATED.containsKey(m.kind())) {
        com.fasterxml.jackson.databind.node.ObjectNode copy = m.node().deepCopy();
        com.fasterxml.jackson.databind.node.ObjectNode spec = copy.get("spec")
            instanceof com.fasterxml.jackson.databind.node.ObjectNode o ? o : copy.putObject("spec");
        spec.put(REPLICATED.get(m.kind()), scaled(replicas(m), factor));
        scaled.add(new Manifest(m.source(), m.index(), copy));
      } else {
        scaled.add(m);
      }
    }
    List<Event> more = events.stream().map(e -> e instanceof Scale x
        ? new Scale(x.at(), x.workload(), scaled(x.replicas(), factor)) : e).toList();
    return new Scenario(name + " (replicas x" + factor + ")", duration, ec2, cluster, scaled, more, faults);
  }

  private static int scaled(int replicas, double factor) {
    return replicas == 0 ? 0 : (int) Math.max(1, Math.round(replicas * factor));
  }

  /**
   * How the cluster behaves: how its scheduler scores nodes (kube-scheduler's default profile unless the scenario says
   * otherwise) and which pods a workload's controller deletes when it scales down ({@link ScaleDownOrder}).
   */
  public record Cluster(ScoringProfile scoring, ScaleDownOrder.Rule scaleDown) {
    public static final Cluster DEFAULT = new Cluster(ScoringProfile.LeastAllocated, ScaleDownOrder.Rule.NewestFirst);

    public Cluster {
      scoring = scoring == null ? ScoringProfile.LeastAllocated : scoring;
      scaleDown = scaleDown == null ? ScaleDownOrder.Rule.NewestFirst : scaleDown;
    }
  }

  /** The same scenario with its controllers deleting pods by {@code rule} when a workload scales down. */
  public Scenario withScaleDown(ScaleDownOrder.Rule rule) {
    if (rule == cluster.scaleDown()) {
      return this;
    }
    return new Scenario(name + " (scale-down " + rule + ")", duration, ec2, new Cluster(cluster.scoring(), rule),
        manifests, events, faults);
  }

  /** How the simulated EC2 behaves. */
  public record Ec2(int bootSeconds, double spotPriceRatio) {
    public static final Ec2 DEFAULT = new Ec2(45, 0.35);
  }

  public Scenario {
    cluster = cluster == null ? Cluster.DEFAULT : cluster;
    faults = faults == null ? Faults.NONE : faults;
  }

  /** Something that happens at {@code at} after the start. */
  public sealed interface Event {
    Duration at();
  }

  /** A workload ({@code namespace/name}) scaled to {@code replicas}. */
  public record Scale(Duration at, String workload, int replicas) implements Event {}

  /** EC2 has no capacity for a family or a type in a zone (every zone when none is named) for a while. */
  public record InsufficientCapacity(Duration at, String instanceFamily, String instanceType, String zone,
      Duration duration) implements Event {}

  /** EC2 reclaims this fraction of the running spot instances, with the two-minute warning. */
  public record SpotInterruption(Duration at, double fraction) implements Event {}

  /** A NodePool of the manifests changed: each dotted path ({@code spec.template.metadata.labels.team}) set. */
  public record NodePoolChange(Duration at, String nodePool, java.util.Map<String, JsonNode> set) implements Event {}

  /** A new node image for an architecture ({@code amd64}, {@code arm64}, or {@code all}). */
  public record ImageRelease(Duration at, String arch) implements Event {}

  /**
   * {@code count} running nodes (Flotilla's, chosen by the run's seed) get their {@code condition} set to
   * {@code status} for {@code lasting}; after that, those still there recover.
   */
  public record NodeFailure(Duration at, int count, String condition, String status, Duration lasting)
      implements Event {}

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

  public static Scenario read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException("scenario " + file + ": cannot read", e);
    }
    return parse(file.toString(), text, file.toAbsolutePath().getParent());
  }

  public static Scenario parse(String source, String yaml, Path base) {
    JsonNode root;
    try {
      root = YAML.readTree(yaml);
    } catch (IOException e) {
      throw new IllegalArgumentException(source + ": not valid YAML: "
          + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(source + ": a scenario is a YAML mapping");
    }
    String name = root.path("name").asText("");
    if (name.isBlank()) {
      throw error(source, "name", "is required");
    }
    Duration duration = duration(source, "duration", root.path("duration"));
    JsonNode ec2Node = root.path("ec2");
    Ec2 ec2 = new Ec2(ec2Node.path("bootSeconds").asInt(Ec2.DEFAULT.bootSeconds()),
        ec2Node.path("spotPriceRatio").asDouble(Ec2.DEFAULT.spotPriceRatio()));
    if (ec2.bootSeconds() < 0 || ec2.spotPriceRatio() <= 0 || ec2.spotPriceRatio() > 1) {
      throw error(source, "ec2", "bootSeconds must be 0 or more and spotPriceRatio in (0, 1]");
    }
    JsonNode clusterNode = root.path("cluster");
    Cluster cluster = new Cluster(clusterOption(source, clusterNode, "scoring", Cluster.DEFAULT.scoring()),
        clusterOption(source, clusterNode, "scaleDown", Cluster.DEFAULT.scaleDown()));
    List<Manifest> manifests = new ArrayList<>();
    JsonNode list = root.path("manifests");
    for (int i = 0; i < list.size(); i++) {
      JsonNode item = list.get(i);
      if (item.isTextual()) {
        Path file = base.resolve(item.asText()).normalize();
        if (!Files.isRegularFile(file)) {
          throw error(source, "manifests[" + i + "]", "file " + file + " does not exist");
        }
        manifests.addAll(Manifest.read(file));
      } else if (item.isObject()) {
        manifests.add(new Manifest(source + " manifests[" + i + "]", 1, item));
      } else {
        throw error(source, "manifests[" + i + "]", "is a file name or an inline document");
      }
    }
    List<Event> events = new ArrayList<>();
    JsonNode eventList = root.path("events");
    for (int i = 0; i < eventList.size(); i++) {
      events.add(event(source, "events[" + i + "]", eventList.get(i), duration));
    }
    Faults faults = root.has("faults") ? faults(source, root.path("faults"), duration) : Faults.NONE;
    return new Scenario(name, duration, ec2, cluster, manifests, events, faults);
  }

  private static Faults faults(String source, JsonNode f, Duration end) {
    if (!f.isObject()) {
      throw error(source, "faults", "is a mapping");
    }
    List<Duration> restarts = new ArrayList<>();
    JsonNode at = f.path("forwarderRestartAt");
    for (int i = 0; i < at.size(); i++) {
      restarts.add(duration(source, "faults.forwarderRestartAt[" + i + "]", at.get(i)));
    }
    JsonNode fleet = f.path("fleet");
    int concurrency = f.path("concurrency").asInt(1);
    if (concurrency < 1) {
      throw error(source, "faults.concurrency", "is 1 or more");
    }
    return new Faults(f.path("seed").asLong(1),
        share(source, "faults.duplicateDelivery", f.path("duplicateDelivery")),
        share(source, "faults.reorder", f.path("reorder")),
        concurrency,
        share(source, "faults.crashAfterPortCall", f.path("crashAfterPortCall")),
        share(source, "faults.fleet.insufficientCapacity", fleet.path("insufficientCapacity")),
        share(source, "faults.fleet.partial", fleet.path("partial")),
        share(source, "faults.fleet.lostResponse", fleet.path("lostResponse")),
        share(source, "faults.throttle", f.path("throttle")),
        Duration.ofSeconds(f.path("ttlLagSeconds").asLong(0)),
        restarts,
        f.has("until") ? duration(source, "faults.until", f.path("until")) : end);
  }

  private static double share(String source, String path, JsonNode node) {
    if (node.isMissingNode()) {
      return 0;
    }
    double v = node.asDouble(-1);
    if (!node.isNumber() || v < 0 || v > 1) {
      throw error(source, path, "is a share from 0 to 1, got '" + node.asText() + "'");
    }
    return v;
  }

  private static Event event(String source, String path, JsonNode e, Duration end) {
    Duration at = duration(source, path + ".at", e.path("at"));
    // a run stops just before its end: an event at the end would never happen
    if (at.compareTo(end) >= 0) {
      throw error(source, path + ".at", "is at or after the scenario's end");
    }
    if (e.has("scale")) {
      JsonNode s = e.path("scale");
      String workload = s.path("workload").asText("");
      if (!workload.contains("/")) {
        throw error(source, path + ".scale.workload", "is namespace/name, got '" + workload + "'");
      }
      if (!s.path("replicas").canConvertToInt() || s.path("replicas").asInt() < 0) {
        throw error(source, path + ".scale.replicas", "is a count of 0 or more");
      }
      return new Scale(at, workload, s.path("replicas").asInt());
    }
    if (e.has("insufficientCapacity")) {
      JsonNode c = e.path("insufficientCapacity");
      String family = c.path("instanceFamily").asText(null);
      String type = c.path("instanceType").asText(null);
      if (family == null && type == null) {
        throw error(source, path + ".insufficientCapacity", "names an instanceFamily or an instanceType");
      }
      return new InsufficientCapacity(at, family, type, c.path("zone").asText(null),
          duration(source, path + ".insufficientCapacity.duration", c.path("duration")));
    }
    if (e.has("spotInterruption")) {
      double fraction = e.path("spotInterruption").path("fraction").asDouble(-1);
      if (fraction <= 0 || fraction > 1) {
        throw error(source, path + ".spotInterruption.fraction", "is in (0, 1]");
      }
      return new SpotInterruption(at, fraction);
    }
    if (e.has("nodePoolChange")) {
      JsonNode c = e.path("nodePoolChange");
      String pool = c.path("nodePool").asText("");
      if (pool.isBlank()) {
        throw error(source, path + ".nodePoolChange.nodePool", "is required");
      }
      if (!c.path("set").isObject() || c.path("set").isEmpty()) {
        throw error(source, path + ".nodePoolChange.set", "maps dotted paths (spec.template.metadata.labels.team) "
            + "to their new values");
      }
      java.util.Map<String, JsonNode> set = new java.util.LinkedHashMap<>();
      c.path("set").properties().forEach(p -> set.put(p.getKey(), p.getValue()));
      for (String key : set.keySet()) {
        if (!key.startsWith("spec.") || key.endsWith(".") || key.contains("..")) {
          throw error(source, path + ".nodePoolChange.set." + key, "is a dotted path under spec");
        }
      }
      return new NodePoolChange(at, pool, set);
    }
    if (e.has("imageRelease")) {
      String arch = e.path("imageRelease").path("arch").asText("");
      if (!List.of("amd64", "arm64", "all").contains(arch)) {
        throw error(source, path + ".imageRelease.arch", "is amd64, arm64 or all, got '" + arch + "'");
      }
      return new ImageRelease(at, arch);
    }
    if (e.has("nodeFailure")) {
      JsonNode f = e.path("nodeFailure");
      if (!f.path("count").canConvertToInt() || f.path("count").asInt() < 1) {
        throw error(source, path + ".nodeFailure.count", "is a count of 1 or more");
      }
      String condition = f.path("condition").asText("Ready");
      if (!condition.equals("Ready")) {
        throw error(source, path + ".nodeFailure.condition", "is Ready, got '" + condition + "'");
      }
      String status = f.path("status").asText("");
      if (!status.equals("False") && !status.equals("Unknown")) {
        throw error(source, path + ".nodeFailure.status", "is \"False\" or \"Unknown\", got '" + status + "'");
      }
      return new NodeFailure(at, f.path("count").asInt(), condition, status,
          duration(source, path + ".nodeFailure.for", f.path("for")));
    }
    throw error(source, path, "is one of scale, insufficientCapacity, spotInterruption, nodePoolChange, "
        + "imageRelease, nodeFailure");
  }

  static Duration duration(String source, String path, JsonNode node) {
    String text = node.asText("");
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw error(source, path, "is a duration like 90s, 10m or 1h, got '" + text + "'");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofHours(n);
    };
  }

  /** {@code cluster.<field>}, one of its enum's names, or {@code fallback} where the scenario says nothing. */
  private static <E extends Enum<E>> E clusterOption(String source, JsonNode cluster, String field, E fallback) {
    if (!cluster.has(field)) {
      return fallback;
    }
    String text = cluster.path(field).asText("");
    try {
      return Enum.valueOf(fallback.getDeclaringClass(), text);
    } catch (IllegalArgumentException e) {
      String others = java.util.Arrays.stream(fallback.getDeclaringClass().getEnumConstants())
          .filter(v -> v != fallback).map(Enum::name).collect(java.util.stream.Collectors.joining(" or "));
      throw error(source, "cluster." + field, "is " + fallback + " (the default) or " + others + ", got '" + text
          + "'");
    }
  }

  private static IllegalArgumentException error(String source, String path, String problem) {
    return new IllegalArgumentException(source + ": " + path + ": " + problem);
  }
}
