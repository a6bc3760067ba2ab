package dev.flotilla.aws;

import dev.flotilla.events.BusEvent;
import dev.flotilla.events.EventPublisher;
import dev.flotilla.events.EventPublisherContract;
import dev.flotilla.testing.AwsIntegrationTest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/** The publisher contract against EventBridge in the emulator; a rule delivers to a queue the test reads. */
@AwsIntegrationTest
class EventBridgePublisherIT extends EventPublisherContract {

  private AwsClients aws;
  private String queueUrl;

  @BeforeEach
  void bus(AwsClients aws) {
    this.aws = aws;
    queueUrl = aws.sqs().createQueue(r -> r.queueName("bus-target")).queueUrl();
    String arn = aws.sqs().getQueueAttributes(r -> r.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
        .attributes().get(QueueAttributeName.QUEUE_ARN);
    aws.events().createEventBus(r -> r.name("flotilla"));
    aws.events().putRule(r -> r.name("all").eventBusName("flotilla")
        .eventPattern("{\"source\":[\"flotilla.forwarder\"]}"));
    aws.events().putTargets(r -> r.rule("all").eventBusName("flotilla").targets(t -> t.id("q").arn(arn)));
  }

  @Override
  protected EventPublisher publisher() {
    return new EventBridgePublisher(aws.events(), "flotilla");
  }

  @Override
  protected List<BusEvent> delivered(int expected) {
    List<BusEvent> events = new ArrayList<>();
    for (int i = 0; i < 10 && events.size() < expected; i++) {
      for (Message m : aws.sqs().receiveMessage(r -> r.queueUrl(queueUrl).maxNumberOfMessages(10)
          .waitTimeSeconds(1)).messages()) {
        var envelope = Json.read(m.body());
        events.add(new BusEvent(envelope.path("source").asText(), envelope.path("detail-type").asText(),
            envelope.path("detail").toString()));
      }
    }
    return events;
  }

  /** Reads an EventBridge envelope. */
  static final class Json {
    private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER =
        new com.fasterxml.jackson.databind.ObjectMapper();

    static com.fasterxml.jackson.databind.JsonNode read(String s) {
      try {
        return MAPPER.readTree(s);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
