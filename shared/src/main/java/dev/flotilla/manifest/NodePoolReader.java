package dev.flotilla.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.model.GoDuration;
import dev.flotilla.model.Resources;
import dev.flotilla.model.Requirement;
import dev.flotilla.nodepool.NodePool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads NodePool documents: {@code apiVersion: flotilla.dev/v1} or {@code karpenter.sh/v1}, {@code kind: NodePool}.
 * Used by the command line, the functions and the CDK app alike, so a file that synthesises also schedules.
 */
public final class NodePoolReader {


  private NodePoolReader() {}

  public static boolean isNodePool(Manifest m) {
    return "NodePool".equals(m.kind())
        && (m.apiVersion().startsWith("flotilla.dev/") || m.apiVersion().startsWith("karpenter.sh/"));
  }

  /** Every NodePool among the manifests, in order; names must be unique. */
  public static List<NodePool> read(List<Manifest> manifests) {
    Map<String, NodePool> pools = new LinkedHashMap<>();
    for (Manifest m : manifests) {
      if (isNodePool(m)) {
        NodePool pool = read(m);
        if (pools.putIfAbsent(pool.name(), pool) != null) {
          throw m.error("metadata.name", "a NodePool named '" + pool.name() + "' is defined twice");
        }
      }
    }
    return List.copyOf(pools.values());
  }

  /** Kubernetes' limit on a label value, which a requirement's values are matched against. */
  static final int LABEL_VALUE_MAX = 63;

  private static void requireLabelValue(Manifest m, String field, String value) {
    if (value.length() > LABEL_VALUE_MAX) {
      throw m.error(field, "is longer than a label value's " + LABEL_VALUE_MAX + " characters");
    }
    if (!value.isEmpty() && !LABEL_NAME.matcher(value).matches()) {
      throw m.error(field, "'" + value + "' is not a label value (letters, digits, '-', '_' and '.', beginning and"
          + " ending with a letter or digit)");
    }
  }

  /** A label's name, and a label's value when not empty. */
  private static final java.util.regex.Pattern LABEL_NAME =
      java.util.regex.Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
  /**
   * The domains whose labels Kubernetes, the kubelet, the cloud provider or the autoscaler set ({@code k8s.aws}: the
   * zone ID, Karpenter's instance facts).
   */
  private static final java.util.List<String> RESERVED_DOMAINS = java.util.List.of("kubernetes.io", "k8s.io",
      "k8s.aws", "flotilla.dev", "karpenter.sh");
  /** Sub-domains of the reserved ones that template labels may use, as Karpenter allows them. */
  private static final java.util.List<String> TEMPLATE_DOMAINS_ALLOWED = java.util.List.of("node-role.kubernetes.io",
      "node-restriction.kubernetes.io", "node.kubernetes.io", "kops.k8s.io");
  private static final java.util.regex.Pattern DNS_SUBDOMAIN =
      java.util.regex.Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  /**
   * The template labels with those a requirement on a label of the user's own sets to one value ({@code
   * company.com/team In [payments]}): Karpenter labels the pool's nodes with such a requirement's value, and pods
   * select it. Without the label, no instance type met the requirement and the pool launched nothing.
   */
  private static Map<String, String> withRequiredLabels(Map<String, String> labels, List<Requirement> requirements) {
    Map<String, String> all = new java.util.LinkedHashMap<>(labels);
    for (Requirement r : requirements) {
      // a key the API server would refuse is left a requirement no type meets: as a label it would fail the whole
      // node patch
      if (r.operator() == dev.flotilla.model.Operator.In && r.values().size() == 1 && usersOwn(r.key())
          && labelKey(r.key())) {
        all.putIfAbsent(r.key(), r.values().getFirst());
      }
    }
    return all;
  }

  /**
   * Whether a label key is the user's own: outside every domain Kubernetes, the kubelet or the autoscaler sets labels
   * in, and none of the well-known labels of the sub-domains template labels may use (the instance type is the node's
   * own, a requirement on it a choice of types).
   */
  private static boolean usersOwn(String key) {
    return !key.equals(dev.flotilla.model.WellKnownLabels.INSTANCE_TYPE)
        && !key.equals("node.kubernetes.io/windows-build") && reservedDomain(key) == null;
  }

  /** The reserved domain the key's prefix falls in, or null: none, or a sub-domain template labels may use. */
  private static String reservedDomain(String key) {
    int slash = key.indexOf('/');
    String prefix = slash < 0 ? "" : key.substring(0, slash);
    if (TEMPLATE_DOMAINS_ALLOWED.contains(prefix)) {
      return null;
    }
    for (String domain : RESERVED_DOMAINS) {
      if (prefix.equals(domain) || prefix.endsWith("." + domain)) {
        return domain;
      }
    }
    return null;
  }

  /** Whether the API server takes {@code key} as a label key: {@code [prefix/]name}. */
  private static boolean labelKey(String key) {
    int slash = key.indexOf('/');
    String prefix = slash < 0 ? "" : key.substring(0, slash);
    String name = slash < 0 ? key : key.substring(slash + 1);
    return LABEL_NAME.matcher(name).matches() && prefix.length() <= 253
        && (slash < 0 || DNS_SUBDOMAIN.matcher(prefix).matches());
  }

  /**
   * A template label's key must be one the API server takes, and not one of a domain the kubelet, Kubernetes or
   * the autoscaler sets (as Karpenter refuses them): the node patch carrying a pool's labels is all or nothing, and a
   * key like kubernetes.io/hostname would overwrite the node's own.
   */
  private static void requireTemplateLabelKey(Manifest m, String field, String key) {
    if (!labelKey(key)) {
      throw m.error(field, "'" + key + "' is not a label key ([prefix/]name: a DNS subdomain, then up to 63 letters,"
          + " digits, '-', '_' and '.')");
    }
    if (key.equals(dev.flotilla.model.WellKnownLabels.INSTANCE_TYPE)) {
      throw m.error(field, "is the node's instance type, which the kubelet sets");
    }
    String domain = reservedDomain(key);
    if (domain != null) {
      throw m.error(field, "is in the " + domain + " domain, whose labels Kubernetes, the cloud provider or the"
          + " autoscaler set; template labels may not set them (" + String.join("/, ", TEMPLATE_DOMAINS_ALLOWED)
          + "/ are allowed)");
    }
  }

  public static NodePool read(Manifest m) {
    if (m.name().isEmpty()) {
      throw m.error("metadata.name", "is required");
    }
    if (m.name().length() > LABEL_VALUE_MAX) {
      throw m.error("metadata.name", "is longer than a label value's " + LABEL_VALUE_MAX
          + " characters, and each of the pool's nodes is labelled with it");
    }
    PodSpecReader reader = new PodSpecReader(m.describe());
    JsonNode spec = m.node().path("spec");
    JsonNode template = spec.path("template");
    JsonNode templateSpec = template.path("spec");
    List<Requirement> requirements =
        reader.requirements(templateSpec.path("requirements"), "spec.template.spec.requirements");
    for (int i = 0; i < requirements.size(); i++) {
      Requirement r = requirements.get(i);
      for (int v = 0; v < r.values().size(); v++) {
        requireLabelValue(m, "spec.template.spec.requirements[" + i + "].values[" + v + "]", r.values().get(v));
      }
      if (r.minValues() > 0 && r.operator() == dev.flotilla.model.Operator.In && r.values().size() < r.minValues()) {
        throw m.error("spec.template.spec.requirements[" + i + "].minValues",
            "asks for " + r.minValues() + " values but only " + r.values().size() + " are listed");
      }
    }
    Map<String, String> labels = reader.stringMap(template.path("metadata").path("labels"),
        "spec.template.metadata.labels");
    for (Map.Entry<String, String> label : labels.entrySet()) {
      if (label.getKey().startsWith("flotilla.dev/") || label.getKey().startsWith("karpenter.sh/")) {
        throw m.error("spec.template.metadata.labels." + label.getKey(), "is set by Flotilla and cannot be overridden");
      }
      requireTemplateLabelKey(m, "spec.template.metadata.labels." + label.getKey(), label.getKey());
      requireLabelValue(m, "spec.template.metadata.labels." + label.getKey(), label.getValue());
    }
    labels = withRequiredLabels(labels, requirements);
    Resources limits = reader.resourceMap(spec.path("limits"), "spec.limits");
    int weight = spec.path("weight").asInt(0);
    if (weight < 0 || weight > 100) {
      throw m.error("spec.weight", "must be between 0 and 100");
    }
    Integer replicas = replicas(m, spec.path("replicas"));
    try {
      return new NodePool(m.name(), requirements, labels,
          reader.taints(templateSpec.path("taints"), "spec.template.spec.taints"),
          reader.taints(templateSpec.path("startupTaints"), "spec.template.spec.startupTaints"),
          limits, weight, disruption(m, spec.path("disruption")), lifetime(m, templateSpec), replicas);
    } catch (IllegalArgumentException e) {
      throw m.error("spec", e.getMessage());
    }
  }

  /** Static capacity: a whole count of nodes, as the CRD's schema bounds it. */
  private static Integer replicas(Manifest m, JsonNode node) {
    if (node.isMissingNode() || node.isNull()) {
      return null;
    }
    if (!node.canConvertToInt() || !node.isIntegralNumber() || node.asInt() < 0 || node.asInt() > 1000) {
      throw m.error("spec.replicas", "'" + node.asText() + "' is not a count of nodes from 0 to 1000");
    }
    return node.asInt();
  }

  private static NodePool.Disruption disruption(Manifest m, JsonNode node) {
    if (node.isMissingNode()) {
      return NodePool.Disruption.DEFAULT;
    }
    NodePool.ConsolidationPolicy policy;
    String text = node.path("consolidationPolicy").asText("WhenEmptyOrUnderutilized");
    try {
      policy = NodePool.ConsolidationPolicy.valueOf(text);
    } catch (IllegalArgumentException e) {
      throw m.error("spec.disruption.consolidationPolicy",
          "'" + text + "' is not WhenEmpty or WhenEmptyOrUnderutilized");
    }
    Duration after = node.has("consolidateAfter")
        ? duration(m, "spec.disruption.consolidateAfter", node.path("consolidateAfter").asText())
        : Duration.ZERO;
    List<NodePool.Budget> budgets = new ArrayList<>();
    int i = 0;
    for (JsonNode b : node.path("budgets")) {
      budgets.add(budget(m, "spec.disruption.budgets[" + i++ + "]", b));
    }
    return new NodePool.Disruption(policy, after, budgets, node.path("replaceOnRebalance").asBoolean(false));
  }

  /** One budget: {@code nodes}, {@code reasons}, {@code schedule} with {@code duration}; errors name the field. */
  private static NodePool.Budget budget(Manifest m, String path, JsonNode b) {
    String nodes = b.path("nodes").asText("10%").trim();
    int count;
    boolean percent = nodes.endsWith("%");
    try {
      count = Integer.parseInt(percent ? nodes.substring(0, nodes.length() - 1) : nodes);
    } catch (NumberFormatException e) {
      throw m.error(path + ".nodes", "'" + nodes + "' is neither a count nor a percentage");
    }
    if (count < 0 || (percent && count > 100)) {
      throw m.error(path + ".nodes", "'" + nodes + "' is neither a count nor a percentage of 0-100%");
    }
    List<String> reasons = new ArrayList<>();
    int r = 0;
    for (JsonNode reason : b.path("reasons")) {
      if (!NodePool.Budget.REASONS.contains(reason.asText())) {
        throw m.error(path + ".reasons[" + r + "]", "'" + reason.asText() + "' is not one of "
            + NodePool.Budget.REASONS);
      }
      reasons.add(reason.asText());
      r++;
    }
    boolean scheduled = b.hasNonNull("schedule");
    if (scheduled != b.hasNonNull("duration")) {
      throw m.error(path + (scheduled ? ".duration" : ".schedule"), "is required with "
          + (scheduled ? "schedule" : "duration"));
    }
    if (!scheduled) {
      return new NodePool.Budget(count, percent, reasons);
    }
    dev.flotilla.nodepool.CronSchedule schedule;
    try {
      schedule = dev.flotilla.nodepool.CronSchedule.parse(b.path("schedule").asText());
    } catch (IllegalArgumentException e) {
      throw m.error(path + ".schedule", e.getMessage());
    }
    Duration duration = duration(m, path + ".duration", b.path("duration").asText());
    if (!duration.isPositive()) {
      throw m.error(path + ".duration", "must be longer than zero");
    }
    return new NodePool.Budget(count, percent, reasons, schedule, duration);
  }

  /** {@code expireAfter} and {@code terminationGracePeriod}; {@code Never} for either means none. */
  private static NodePool.Lifetime lifetime(Manifest m, JsonNode templateSpec) {
    Duration expireAfter = NodePool.Lifetime.DEFAULT.expireAfter();
    if (templateSpec.hasNonNull("expireAfter")) {
      String text = templateSpec.path("expireAfter").asText();
      expireAfter = "Never".equals(text) ? null : duration(m, "spec.template.spec.expireAfter", text);
      if (expireAfter != null && !expireAfter.isPositive()) {
        throw m.error("spec.template.spec.expireAfter", "must be longer than zero, or Never");
      }
    }
    Duration grace = null;
    if (templateSpec.hasNonNull("terminationGracePeriod")) {
      String text = templateSpec.path("terminationGracePeriod").asText();
      grace = "Never".equals(text) ? null : duration(m, "spec.template.spec.terminationGracePeriod", text);
    }
    return new NodePool.Lifetime(expireAfter, grace);
  }

  /** Go-style durations as Karpenter writes them: {@code 30s}, {@code 5m}, {@code 1h30m}; {@code Never}. */
  static Duration duration(Manifest m, String path, String text) {
    if ("Never".equals(text)) {
      return Duration.ofDays(36500);
    }
    return GoDuration.parse(text)
        .orElseThrow(() -> m.error(path, "'" + text + "' is not a duration such as 30s, 5m or 1h"));
  }
}
