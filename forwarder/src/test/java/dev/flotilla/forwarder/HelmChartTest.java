package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.manifest.Manifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The Helm chart, read without helm: template expressions are replaced by a placeholder and the templates parsed as
 * YAML; the RBAC rules must be exactly what the forwarder uses.
 */
class HelmChartTest {

  private static final Path TEMPLATES = Path.of("chart", "templates");

  private static List<Manifest> render(String template) throws Exception {
    String text = Files.readString(TEMPLATES.resolve(template))
        .replaceAll("(?m)^\\s*\\{\\{-.*\\}\\}\\s*$", "")
        .replaceAll("\\{\\{[^}]*\\}\\}", "x");
    return Manifest.parse(template, text);
  }

  /**
   * What the roles in the chart's templates grant together (cluster-wide, and the Lease in the forwarder's namespace):
   * "group/resource[/subresource]" to its verbs, "core" for the core group.
   */
  static Map<String, TreeSet<String>> granted(String... templates) throws Exception {
    Map<String, TreeSet<String>> granted = new TreeMap<>();
    for (String template : templates) {
      for (Manifest m : render(template)) {
        if (!m.kind().equals("ClusterRole") && !m.kind().equals("Role")) {
          continue;
        }
        for (JsonNode rule : m.node().path("rules")) {
          for (JsonNode group : rule.path("apiGroups")) {
            for (JsonNode resource : rule.path("resources")) {
              String key = (group.asText().isEmpty() ? "core" : group.asText()) + "/" + resource.asText();
              rule.path("verbs").forEach(v -> granted.computeIfAbsent(key, k -> new TreeSet<>()).add(v.asText()));
            }
          }
        }
      }
    }
    return granted;
  }

  @Test
  void clusterRoleGrantsOnlyWhatTheForwarderUses() throws Exception {
    assertThat(granted("rbac.yaml")).containsExactlyEntriesOf(new TreeMap<>(Map.ofEntries(
        // deleting: the pods a forced drain's termination grace leaves held
        Map.entry("core/pods", new TreeSet<>(List.of("delete", "get", "list", "watch"))),
        Map.entry("core/pods/eviction", new TreeSet<>(List.of("create"))),
        // nominating: status.nominatedNodeName, and the Nominated and FailedProvisioning Events
        Map.entry("core/pods/status", new TreeSet<>(List.of("patch"))),
        Map.entry("core/events", new TreeSet<>(List.of("create"))),
        Map.entry("core/nodes", new TreeSet<>(List.of("delete", "get", "list", "patch", "watch"))),
        Map.entry("policy/poddisruptionbudgets", new TreeSet<>(List.of("get", "list", "watch"))),
        Map.entry("apps/daemonsets", new TreeSet<>(List.of("list", "watch"))),
        // a pending pod's bound volumes hold it to their zones
        Map.entry("core/persistentvolumeclaims", new TreeSet<>(List.of("list", "watch"))),
        Map.entry("core/persistentvolumes", new TreeSet<>(List.of("list", "watch"))),
        Map.entry("coordination.k8s.io/leases", new TreeSet<>(List.of("create", "get", "patch"))))));
  }

  @Test
  void deploymentRunsTwoHardenedReplicasOffFlotillaNodes() throws Exception {
    JsonNode spec = render("deployment.yaml").getFirst().node().path("spec");
    JsonNode pod = spec.path("template").path("spec");
    JsonNode container = pod.path("containers").get(0);
    assertThat(pod.path("priorityClassName").asText()).isEqualTo("system-cluster-critical");
    assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
    assertThat(container.path("securityContext").path("readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(container.path("securityContext").path("allowPrivilegeEscalation").asBoolean()).isFalse();
    assertThat(container.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/healthz");
    assertThat(container.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/readyz");
    JsonNode term = pod.path("affinity").path("nodeAffinity").path("requiredDuringSchedulingIgnoredDuringExecution")
        .path("nodeSelectorTerms").get(0).path("matchExpressions").get(0);
    assertThat(term.path("key").asText()).isEqualTo("flotilla.dev/nodepool");
    assertThat(term.path("operator").asText()).isEqualTo("DoesNotExist");
    List<String> envs = new ArrayList<>();
    container.path("env").forEach(e -> envs.add(e.path("name").asText()));
    assertThat(envs).contains("FLOTILLA_CLUSTER", "FLOTILLA_BUS", "FLOTILLA_COMMAND_QUEUE_URL", "AWS_REGION");
    String values = Files.readString(Path.of("chart", "values.yaml"));
    assertThat(values).contains("replicas: 2").contains("roleArn:");
  }
}
