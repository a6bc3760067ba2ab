package dev.flotilla.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.cxapi.SynthesisMessage;

class NagChecksTest {

  @Test
  void awsSolutionsChecksFindNothingUnexplained() {
    FlotillaStack stack = StackFixture.synthesize(StackFixture.context(), Path.of("target", "cdk.out-nag"));

    List<SynthesisMessage> errors = Annotations.fromStack(stack).findError("*",
        Match.stringLikeRegexp("AwsSolutions-.*"));
    List<SynthesisMessage> warnings = Annotations.fromStack(stack).findWarning("*",
        Match.stringLikeRegexp("AwsSolutions-.*"));
    assertThat(errors.stream().map(m -> m.getId() + " " + m.getEntry().getData()).toList()).isEmpty();
    assertThat(warnings.stream().map(m -> m.getId() + " " + m.getEntry().getData()).toList()).isEmpty();
  }
}
