package dev.flotilla.aws.smoke;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.aws.AwsClients;
import dev.flotilla.testing.AwsIntegrationTest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

@AwsIntegrationTest
class DeadLetterSmokeIT {

  @Test
  void messageMovesToTheDeadLetterQueueAfterMaxReceiveCount(AwsClients aws) {
    SqsClient sqs = aws.sqs();
    String dlqUrl = sqs.createQueue(r -> r.queueName("commands-dlq")).queueUrl();
    String dlqArn = sqs.getQueueAttributes(r -> r.queueUrl(dlqUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
        .attributes().get(QueueAttributeName.QUEUE_ARN);
    String queueUrl = sqs.createQueue(r -> r.queueName("commands").attributes(Map.of(
        QueueAttributeName.VISIBILITY_TIMEOUT, "0",
        QueueAttributeName.REDRIVE_POLICY,
        "{\"deadLetterTargetArn\":\"" + dlqArn + "\",\"maxReceiveCount\":\"2\"}"))).queueUrl();
    sqs.sendMessage(r -> r.queueUrl(queueUrl).messageBody("{\"kind\":\"Drain\",\"node\":\"bad\"}"));

    // Received twice and never deleted, as a consumer that keeps failing would.
    for (int attempt = 0; attempt < 2; attempt++) {
      assertThat(receive(sqs, queueUrl)).as("receive %d", attempt + 1).hasSize(1);
    }
    assertThat(receive(sqs, queueUrl)).as("after maxReceiveCount").isEmpty();

    List<Message> dead = receive(sqs, dlqUrl);
    assertThat(dead).singleElement().extracting(Message::body).isEqualTo("{\"kind\":\"Drain\",\"node\":\"bad\"}");
  }

  private static List<Message> receive(SqsClient sqs, String url) {
    return sqs.receiveMessage(r -> r.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)).messages();
  }
}
