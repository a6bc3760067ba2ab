package dev.flotilla.aws.smoke;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.aws.AwsClients;
import dev.flotilla.testing.AwsIntegrationTest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

@AwsIntegrationTest
class EventBusRoutingSmokeIT {

  @Test
  void ruleDeliversAMatchingEventToItsQueueAndNotAnotherOne(AwsClients aws) {
    EventBridgeClient events = aws.events();
    SqsClient sqs = aws.sqs();
    String queueUrl = sqs.createQueue(r -> r.queueName("provisioner-target")).queueUrl();
    String queueArn = sqs.getQueueAttributes(r -> r.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
        .attributes().get(QueueAttributeName.QUEUE_ARN);
    events.createEventBus(r -> r.name("flotilla"));
    events.putRule(r -> r.name("pods-pending").eventBusName("flotilla")
        .eventPattern("{\"source\":[\"flotilla.forwarder\"],\"detail-type\":[\"Pods Pending\"]}"));
    events.putTargets(r -> r.rule("pods-pending").eventBusName("flotilla")
        .targets(t -> t.id("queue").arn(queueArn)));

    PutEventsResponse put = events.putEvents(r -> r.entries(
        e -> e.eventBusName("flotilla").source("flotilla.forwarder").detailType("Pods Pending")
            .detail("{\"batch\":\"match\"}"),
        e -> e.eventBusName("flotilla").source("flotilla.forwarder").detailType("Node Ready")
            .detail("{\"batch\":\"other\"}")));
    assertThat(put.failedEntryCount()).isZero();

    List<Message> received = drain(sqs, queueUrl);
    assertThat(received).hasSize(1);
    assertThat(received.getFirst().body()).contains("\"detail-type\": \"Pods Pending\"").contains("match")
        .doesNotContain("other");
  }

  private static List<Message> drain(SqsClient sqs, String queueUrl) {
    List<Message> all = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      List<Message> batch = sqs.receiveMessage(r -> r.queueUrl(queueUrl).maxNumberOfMessages(10).waitTimeSeconds(1))
          .messages();
      all.addAll(batch);
    }
    return all;
  }
}
