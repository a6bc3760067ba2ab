package dev.flotilla.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

class StackSettingsTest {

  @Test
  void readsTheContextAPlatformEngineerGives() {
    StackSettings settings = StackSettings.from(StackFixture.context()::get);

    assertThat(settings.clusterName()).isEqualTo("prod-east");
    assertThat(settings.subnetByZone()).containsEntry("us-east-1a", "subnet-0aaa1111")
        .containsEntry("us-east-1b", "subnet-0bbb2222");
    assertThat(settings.subnetsValue()).isEqualTo("us-east-1a=subnet-0aaa1111,us-east-1b=subnet-0bbb2222");
    assertThat(settings.securityGroups()).containsExactly("sg-0c1a2b3c", "sg-0d4e5f60");
    assertThat(settings.kubernetesVersion()).isEqualTo("1.33");
    assertThat(settings.serviceCidr()).isEqualTo("10.100.0.0/16");
    assertThat(settings.oidcProviderArn()).isEmpty();
    assertThat(settings.schedulerScoring()).isEqualTo("LeastAllocated");
    assertThat(StackSettings.from(with("schedulerScoring", "MostAllocated")::get).schedulerScoring())
        .isEqualTo("MostAllocated");
  }

  @Test
  void eachBadSettingIsNamedWithWhatItExpects() {
    assertThatThrownBy(() -> StackSettings.from(without("clusterName")::get))
        .hasMessageContaining("context clusterName is required");
    assertThatThrownBy(() -> StackSettings.from(with("subnets", "us-east-1a:subnet-1")::get))
        .hasMessageContaining("context subnets").hasMessageContaining("zone=subnet-id");
    assertThatThrownBy(() -> StackSettings.from(with("securityGroups", "default")::get))
        .hasMessageContaining("context securityGroups: 'default'");
    assertThatThrownBy(() -> StackSettings.from(with("clusterEndpoint", "api.example")::get))
        .hasMessageContaining("context clusterEndpoint").hasMessageContaining("https://");
    assertThatThrownBy(() -> StackSettings.from(with("functionsJar", "no/such.jar")::get))
        .hasMessageContaining("context functionsJar").hasMessageContaining("does not exist");
    assertThatThrownBy(() -> StackSettings.from(with("oidcProviderArn", "oidc")::get))
        .hasMessageContaining("context oidcProviderArn");
    assertThatThrownBy(() -> StackSettings.from(with("schedulerScoring", "BinPacking")::get))
        .hasMessageContaining("context schedulerScoring: 'BinPacking'").hasMessageContaining("MostAllocated");
  }

  @Test
  void aBadNodePoolsFileFailsTheSynthNamingTheDocumentAndTheField() {
    assertThatThrownBy(() -> StackFixture.synthesize(with("nodePoolsFile", "src/test/resources/bad/nodepools.yaml"),
        Path.of("target", "cdk.out-bad")))
        .hasMessageContaining("context nodePoolsFile")
        .hasMessageContaining("bad/nodepools.yaml")
        .hasMessageContaining("NodePool 'batch'")
        .hasMessageContaining("document 2")
        .hasMessageContaining("spec.template.spec.requirements[0]");
  }

  @Test
  void withTheClustersOidcProviderTheForwarderUsesIrsa() {
    String provider = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC123";
    Template template = Template.fromStack(StackFixture.synthesize(with("oidcProviderArn", provider),
        Path.of("target", "cdk.out-irsa")));

    template.resourceCountIs("AWS::EKS::PodIdentityAssociation", 0);
    template.hasResourceProperties("AWS::IAM::Role", Match.objectLike(Map.of("AssumeRolePolicyDocument",
        Map.of("Version", "2012-10-17", "Statement", List.of(Map.of(
            "Action", "sts:AssumeRoleWithWebIdentity", "Effect", "Allow",
            "Principal", Map.of("Federated", provider),
            "Condition", Map.of("StringEquals", Map.of(
                "oidc.eks.us-east-1.amazonaws.com/id/ABC123:sub", "system:serviceaccount:flotilla:flotilla-forwarder",
                "oidc.eks.us-east-1.amazonaws.com/id/ABC123:aud", "sts.amazonaws.com"))))))));
  }

  private static Map<String, Object> with(String key, String value) {
    Map<String, Object> context = StackFixture.context();
    context.put(key, value);
    return context;
  }

  private static Map<String, Object> without(String key) {
    Map<String, Object> context = StackFixture.context();
    context.remove(key);
    return context;
  }
}
