package dev.flotilla.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.manifest.ManifestException;
import dev.flotilla.nodepool.NodePool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FunctionConfigTest {

  private static final String POOLS = """
      apiVersion: flotilla.dev/v1
      kind: NodePool
      metadata: {name: batch}
      spec:
        template:
          spec:
            requirements:
              - {key: flotilla.dev/capacity-type, operator: In, values: [spot]}
      """;

  @Test
  void readsTheNodePoolsFileTheStackShipsAndTheImagePerArchitecture(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("nodepools.yaml"), POOLS);

    FunctionConfig config = FunctionConfig.fromEnvironment(Map.of("FLOTILLA_CLUSTER", "prod",
        "FLOTILLA_TABLE", "flotilla-prod", "FLOTILLA_NODEPOOLS_FILE", file.toString(),
        "FLOTILLA_SUBNETS", "us-east-1a=subnet-a, us-east-1b=subnet-b",
        "FLOTILLA_IMAGE_AMD64", "ami-0aaa", "FLOTILLA_IMAGE_ARM64", "ami-0bbb"));

    assertThat(config.nodePools()).extracting(NodePool::name).containsExactly("batch");
    assertThat(config.subnets()).containsExactly(Map.entry("us-east-1a", "subnet-a"),
        Map.entry("us-east-1b", "subnet-b"));
    assertThat(config.imageByArch()).containsExactly(Map.entry("amd64", "ami-0aaa"), Map.entry("arm64", "ami-0bbb"));
  }

  @Test
  void theLaunchTemplatesSecurityGroupsAndTheSubnetsAreTheNetworkNodesDriftFrom() {
    FunctionConfig config = FunctionConfig.fromEnvironment(Map.of("FLOTILLA_CLUSTER", "prod",
        "FLOTILLA_TABLE", "flotilla-prod", "FLOTILLA_SUBNETS", "us-east-1a=subnet-a, us-east-1b=subnet-b",
        "FLOTILLA_SECURITY_GROUPS", "sg-0c1a2b3c, sg-0d4e5f60"));

    assertThat(config.securityGroups()).containsExactly("sg-0c1a2b3c", "sg-0d4e5f60");
    assertThat(config.network()).isEqualTo(new dev.flotilla.cloud.NodeNetwork(
        java.util.Set.of("subnet-a", "subnet-b"), java.util.Set.of("sg-0c1a2b3c", "sg-0d4e5f60")));
    assertThat(FunctionConfig.fromEnvironment(Map.of("FLOTILLA_CLUSTER", "c", "FLOTILLA_TABLE", "t")).network()
        .securityGroups()).as("none configured: no node drifts for its groups").isEmpty();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> FunctionConfig.fromEnvironment(Map.of(
        "FLOTILLA_CLUSTER", "c", "FLOTILLA_TABLE", "t", "FLOTILLA_SECURITY_GROUPS", "default")))
        .hasMessageContaining("FLOTILLA_SECURITY_GROUPS").hasMessageContaining("'default'");
  }

  @Test
  void theClustersSchedulerScoresAsConfiguredAndAsKubeSchedulersDefaultOtherwise() {
    assertThat(FunctionConfig.fromEnvironment(Map.of("FLOTILLA_CLUSTER", "c", "FLOTILLA_TABLE", "t",
        "FLOTILLA_SCHEDULER_SCORING", "MostAllocated")).schedulerScoring())
        .isEqualTo(dev.flotilla.binding.ScoringProfile.MostAllocated);
    assertThat(FunctionConfig.fromEnvironment(Map.of("FLOTILLA_CLUSTER", "c", "FLOTILLA_TABLE", "t"))
        .schedulerScoring()).isEqualTo(dev.flotilla.binding.ScoringProfile.LeastAllocated);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> FunctionConfig.fromEnvironment(Map.of(
        "FLOTILLA_CLUSTER", "c", "FLOTILLA_TABLE", "t", "FLOTILLA_SCHEDULER_SCORING", "mostallocated")))
        .hasMessageContaining("FLOTILLA_SCHEDULER_SCORING").hasMessageContaining("'mostallocated'");
  }

  @Test
  void noNodePoolsMeansTheDefaultPoolAndNoImagesMeansTheLaunchTemplates() {
    FunctionConfig config = FunctionConfig.fromEnvironment(Map.of("FLOTILLA_CLUSTER", "c", "FLOTILLA_TABLE", "t"));

    assertThat(config.nodePools()).isEmpty();
    assertThat(config.imageByArch()).isEmpty();
  }

  @Test
  void aBadNodePoolsFileNamesTheFileAndTheField(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("nodepools.yaml"), POOLS.replace("In, values", "Sometimes, values"));

    assertThatThrownBy(() -> FunctionConfig.fromEnvironment(Map.of("FLOTILLA_CLUSTER", "c", "FLOTILLA_TABLE", "t",
        "FLOTILLA_NODEPOOLS_FILE", file.toString())))
        .isInstanceOf(ManifestException.class).hasMessageContaining("nodepools.yaml").hasMessageContaining("operator");
  }

  @Test
  void aMissingSettingIsNamed() {
    assertThatThrownBy(() -> FunctionConfig.fromEnvironment(Map.of("FLOTILLA_CLUSTER", "c")))
        .hasMessage("FLOTILLA_TABLE is not set");
    assertThatThrownBy(() -> FunctionConfig.fromEnvironment(Map.of("FLOTILLA_CLUSTER", "c", "FLOTILLA_TABLE", "t",
        "FLOTILLA_SUBNETS", "us-east-1a")))
        .hasMessageContaining("FLOTILLA_SUBNETS").hasMessageContaining("zone=subnet-id");
  }
}
