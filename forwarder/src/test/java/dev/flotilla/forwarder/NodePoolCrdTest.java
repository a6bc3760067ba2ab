package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.flotilla.manifest.Manifest;
import dev.flotilla.manifest.ManifestException;
import dev.flotilla.manifest.NodePoolReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * The chart's NodePool CRD: what Flotilla's reader rejects, the schema rejects at {@code kubectl apply}, naming the
 * same field; what the reader accepts (the shipped examples, a Karpenter v1 NodePool moved to Flotilla's group),
 * the schema accepts.
 */
class NodePoolCrdTest {

  static final Path CRD = Path.of("chart", "crds", "nodepools.flotilla.dev.yaml");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static final Map<String, Predicate<JsonNode>> CEL = Map.of(
      "self.all(k, !k.startsWith('flotilla.dev/') && !k.startsWith('karpenter.sh/'))",
      labels -> names(labels).stream().noneMatch(k -> k.startsWith("flotilla.dev/") || k.startsWith("karpenter.sh/")),
      "!(self.operator in ['In', 'NotIn']) || (has(self.values) && size(self.values) > 0)",
      r -> !List.of("In", "NotIn").contains(r.path("operator").asText()) || r.path("values").size() > 0,
      "!(self.operator in ['Gt', 'Lt']) || (has(self.values) && size(self.values) == 1 "
          + "&& self.values[0].matches('^-?[0-9]+$'))",
      r -> !List.of("Gt", "Lt").contains(r.path("operator").asText())
          || (r.path("values").size() == 1 && r.path("values").get(0).asText().matches("^-?[0-9]+$")),
      "!(self.operator in ['Exists', 'DoesNotExist']) || !has(self.values) || size(self.values) == 0",
      r -> !List.of("Exists", "DoesNotExist").contains(r.path("operator").asText()) || r.path("values").isEmpty(),
      "!has(self.minValues) || self.operator != 'In' || size(self.values) >= self.minValues",
      r -> !r.has("minValues") || !r.path("operator").asText().equals("In")
          || r.path("values").size() >= r.path("minValues").asInt());

  private static List<String> names(JsonNode object) {
    List<String> names = new ArrayList<>();
    object.fieldNames().forEachRemaining(names::add);
    return names;
  }

  static JsonNode crd() throws Exception {
    return YAML.readTree(Files.readString(CRD));
  }

  private static JsonNode version() throws Exception {
    return crd().path("spec").path("versions").get(0);
  }

  private static List<String> schemaErrors(String yaml) throws Exception {
    return new OpenApiSchema(CEL).validate(version().path("schema").path("openAPIV3Schema"), YAML.readTree(yaml));
  }

  private static String pool(String spec) {
    return "apiVersion: flotilla.dev/v1\nkind: NodePool\nmetadata: {name: general}\nspec:\n" + spec;
  }

  private static final String REQUIREMENT = "  template: {spec: {requirements: [%s]}}\n";

  static Stream<Arguments> rejected() {
    return Stream.of(
        Arguments.of(pool(REQUIREMENT.formatted("{key: kubernetes.io/arch, operator: Among, values: [arm64]}")),
            "spec.template.spec.requirements[0].operator"),
        Arguments.of(pool(REQUIREMENT.formatted("{operator: In, values: [arm64]}")),
            "spec.template.spec.requirements[0].key"),
        Arguments.of(pool(REQUIREMENT.formatted("{key: kubernetes.io/arch, operator: In}")),
            "spec.template.spec.requirements[0]"),
        Arguments.of(pool(REQUIREMENT.formatted("{key: flotilla.dev/instance-cpu, operator: Gt, values: [many]}")),
            "spec.template.spec.requirements[0]"),
        Arguments.of(pool(REQUIREMENT.formatted("{key: flotilla.dev/instance-cpu, operator: Exists, values: ['4']}")),
            "spec.template.spec.requirements[0]"),
        Arguments.of(pool(REQUIREMENT.formatted(
                "{key: flotilla.dev/instance-family, operator: In, values: [m7i, c7i], minValues: 3}")),
            "spec.template.spec.requirements[0]"),
        Arguments.of(pool("  template: {spec: {taints: [{key: gpu, effect: Sometimes}]}}\n"),
            "spec.template.spec.taints[0]"),
        Arguments.of(pool("  template: {spec: {taints: [{value: x, effect: NoSchedule}]}}\n"),
            "spec.template.spec.taints[0]"),
        Arguments.of(pool("  template: {spec: {startupTaints: [{key: boot, effect: Later}]}}\n"),
            "spec.template.spec.startupTaints[0]"),
        Arguments.of(pool("  template: {metadata: {labels: {flotilla.dev/nodepool: other}}}\n"),
            "spec.template.metadata.labels"),
        Arguments.of(pool(REQUIREMENT.formatted("{key: team, operator: In, values: [" + "x".repeat(64) + "]}")),
            "spec.template.spec.requirements[0].values[0]"),
        Arguments.of(pool("  template: {metadata: {labels: {team: " + "x".repeat(64) + "}}}\n"),
            "spec.template.metadata.labels.team"),
        Arguments.of(pool("  weight: 1\n").replace("{name: general}", "{name: " + "p".repeat(64) + "}"),
            "metadata.name"),
        Arguments.of(pool("  limits: {cpu: lots}\n"), "spec.limits.cpu"),
        Arguments.of(pool("  limits: {memory: '-1Gi'}\n"), "spec.limits.memory"),
        Arguments.of(pool("  weight: 101\n"), "spec.weight"),
        Arguments.of(pool("  replicas: -1\n"), "spec.replicas"),
        Arguments.of(pool("  disruption: {consolidationPolicy: Always}\n"), "spec.disruption.consolidationPolicy"),
        Arguments.of(pool("  disruption: {consolidateAfter: 5 minutes}\n"), "spec.disruption.consolidateAfter"),
        Arguments.of(pool("  disruption: {budgets: [{nodes: ten}]}\n"), "spec.disruption.budgets[0].nodes"));
  }

  @ParameterizedTest
  @MethodSource("rejected")
  void whatTheReaderRejectsTheSchemaRejectsAtTheSameField(String yaml, String field) throws Exception {
    assertThatThrownBy(() -> NodePoolReader.read(Manifest.parse("pool.yaml", yaml)))
        .isInstanceOf(ManifestException.class).hasMessageContaining(field);

    assertThat(schemaErrors(yaml)).isNotEmpty().allSatisfy(e -> assertThat(e).startsWith("." + field));
  }

  @Test
  void whatTheReaderAcceptsTheSchemaAccepts() throws Exception {
    String karpenterShaped = """
        apiVersion: flotilla.dev/v1
        kind: NodePool
        metadata: {name: default}
        spec:
          template:
            metadata: {labels: {team: shop}, annotations: {owner: platform}}
            spec:
              nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
              requirements:
                - {key: kubernetes.io/arch, operator: In, values: [amd64]}
                - {key: karpenter.k8s.aws/instance-category, operator: In, values: [c, m, r], minValues: 2}
                - {key: karpenter.k8s.aws/instance-generation, operator: Gt, values: ['5']}
                - {key: karpenter.sh/capacity-type, operator: Exists}
              taints: [{key: dedicated, value: shop, effect: NoSchedule}]
              startupTaints: [{key: ebs.csi.aws.com/agent-not-ready, effect: NoExecute}]
              expireAfter: 720h
              terminationGracePeriod: 48h
          limits: {cpu: 1000, memory: 1000Gi, nvidia.com/gpu: "8"}
          weight: 50
          replicas: 3
          disruption:
            consolidationPolicy: WhenEmpty
            consolidateAfter: 1m30s
            budgets: [{nodes: 10%}, {nodes: "0", reasons: [Drifted], schedule: "0 9 * * mon-fri", duration: 8h}]
        """;
    List<String> accepted = new ArrayList<>(List.of(karpenterShaped,
        Files.readString(Path.of("..", "infra-cdk", "src", "test", "resources", "nodepools.yaml"))
            .split("\n---\n")[0]));
    for (String yaml : accepted) {
      assertThat(NodePoolReader.read(Manifest.parse("pool.yaml", yaml))).isNotEmpty();
      assertThat(schemaErrors(yaml)).isEmpty();
    }
  }

  @Test
  void aClusterScopedV1ResourceWithStatusAndTheColumnsKubectlGetShows() throws Exception {
    JsonNode crd = crd();
    assertThat(crd.path("metadata").path("name").asText()).isEqualTo("nodepools.flotilla.dev");
    assertThat(crd.path("spec").path("group").asText()).isEqualTo("flotilla.dev");
    assertThat(crd.path("spec").path("scope").asText()).isEqualTo("Cluster");
    assertThat(crd.path("spec").path("names").path("kind").asText()).isEqualTo("NodePool");
    JsonNode v1 = version();
    assertThat(v1.path("name").asText()).isEqualTo("v1");
    assertThat(v1.path("subresources").has("status")).isTrue();
    List<String> columns = new ArrayList<>();
    v1.path("additionalPrinterColumns").forEach(c -> {
      if (c.path("priority").asInt(0) == 0) {
        columns.add(c.path("name").asText() + "=" + c.path("jsonPath").asText());
      }
    });
    assertThat(columns).containsExactly("Nodes=.status.resources.nodes", "CPU=.status.resources.cpu",
        "Memory=.status.resources.memory", "$/h=.status.pricePerHour",
        "Ready=.status.conditions[?(@.type==\"Ready\")].status", "Age=.metadata.creationTimestamp");
  }

  @Test
  void theNodePoolRoleGrantsExactlyWatchingNodePoolsWritingTheirStatusAndCreatingEvents() throws Exception {
    String text = Files.readString(Path.of("chart", "templates", "nodepools-rbac.yaml"))
        .replaceAll("\\{\\{[^}]*\\}\\}", "x");
    List<String> granted = new ArrayList<>();
    List<String> bound = new ArrayList<>();
    for (Manifest m : Manifest.parse("nodepools-rbac.yaml", text)) {
      if (m.kind().equals("ClusterRole")) {
        for (JsonNode rule : m.node().path("rules")) {
          for (JsonNode group : rule.path("apiGroups")) {
            for (JsonNode resource : rule.path("resources")) {
              rule.path("verbs").forEach(v -> granted.add((group.asText().isEmpty() ? "core" : group.asText()) + "/"
                  + resource.asText() + ":" + v.asText()));
            }
          }
        }
      } else if (m.kind().equals("ClusterRoleBinding")) {
        bound.add(m.node().path("roleRef").path("name").asText());
      }
    }
    assertThat(granted).containsExactlyInAnyOrder("flotilla.dev/nodepools:get", "flotilla.dev/nodepools:list",
        "flotilla.dev/nodepools:watch", "flotilla.dev/nodepools/status:update",
        "flotilla.dev/nodepools/status:patch", "core/events:create");
    assertThat(bound).containsExactly("flotilla-forwarder-nodepools");
  }
}
