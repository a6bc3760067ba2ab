package dev.flotilla.aws;

import dev.flotilla.commands.CommandQueue;
import dev.flotilla.commands.CommandQueueContract;
import dev.flotilla.testing.AwsIntegrationTest;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/** The command queue contract against SQS in the emulator, with real visibility timeouts. */
@AwsIntegrationTest
class SqsCommandQueueIT extends CommandQueueContract {

  private CommandQueue queue;

  @BeforeEach
  void queue(AwsClients aws) {
    String url = aws.sqs().createQueue(r -> r.queueName("commands").attributes(Map.of(
        QueueAttributeName.VISIBILITY_TIMEOUT, Long.toString(VISIBILITY.toSeconds())))).queueUrl();
    queue = new SqsCommandQueue(aws.sqs(), url);
  }

  @Override
  protected CommandQueue queue() {
    return queue;
  }

  @Override
  protected void elapse(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
