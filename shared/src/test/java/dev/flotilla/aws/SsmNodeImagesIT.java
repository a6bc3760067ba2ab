package dev.flotilla.aws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.disruption.ConsolidationPlan.Candidate;
import dev.flotilla.disruption.Consolidator;
import dev.flotilla.disruption.Drift;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.Resources;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.testing.AwsIntegrationTest;
import dev.flotilla.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * Image drift against Systems Manager in the emulator: the node image parameter is read, cached for the refresh
 * period, read again after it, and a new value drifts the nodes launched on the old one.
 */
@AwsIntegrationTest
class SsmNodeImagesIT {

  // the emulator refuses names under /aws/, which AWS keeps for its public parameters: the same shape elsewhere
  private static final String AMD64 = "/flotilla-it/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/"
      + "recommended/image_id";

  @Test
  void aNewImageBehindTheParameterDriftsTheNodesOnTheOldOne(AwsClients aws) {
    aws.ssm().putParameter(r -> r.name(AMD64).value("ami-0aaaaaaaaaaaaaaa1").type(ParameterType.STRING)
        .overwrite(true));
    MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
    SsmNodeImages images = new SsmNodeImages(aws.ssm(), Map.of("amd64", AMD64), Map.of("amd64", "ami-deployed"),
        clock, SsmNodeImages.REFRESH);
    Drift drift = new Drift(new Consolidator(), images, dev.flotilla.cloud.NodeNetwork.NONE);
    assertThat(images.current("amd64")).contains("ami-0aaaaaaaaaaaaaaa1");
    assertThat(images.current("arm64")).as("no parameter, no image").isEmpty();
    Candidate node = node("ami-0aaaaaaaaaaaaaaa1", clock.instant());
    Consolidator.View view = new Consolidator.View(List.of(node.state()), List.of(node.claim()),
        List.of(NodePool.defaultPool()), null, clock.instant());
    assertThat(drift.why(node, view)).isEmpty();

    aws.ssm().putParameter(r -> r.name(AMD64).value("ami-0bbbbbbbbbbbbbbb2").type(ParameterType.STRING)
        .overwrite(true));
    assertThat(images.current("amd64")).as("read again only after the refresh").contains("ami-0aaaaaaaaaaaaaaa1");
    clock.advance(SsmNodeImages.REFRESH.plusSeconds(1));

    assertThat(drift.why(node, view)).hasValueSatisfying(why -> assertThat(why)
        .contains("ami-0aaaaaaaaaaaaaaa1 was replaced by ami-0bbbbbbbbbbbbbbb2"));
    assertThat(drift.why(node("ami-0bbbbbbbbbbbbbbb2", clock.instant()), view)).isEmpty();
  }

  @Test
  void aParameterThatCannotBeReadFallsBackToTheDeployedImage(AwsClients aws) {
    SsmNodeImages images = new SsmNodeImages(aws.ssm(), Map.of("amd64", "/flotilla-it/no-such-parameter"),
        Map.of("amd64", "ami-deployed"), new MutableClock(Instant.parse("2026-11-25T12:00:00Z")), Duration.ZERO);

    assertThat(images.current("amd64")).contains("ami-deployed");
  }

  private static Candidate node(String image, Instant now) {
    Claim claim = Claim.launching("claim-1", "default", List.of("m7i.large"), List.of("us-east-1a"),
        CapacityType.ON_DEMAND, List.of(), Resources.NONE, 0.1, now).withNode("ip-1")
        .moved(ClaimState.Initialized, now).annotated(Map.of(Claim.Annotations.IMAGE, image,
            Claim.Annotations.NODEPOOL_HASH, NodePool.defaultPool().templateHash()));
    NodeState state = new NodeState("ip-1", "i-1", Map.of(WellKnownLabels.ARCH, "amd64",
        WellKnownLabels.INSTANCE_TYPE, "m7i.large"), false, Resources.NONE, List.of(), List.of());
    return new Candidate(state, claim);
  }
}
