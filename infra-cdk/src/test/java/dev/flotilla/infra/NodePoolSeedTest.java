package dev.flotilla.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.assertions.Template;

/**
 * NodePools live in the cluster: the stack synthesises without a NodePools file, which only seeds a cluster that has
 * none yet.
 */
class NodePoolSeedTest {

  @Test
  void withoutANodePoolsFileTheStackSynthesisesAndShipsNone() throws Exception {
    Map<String, Object> context = StackFixture.context();
    context.remove("nodePoolsFile");
    App app = new App(AppProps.builder().context(context).outdir(Path.of("target", "cdk.out-noseed").toString())
        .build());
    Path bundle = Path.of("target", "function-bundle-noseed");
    FlotillaStack stack = FlotillaApp.stack(app, bundle);
    app.synth();

    assertThat(stack.bundle().hasNodePools()).isFalse();
    assertThat(bundle.resolve("nodepools.yaml")).doesNotExist();
    Template template = Template.fromStack(stack);
    template.findResources("AWS::Lambda::Function").values().forEach(function ->
        assertThat(StackJson.of(function)).doesNotContain("FLOTILLA_NODEPOOLS"));
    // the functions read the cluster's NodePools from the table the forwarder writes them to
    assertThat(StackJson.of(template.findResources("AWS::IAM::Policy"))).contains("NODEPOOLS#prod-east");
  }

  /** Template fragments as JSON text. */
  static final class StackJson {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
        new com.fasterxml.jackson.databind.ObjectMapper();

    static String of(Object fragment) throws RuntimeException {
      try {
        return JSON.writeValueAsString(fragment);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
