package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.aws.AwsClients;
import dev.flotilla.aws.EventBridgePublisher;
import dev.flotilla.testing.AwsIntegrationTest;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.extension.ExtendWith;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * Pending pods in a (mock) cluster become Pods Pending events on the bus, delivered by an EventBridge rule to its
 * SQS target, in the emulator.
 */
@AwsIntegrationTest
@EnableKubernetesMockClient(crud = true)
@ExtendWith(MockApiServerAnswers.class)
class ForwardingIT {

  static KubernetesClient client;

  @Test
  void pendingPodsArriveOnTheRulesTargetInOneBatch(AwsClients aws) throws Exception {
    String queue = aws.sqs().createQueue(r -> r.queueName("provisioner")).queueUrl();
    String arn = aws.sqs().getQueueAttributes(r -> r.queueUrl(queue).attributeNames(QueueAttributeName.QUEUE_ARN))
        .attributes().get(QueueAttributeName.QUEUE_ARN);
    aws.events().createEventBus(r -> r.name("flotilla"));
    aws.events().putRule(r -> r.name("pods-pending").eventBusName("flotilla")
        .eventPattern("{\"source\":[\"flotilla.forwarder\"],\"detail-type\":[\"Pods Pending\"]}"));
    aws.events().putTargets(r -> r.rule("pods-pending").eventBusName("flotilla").targets(t -> t.id("q").arn(arn)));

    // made before the watch starts, so that its first list brings them together whatever the machine's speed
    for (int i = 0; i < 5; i++) {
      Pod pod = client.pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata()
          .withName("web-" + i).withNamespace("shop").endMetadata().withNewSpec().addNewContainer()
          .withName("web").withImage("nginx").endContainer().endSpec().build()).create();
      pod.setStatus(new PodStatusBuilder().withConditions(new PodConditionBuilder().withType("PodScheduled")
          .withStatus("False").withReason("Unschedulable").build()).build());
      client.pods().inNamespace("shop").resource(pod).updateStatus();
    }
    try (ClusterWatch watch = new ClusterWatch(client, "shop-prod", new EventBridgePublisher(aws.events(), "flotilla"),
        Duration.ofMillis(300), Duration.ofSeconds(10), Duration.ofMinutes(5)).start()) {
      List<Message> received = new ArrayList<>();
      for (int i = 0; i < 10 && received.isEmpty(); i++) {
        received.addAll(aws.sqs().receiveMessage(r -> r.queueUrl(queue).waitTimeSeconds(1).maxNumberOfMessages(10))
            .messages());
      }
      Thread.sleep(1000);
      received.addAll(aws.sqs().receiveMessage(r -> r.queueUrl(queue).waitTimeSeconds(1).maxNumberOfMessages(10))
          .messages());

      assertThat(received).hasSize(1);
      JsonNode event = new ObjectMapper().readTree(received.getFirst().body());
      assertThat(event.path("detail-type").asText()).isEqualTo("Pods Pending");
      assertThat(event.path("detail").path("cluster").asText()).isEqualTo("shop-prod");
      // five pods alike but for their names: one kind, five names after its prefix
      assertThat(event.path("detail").path("version").asInt()).isEqualTo(2);
      assertThat(event.path("detail").path("kinds")).singleElement().satisfies(kind -> {
        assertThat(kind.path("namePrefix").asText()).isEqualTo("shop/web-");
        assertThat(kind.path("names")).hasSize(5);
      });
    }
  }
}
