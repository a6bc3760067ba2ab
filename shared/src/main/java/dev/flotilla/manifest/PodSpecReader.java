package dev.flotilla.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.Operator;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.PodAffinityTerm;
import dev.flotilla.model.Quantity;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.Taint;
import dev.flotilla.model.Toleration;
import dev.flotilla.model.TopologySpread;
import dev.flotilla.model.WellKnownLabels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the scheduling facts of a pod from its Kubernetes JSON (a manifest's pod template, or a live pod the
 * forwarder serialised), so that the command line, the forwarder and the simulator agree on what a pod asks for.
 * Errors name the field path.
 */
public final class PodSpecReader {

  /** Selects no pod: a label cannot both exist and not. */
  private static final LabelSelector NO_POD = new LabelSelector(Map.of(), List.of(
      new Requirement(WellKnownLabels.CLAIM, Operator.Exists, List.of()),
      new Requirement(WellKnownLabels.CLAIM, Operator.DoesNotExist, List.of())));

  private final String where;

  /** @param where how errors name the document, e.g. "Deployment 'web' (shop.yaml, document 2)" */
  public PodSpecReader(String where) {
    this.where = where;
  }

  private ManifestException error(String path, String problem) {
    return new ManifestException(where + ": " + path + ": " + problem);
  }

  /**
   * A pending pod from a pod spec.
   *
   * @param spec   the pod's {@code spec}
   * @param path   the spec's path in the document, for errors (e.g. {@code spec.template.spec})
   */
  public PendingPod pod(String name, String namespace, Map<String, String> labels, Map<String, String> annotations,
      JsonNode spec, String path, String ownerKind) {
    JsonNode affinity = spec.path("affinity");
    return PendingPod.builder(name)
        .namespace(namespace)
        .labels(labels)
        .requests(requests(spec, path))
        .nodeSelector(canonicalKeys(stringMap(spec.path("nodeSelector"), path + ".nodeSelector")))
        .requiredTerms(nodeSelectorTerms(affinity.path("nodeAffinity")
            .path("requiredDuringSchedulingIgnoredDuringExecution").path("nodeSelectorTerms"),
            path + ".affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"))
        .preferredTerms(preferred(affinity.path("nodeAffinity").path("preferredDuringSchedulingIgnoredDuringExecution"),
            path + ".affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution"))
        .tolerations(tolerations(spec.path("tolerations"), path + ".tolerations"))
        .spreads(spreads(spec.path("topologySpreadConstraints"), path + ".topologySpreadConstraints", labels))
        .affinity(podAffinityTerms(affinity.path("podAffinity").path("requiredDuringSchedulingIgnoredDuringExecution"),
            path + ".affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution", labels, false))
        .antiAffinity(podAffinityTerms(affinity.path("podAntiAffinity")
            .path("requiredDuringSchedulingIgnoredDuringExecution"),
            path + ".affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution", labels, true))
        .hostPorts(hostPorts(spec, path))
        .ownerKind(ownerKind)
        .doNotDisrupt("true".equals(annotations.get(WellKnownLabels.DO_NOT_DISRUPT))
            || "true".equals(annotations.get(WellKnownLabels.KARPENTER_DO_NOT_DISRUPT)))
        .build();
  }

  /**
   * Requests as Kubernetes computes them: the sum of the containers, at least the largest init container (with the
   * sidecars started before it), sidecar init containers ({@code restartPolicy: Always}) added to both, plus the
   * pod overhead. A container with limits but no requests requests its limits.
   */
  public Resources requests(JsonNode spec, String path) {
    Resources containers = Resources.NONE;
    int i = 0;
    for (JsonNode c : spec.path("containers")) {
      containers = containers.plus(containerRequests(c, path + ".containers[" + i++ + "]"));
    }
    Resources sidecars = Resources.NONE;
    Resources initPeak = Resources.NONE;
    i = 0;
    for (JsonNode c : spec.path("initContainers")) {
      Resources r = containerRequests(c, path + ".initContainers[" + i++ + "]");
      if ("Always".equals(c.path("restartPolicy").asText())) {
        sidecars = sidecars.plus(r);
        initPeak = initPeak.max(sidecars);
      } else {
        initPeak = initPeak.max(r.plus(sidecars));
      }
    }
    Resources total = containers.plus(sidecars).max(initPeak);
    return total.plus(resourceMap(spec.path("overhead"), path + ".overhead"));
  }

  private Resources containerRequests(JsonNode container, String path) {
    JsonNode resources = container.path("resources");
    Resources requests = resourceMap(resources.path("requests"), path + ".resources.requests");
    Resources limits = resourceMap(resources.path("limits"), path + ".resources.limits");
    for (Map.Entry<String, Long> limit : limits.amounts().entrySet()) {
      if (!resources.path("requests").has(limit.getKey())) {
        requests = requests.with(limit.getKey(), limit.getValue());
      }
    }
    return requests;
  }

  public Resources resourceMap(JsonNode node, String path) {
    if (node.isMissingNode() || node.isNull()) {
      return Resources.NONE;
    }
    if (!node.isObject()) {
      throw error(path, "must be a map of resource name to quantity");
    }
    Map<String, Long> amounts = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String text = e.getValue().asText();
      try {
        amounts.put(e.getKey(), Resources.CPU.equals(e.getKey()) ? Quantity.millis(text) : Quantity.units(text));
      } catch (IllegalArgumentException | ArithmeticException ex) {
        throw error(path + "." + e.getKey(), ex.getMessage() == null ? "not a quantity: " + text : ex.getMessage());
      }
    }
    return new Resources(amounts);
  }

  public List<List<Requirement>> nodeSelectorTerms(JsonNode terms, String path) {
    List<List<Requirement>> result = new ArrayList<>();
    int i = 0;
    for (JsonNode term : terms) {
      result.add(requirements(term.path("matchExpressions"), path + "[" + i++ + "].matchExpressions"));
    }
    return result;
  }

  private List<PendingPod.PreferredTerm> preferred(JsonNode terms, String path) {
    List<PendingPod.PreferredTerm> result = new ArrayList<>();
    int i = 0;
    for (JsonNode term : terms) {
      String p = path + "[" + i++ + "]";
      result.add(new PendingPod.PreferredTerm(term.path("weight").asInt(1),
          requirements(term.path("preference").path("matchExpressions"), p + ".preference.matchExpressions")));
    }
    return result;
  }

  /** Requirements with canonical keys; {@code minValues} is read too (NodePools use it). */
  public List<Requirement> requirements(JsonNode list, String path) {
    List<Requirement> result = new ArrayList<>();
    int i = 0;
    for (JsonNode r : list) {
      String p = path + "[" + i++ + "]";
      String key = r.path("key").asText("");
      if (key.isEmpty()) {
        throw error(p + ".key", "is required");
      }
      Operator op;
      try {
        op = Operator.parse(r.path("operator").asText(""));
      } catch (IllegalArgumentException e) {
        throw error(p + ".operator", e.getMessage());
      }
      List<String> values = new ArrayList<>();
      for (JsonNode v : r.path("values")) {
        values.add(v.asText());
      }
      try {
        result.add(new Requirement(WellKnownLabels.canonical(key), op, values, r.path("minValues").asInt(0)));
      } catch (IllegalArgumentException e) {
        throw error(p, e.getMessage());
      }
    }
    return result;
  }

  public List<Taint> taints(JsonNode list, String path) {
    return each(list, path, t -> new Taint(t.path("key").asText(""), t.path("value").asText(""),
        t.path("effect").asText("")));
  }

  public List<Toleration> tolerations(JsonNode list, String path) {
    return each(list, path, t -> new Toleration(t.path("key").asText(""), t.path("operator").asText(""),
        t.path("value").asText(""), t.path("effect").asText("")));
  }

  /** Reads each element of a list; a value the domain rejects is reported at its index. */
  private <T> List<T> each(JsonNode list, String path, java.util.function.Function<JsonNode, T> read) {
    List<T> result = new ArrayList<>();
    int i = 0;
    for (JsonNode element : list) {
      String p = path + "[" + i++ + "]";
      try {
        result.add(read.apply(element));
      } catch (IllegalArgumentException e) {
        throw error(p, e.getMessage());
      }
    }
    return result;
  }

  private List<TopologySpread> spreads(JsonNode list, String path, Map<String, String> podLabels) {
    List<TopologySpread> result = new ArrayList<>();
    int i = 0;
    for (JsonNode s : list) {
      String p = path + "[" + i++ + "]";
      String key = topologyKey(s);
      String when = s.path("whenUnsatisfiable").asText("DoNotSchedule");
      if (!when.equals("DoNotSchedule") && !when.equals("ScheduleAnyway")) {
        throw error(p + ".whenUnsatisfiable", "must be DoNotSchedule or ScheduleAnyway");
      }
      if (key.equals(WellKnownLabels.REGION) && s.path("minDomains").asInt(1) <= 1) {
        // one region, one domain: the skew is always zero
        continue;
      }
      if (!key.equals(WellKnownLabels.ZONE) && !key.equals(WellKnownLabels.HOSTNAME)
          && !key.equals(WellKnownLabels.CAPACITY_TYPE)) {
        throw error(p + ".topologyKey", "'" + key + "' is not supported (zone, zone ID, hostname or capacity type;"
            + " region without minDomains)");
      }
      if (!s.hasNonNull("labelSelector")) {
        // kube-scheduler counts no pod for a constraint without a selector, so it never holds a pod back
        continue;
      }
      LabelSelector selector = withLabelKeys(labelSelector(s.path("labelSelector"), p + ".labelSelector"),
          s.path("matchLabelKeys"), Operator.In, podLabels);
      Integer minDomains = s.hasNonNull("minDomains") ? s.path("minDomains").asInt() : null;
      try {
        result.add(new TopologySpread(key, s.path("maxSkew").asInt(1), when.equals("DoNotSchedule"), selector,
            minDomains));
      } catch (IllegalArgumentException e) {
        throw error(p + (e.getMessage().contains("minDomains") ? ".minDomains" : ".maxSkew"), e.getMessage());
      }
    }
    return result;
  }

  /**
   * A term's or constraint's topology key. The zone ID names the same domains as the zone (one ID per zone in an
   * account), so it counts as the zone.
   */
  private static String topologyKey(JsonNode term) {
    String key = WellKnownLabels.canonical(term.path("topologyKey").asText(""));
    return key.equals(WellKnownLabels.ZONE_ID) ? WellKnownLabels.ZONE : key;
  }

  /**
   * The selector with the pod's own value of each of {@code keys} added, as kube-scheduler merges
   * {@code matchLabelKeys} ({@code In}) and {@code mismatchLabelKeys} ({@code NotIn}); a key the pod lacks is
   * skipped. Since Kubernetes 1.33 the API server merges them already, and merging twice changes nothing.
   */
  private static LabelSelector withLabelKeys(LabelSelector selector, JsonNode keys, Operator op,
      Map<String, String> podLabels) {
    List<Requirement> added = new ArrayList<>();
    for (JsonNode k : keys) {
      String value = podLabels.get(k.asText());
      if (value != null) {
        added.add(new Requirement(k.asText(), op, List.of(value)));
      }
    }
    if (added.isEmpty()) {
      return selector;
    }
    added.addAll(0, selector.matchExpressions());
    return new LabelSelector(selector.matchLabels(), added);
  }

  /**
   * Required pod affinity or anti-affinity terms. A term without a selector selects no pod (as in kube-scheduler):
   * an anti-affinity term then keeps nothing away and is left out, an affinity term can never be met. The forwarder
   * does not watch namespaces' labels, so a {@code namespaceSelector} other than {@code {}} (every namespace) is read
   * on the side of plans kube-scheduler can follow: as every namespace for anti-affinity (more pods kept apart), as
   * the namespaces listed, or the pod's own, for affinity (fewer partners counted).
   */
  private List<PodAffinityTerm> podAffinityTerms(JsonNode list, String path, Map<String, String> podLabels,
      boolean anti) {
    List<PodAffinityTerm> result = new ArrayList<>();
    int i = 0;
    for (JsonNode t : list) {
      String p = path + "[" + i++ + "]";
      if (!t.hasNonNull("labelSelector") && anti) {
        continue;
      }
      String key = topologyKey(t);
      if (key.equals(WellKnownLabels.REGION) && !anti) {
        if (t.hasNonNull("labelSelector")) {
          // one region: a pod it selects anywhere in the cluster meets it (that one exists is not checked)
          continue;
        }
        // selecting no pod, it is never met, in whichever domain
        key = WellKnownLabels.ZONE;
      }
      if (!key.equals(WellKnownLabels.ZONE) && !key.equals(WellKnownLabels.HOSTNAME)) {
        throw error(p + ".topologyKey", "'" + key + "' is not supported (zone, zone ID or hostname; region for"
            + " spreads and affinity)");
      }
      LabelSelector selector = t.hasNonNull("labelSelector")
          ? labelSelector(t.path("labelSelector"), p + ".labelSelector") : NO_POD;
      selector = withLabelKeys(selector, t.path("matchLabelKeys"), Operator.In, podLabels);
      selector = withLabelKeys(selector, t.path("mismatchLabelKeys"), Operator.NotIn, podLabels);
      List<String> namespaces = new ArrayList<>();
      for (JsonNode ns : t.path("namespaces")) {
        namespaces.add(ns.asText());
      }
      JsonNode namespaceSelector = t.path("namespaceSelector");
      boolean every = namespaceSelector.isObject() && (namespaceSelector.isEmpty() || anti);
      result.add(new PodAffinityTerm(key, selector, namespaces, every));
    }
    return result;
  }

  public LabelSelector labelSelector(JsonNode node, String path) {
    return new LabelSelector(stringMap(node.path("matchLabels"), path + ".matchLabels"),
        requirements(node.path("matchExpressions"), path + ".matchExpressions"));
  }

  private Set<String> hostPorts(JsonNode spec, String path) {
    Set<String> ports = new LinkedHashSet<>();
    for (String list : List.of("containers", "initContainers")) {
      for (JsonNode c : spec.path(list)) {
        if (list.equals("initContainers") && !"Always".equals(c.path("restartPolicy").asText())) {
          continue;
        }
        for (JsonNode port : c.path("ports")) {
          // on the host's network a container port is a host port (the API server defaults hostPort to it)
          int hostPort = port.path("hostPort").asInt(spec.path("hostNetwork").asBoolean(false)
              ? port.path("containerPort").asInt(0) : 0);
          if (hostPort > 0) {
            ports.add(port.path("protocol").asText("TCP") + "/" + hostPort);
          }
        }
      }
    }
    return ports;
  }

  public Map<String, String> stringMap(JsonNode node, String path) {
    if (node.isMissingNode() || node.isNull()) {
      return Map.of();
    }
    if (!node.isObject()) {
      throw error(path, "must be a map of strings");
    }
    Map<String, String> result = new LinkedHashMap<>();
    node.fields().forEachRemaining(e -> result.put(e.getKey(), e.getValue().asText()));
    return result;
  }

  private static Map<String, String> canonicalKeys(Map<String, String> selector) {
    Map<String, String> result = new LinkedHashMap<>();
    selector.forEach((k, v) -> result.put(WellKnownLabels.canonical(k), v));
    return result;
  }
}
