package dev.flotilla.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.model.Operator;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManifestReadingTest {

  private static final long MIB = 1L << 20;

  @Test
  void requestsAreComputedAsKubernetesDoes() {
    String yaml = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: api, namespace: shop}
        spec:
          replicas: 3
          template:
            metadata: {labels: {app: api}}
            spec:
              overhead: {cpu: 10m, memory: 8Mi}
              initContainers:
                - name: sidecar-before
                  restartPolicy: Always
                  resources: {requests: {cpu: 100m, memory: 64Mi}}
                - name: migrate
                  resources: {requests: {cpu: "2", memory: 256Mi}}
                - name: sidecar-after
                  restartPolicy: Always
                  resources: {requests: {cpu: 50m, memory: 32Mi}}
              containers:
                - name: app
                  resources: {requests: {cpu: 500m, memory: 1Gi}}
                - name: limits-only
                  resources: {limits: {cpu: 250m, memory: 128Mi, nvidia.com/gpu: "1"}}
        """;
    List<PendingPod> pods = Workloads.read(Manifest.parse("api.yaml", yaml)).pods();
    assertThat(pods).extracting(PendingPod::name).containsExactly("shop/api-0", "shop/api-1", "shop/api-2");
    PendingPod pod = pods.getFirst();
    // containers 750m + sidecars 150m = 900m; migrate 2000m + the sidecar before it 100m = 2100m wins; + 10m overhead
    assertThat(pod.requests().cpuMillis()).isEqualTo(2110);
    // containers 1152Mi + sidecars 96Mi = 1248Mi beats 256Mi + 64Mi; + 8Mi overhead
    assertThat(pod.requests().memoryBytes()).isEqualTo(1256 * MIB);
    assertThat(pod.requests().get(Resources.NVIDIA_GPU)).isEqualTo(1);
    assertThat(pod.requests().get(Resources.PODS)).isEqualTo(1);
    assertThat(pod.ownerKind()).isEqualTo("ReplicaSet");
  }

  @Test
  void schedulingFactsAreReadWithCanonicalKeys() {
    String yaml = """
        apiVersion: v1
        kind: Pod
        metadata: {name: worker, namespace: batch, labels: {app: worker}, annotations: {karpenter.sh/do-not-disrupt: "true"}}
        spec:
          nodeSelector: {karpenter.sh/capacity-type: spot}
          tolerations: [{key: batch, operator: Exists, effect: NoSchedule}]
          affinity:
            nodeAffinity:
              requiredDuringSchedulingIgnoredDuringExecution:
                nodeSelectorTerms:
                  - matchExpressions: [{key: karpenter.k8s.aws/instance-cpu, operator: Gt, values: ["4"]}]
          topologySpreadConstraints:
            - {maxSkew: 2, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway,
               labelSelector: {matchLabels: {app: worker}}}
          containers:
            - name: w
              ports: [{containerPort: 80, hostPort: 8080}]
              resources: {requests: {cpu: "1"}}
        """;
    PendingPod pod = Workloads.read(Manifest.parse("pod.yaml", yaml)).pods().getFirst();
    assertThat(pod.name()).isEqualTo("batch/worker");
    assertThat(pod.nodeSelector()).containsEntry(WellKnownLabels.CAPACITY_TYPE, "spot");
    assertThat(pod.requiredTerms().getFirst().getFirst().key()).isEqualTo(WellKnownLabels.INSTANCE_CPU);
    assertThat(pod.requiredTerms().getFirst().getFirst().operator()).isEqualTo(Operator.Gt);
    assertThat(pod.spreads().getFirst().required()).isFalse();
    assertThat(pod.spreads().getFirst().selector().matchLabels()).containsEntry("app", "worker");
    assertThat(pod.hostPorts()).containsExactly("TCP/8080");
    assertThat(pod.doNotDisrupt()).isTrue();
  }

  @Test
  void minDomainsIsReadAndAllowedOnlyWithDoNotSchedule() {
    String yaml = """
        apiVersion: v1
        kind: Pod
        metadata: {name: web, namespace: shop, labels: {app: web}}
        spec:
          topologySpreadConstraints:
            - {maxSkew: 1, minDomains: 3, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: WHEN,
               labelSelector: {matchLabels: {app: web}}}
          containers: [{name: w, resources: {requests: {cpu: "1"}}}]
        """;
    PendingPod pod = Workloads.read(Manifest.parse("pod.yaml", yaml.replace("WHEN", "DoNotSchedule"))).pods()
        .getFirst();
    assertThat(pod.spreads().getFirst().minDomains()).isEqualTo(3);
    assertThatThrownBy(() -> Workloads.read(Manifest.parse("pod.yaml", yaml.replace("WHEN", "ScheduleAnyway"))))
        .isInstanceOf(ManifestException.class)
        .hasMessageContaining("spec.topologySpreadConstraints[0].minDomains")
        .hasMessageContaining("only allowed with whenUnsatisfiable: DoNotSchedule");
  }

  @Test
  void aPodOnTheHostsNetworkBindsItsContainerPorts() {
    String yaml = """
        apiVersion: v1
        kind: Pod
        metadata: {name: exporter, namespace: monitoring}
        spec:
          hostNetwork: true
          containers:
            - name: e
              ports: [{containerPort: 9100}, {containerPort: 9101, hostPort: 9101, protocol: UDP}]
        """;
    assertThat(Workloads.read(Manifest.parse("pod.yaml", yaml)).pods().getFirst().hostPorts())
        .containsExactly("TCP/9100", "UDP/9101");
  }

  @Test
  void labelKeysNamespaceSelectorsZoneIdsAndMissingSelectorsAreReadAsKubeSchedulerReadsThem() {
    String yaml = """
        apiVersion: v1
        kind: Pod
        metadata: {name: web-0, namespace: shop, labels: {app: web, pod-template-hash: 7f9c, tenant: blue}}
        spec:
          topologySpreadConstraints:
            - {maxSkew: 1, topologyKey: topology.k8s.aws/zone-id, whenUnsatisfiable: DoNotSchedule,
               labelSelector: {matchLabels: {app: web}}, matchLabelKeys: [pod-template-hash, absent]}
            - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule}
          affinity:
            podAntiAffinity:
              requiredDuringSchedulingIgnoredDuringExecution:
                - topologyKey: kubernetes.io/hostname
                  labelSelector: {matchLabels: {app: web}}
                  mismatchLabelKeys: [tenant]
                  namespaceSelector: {}
                - {topologyKey: example.com/rack}
            podAffinity:
              requiredDuringSchedulingIgnoredDuringExecution:
                - {topologyKey: topology.k8s.aws/zone-id, labelSelector: {matchLabels: {app: cache}},
                   matchLabelKeys: [tenant]}
                - {topologyKey: kubernetes.io/hostname}
                - {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: cache}},
                   namespaceSelector: {matchLabels: {team: blue}}}
          containers: [{name: web, resources: {requests: {cpu: 500m}}}]
        """;
    PendingPod pod = Workloads.read(Manifest.parse("web.yaml", yaml)).pods().getFirst();
    java.util.Map<String, String> sameRevision = java.util.Map.of("app", "web", "pod-template-hash", "7f9c");
    java.util.Map<String, String> oldRevision = java.util.Map.of("app", "web", "pod-template-hash", "5d2b");

    // the zone ID names the zones; matchLabelKeys narrows the spread to the pod's own revision; a constraint
    // without a selector counts no pod and is left out
    assertThat(pod.spreads()).singleElement().satisfies(s -> {
      assertThat(s.topologyKey()).isEqualTo(WellKnownLabels.ZONE);
      assertThat(s.selector().matches(sameRevision)).isTrue();
      assertThat(s.selector().matches(oldRevision)).isFalse();
    });
    // mismatchLabelKeys keeps away other tenants' web pods only, in every namespace; a term without a selector
    // keeps nothing away
    assertThat(pod.antiAffinity()).singleElement().satisfies(t -> {
      assertThat(t.selector().matches(java.util.Map.of("app", "web", "tenant", "green"))).isTrue();
      assertThat(t.selector().matches(java.util.Map.of("app", "web", "tenant", "blue"))).isFalse();
      assertThat(t.looksIn(pod, "other")).isTrue();
      assertThat(t.namespacesOf(pod)).isEmpty();
    });
    assertThat(pod.affinity()).hasSize(3);
    // a namespaceSelector other than {} is not read (namespaces' labels are not watched): for affinity, the pod's own
    assertThat(pod.affinity().get(2).looksIn(pod, "other")).isFalse();
    assertThat(pod.affinity().get(2).looksIn(pod, "shop")).isTrue();
    assertThat(pod.affinity().getFirst().topologyKey()).isEqualTo(WellKnownLabels.ZONE);
    assertThat(pod.affinity().getFirst().selector().matches(java.util.Map.of("app", "cache", "tenant", "blue")))
        .isTrue();
    assertThat(pod.affinity().getFirst().selector().matches(java.util.Map.of("app", "cache", "tenant", "green")))
        .isFalse();
    assertThat(pod.affinity().getFirst().looksIn(pod, "other")).isFalse();
    // an affinity term without a selector selects no pod, not every pod
    assertThat(pod.affinity().get(1).selector().matches(java.util.Map.of())).isFalse();
    assertThat(pod.affinity().get(1).selector().matches(java.util.Map.of("app", "web"))).isFalse();
  }

  @Test
  void badQuantityNamesTheDocumentAndField() {
    String yaml = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          template:
            spec:
              containers:
                - name: web
                  resources: {requests: {cpu: lots}}
        """;
    assertThatThrownBy(() -> Workloads.read(Manifest.parse("web.yaml", yaml)))
        .isInstanceOf(ManifestException.class)
        .hasMessage("Deployment 'web' (web.yaml, document 1): spec.template.spec.containers[0].resources.requests.cpu:"
            + " not a quantity: 'lots'");
  }

  @Test
  void nodePoolInKarpenterShape() {
    String yaml = """
        apiVersion: karpenter.sh/v1
        kind: NodePool
        metadata: {name: general}
        spec:
          weight: 20
          template:
            metadata: {labels: {team: shop}}
            spec:
              requirements:
                - {key: karpenter.k8s.aws/instance-family, operator: In, values: [m7i, m7g, c7g], minValues: 2}
              taints: [{key: dedicated, value: shop, effect: NoSchedule}]
              startupTaints: [{key: node.cilium.io/agent-not-ready, effect: NoExecute}]
          limits: {cpu: "1000", memory: 4000Gi}
          disruption:
            consolidationPolicy: WhenEmpty
            consolidateAfter: 1m30s
            budgets: [{nodes: "5"}, {nodes: 20%, reasons: [Underutilized]}]
        """;
    NodePool pool = NodePoolReader.read(Manifest.parse("pools.yaml", yaml)).getFirst();
    assertThat(pool.name()).isEqualTo("general");
    assertThat(pool.weight()).isEqualTo(20);
    assertThat(pool.requirements().getFirst().key()).isEqualTo(WellKnownLabels.INSTANCE_FAMILY);
    assertThat(pool.requirements().getFirst().minValues()).isEqualTo(2);
    assertThat(pool.labels()).containsEntry("team", "shop");
    assertThat(pool.taints()).hasSize(1);
    assertThat(pool.startupTaints()).hasSize(1);
    assertThat(pool.limits().cpuMillis()).isEqualTo(1_000_000);
    assertThat(pool.disruption().consolidationPolicy()).isEqualTo(NodePool.ConsolidationPolicy.WhenEmpty);
    assertThat(pool.disruption().consolidateAfter()).isEqualTo(Duration.ofSeconds(90));
    assertThat(pool.disruption().budgets()).extracting(b -> b.allowed(40)).containsExactly(5, 8);
  }

  @Test
  void nodePoolErrorsNameDocumentAndField() {
    String yaml = """
        apiVersion: flotilla.dev/v1
        kind: NodePool
        metadata: {name: ok}
        spec: {}
        ---
        apiVersion: flotilla.dev/v1
        kind: NodePool
        metadata: {name: broken}
        spec:
          template:
            spec:
              requirements:
                - {key: kubernetes.io/arch, operator: Inn, values: [amd64]}
        """;
    assertThatThrownBy(() -> NodePoolReader.read(Manifest.parse("pools.yaml", yaml)))
        .isInstanceOf(ManifestException.class)
        .hasMessageStartingWith("NodePool 'broken' (pools.yaml, document 2): spec.template.spec.requirements[0].operator:");
  }

  @Test
  void templateLabelsTheApiServerWouldRefuseOrThatOverwriteANodesOwnAreNamed() {
    String pool = """
        apiVersion: karpenter.sh/v1
        kind: NodePool
        metadata: {name: team}
        spec:
          template:
            metadata: {labels: {LABELS}}
        """;
    // a valid one reads
    assertThat(NodePoolReader.read(Manifest.parse("p.yaml", pool.replace("LABELS",
        "team: payments, example.com/tier: gold, node-restriction.kubernetes.io/pci: 'true',"
        + " node-role.kubernetes.io/worker: ''"))).getFirst().labels())
        .containsEntry("team", "payments").containsEntry("example.com/tier", "gold")
        .containsEntry("node-role.kubernetes.io/worker", "");
    // each bad one names itself: the node patch carrying them is all or nothing
    assertThatThrownBy(() -> NodePoolReader.read(Manifest.parse("p.yaml", pool.replace("LABELS", "team: a b"))))
        .hasMessageContaining("spec.template.metadata.labels.team").hasMessageContaining("is not a label value");
    assertThatThrownBy(() -> NodePoolReader.read(Manifest.parse("p.yaml", pool.replace("LABELS",
        "'bad key': x")))).hasMessageContaining("is not a label key");
    assertThatThrownBy(() -> NodePoolReader.read(Manifest.parse("p.yaml", pool.replace("LABELS",
        "kubernetes.io/hostname: x")))).hasMessageContaining("kubernetes.io domain");
    assertThatThrownBy(() -> NodePoolReader.read(Manifest.parse("p.yaml", pool.replace("LABELS",
        "node.kubernetes.io/instance-type: m5.large")))).hasMessageContaining("instance type");
    assertThatThrownBy(() -> NodePoolReader.read(Manifest.parse("p.yaml", pool.replace("LABELS",
        "topology.k8s.aws/zone-id: use1-az1")))).hasMessageContaining("k8s.aws domain");
    assertThatThrownBy(() -> NodePoolReader.read(Manifest.parse("p.yaml", pool.replace("LABELS",
        "karpenter.k8s.aws/instance-family: c6g")))).hasMessageContaining("k8s.aws domain");
  }

  @Test
  void aClustersOneRegionIsOneDomain() {
    String yaml = """
        apiVersion: v1
        kind: Pod
        metadata: {name: web-0, namespace: shop, labels: {app: web}}
        spec:
          topologySpreadConstraints:
            - {maxSkew: 1, topologyKey: topology.kubernetes.io/region, whenUnsatisfiable: DoNotSchedule,
               labelSelector: {matchLabels: {app: web}}}
          affinity:
            podAffinity:
              requiredDuringSchedulingIgnoredDuringExecution:
                - {topologyKey: topology.kubernetes.io/region, labelSelector: {matchLabels: {app: db}}}
                - {topologyKey: topology.kubernetes.io/region}
            ANTI
          containers: [{name: web, resources: {requests: {cpu: 500m}}}]
        """;
    // a spread over one domain never skews, and a partner anywhere in the cluster is in the same region
    PendingPod pod = Workloads.read(Manifest.parse("web.yaml", yaml.replace("ANTI", ""))).pods().getFirst();
    assertThat(pod.spreads()).isEmpty();
    // a term without a selector selects no pod, so is never met, whatever its domain
    assertThat(pod.affinity()).singleElement().satisfies(t -> {
      assertThat(t.selector().matches(java.util.Map.of("app", "db"))).isFalse();
      assertThat(t.selector().matches(java.util.Map.of())).isFalse();
    });
    // one such pod in the whole cluster is not planned for: the reader says so
    assertThatThrownBy(() -> Workloads.read(Manifest.parse("web.yaml", yaml.replace("ANTI", """
        podAntiAffinity:
                  requiredDuringSchedulingIgnoredDuringExecution:
                    - {topologyKey: topology.kubernetes.io/region, labelSelector: {matchLabels: {app: web}}}"""))))
        .hasMessageContaining("podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey");
  }

  @Test
  void aRequirementOnALabelOfTheUsersOwnWithOneValueLabelsThePoolsNodes() {
    // as Karpenter labels them: pods select company.com/team and land on the pool's nodes
    NodePool pool = NodePoolReader.read(Manifest.parse("p.yaml", """
        apiVersion: karpenter.sh/v1
        kind: NodePool
        metadata: {name: team-a}
        spec:
          template:
            metadata: {labels: {tier: gold}}
            spec:
              requirements:
                - {key: company.com/team, operator: In, values: [team-a]}
                - {key: company.com/shard, operator: In, values: [one, two]}
                - {key: kubernetes.io/arch, operator: In, values: [arm64]}
                - {key: node.kubernetes.io/instance-type, operator: In, values: [m5.large]}
                - {key: topology.k8s.aws/zone-id, operator: In, values: [use1-az1]}
                - {key: Company.com/Bad, operator: In, values: [x]}
        """)).getFirst();
    // a choice of one instance type is no label: every type would then read as that one
    assertThat(pool.labels()).containsEntry("tier", "gold").containsEntry("company.com/team", "team-a")
        .doesNotContainKeys("company.com/shard", "kubernetes.io/arch", "node.kubernetes.io/instance-type",
            "topology.k8s.aws/zone-id", "Company.com/Bad");
  }
}
