package dev.flotilla.aws;

import dev.flotilla.commands.Command;
import dev.flotilla.commands.CommandQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

/** The command queue on SQS: batched sends, long-polling receives, deletes and visibility extensions. */
public final class SqsCommandQueue implements CommandQueue {

  private static final int ATTEMPTS = 4;
  private final SqsClient sqs;
  private final String queueUrl;

  public SqsCommandQueue(SqsClient sqs, String queueUrl) {
    this.sqs = sqs;
    this.queueUrl = queueUrl;
  }

  @Override
  public void send(List<Command> commands) {
    for (int i = 0; i < commands.size(); i += 10) {
      List<SendMessageBatchRequestEntry> pending = new ArrayList<>();
      for (Command c : commands.subList(i, Math.min(commands.size(), i + 10))) {
        pending.add(SendMessageBatchRequestEntry.builder().id(Integer.toString(pending.size()))
            .messageBody(c.toJson()).build());
      }
      for (int attempt = 1; !pending.isEmpty(); attempt++) {
        List<SendMessageBatchRequestEntry> sending = pending;
        SendMessageBatchResponse response = sqs.sendMessageBatch(r -> r.queueUrl(queueUrl).entries(sending));
        if (response.failed().isEmpty()) {
          break;
        }
        if (attempt == ATTEMPTS) {
          throw new IllegalStateException(response.failed().size() + " commands were not accepted by " + queueUrl
              + ": " + response.failed().getFirst().code() + " " + response.failed().getFirst().message());
        }
        List<String> failedIds = response.failed().stream().map(f -> f.id()).toList();
        pending = sending.stream().filter(e -> failedIds.contains(e.id())).toList();
        Backoff.sleep(attempt);
      }
    }
  }

  @Override
  public List<Received> receive(int max, Duration wait) {
    return sqs.receiveMessage(r -> r.queueUrl(queueUrl).maxNumberOfMessages(Math.min(10, max))
            .waitTimeSeconds((int) Math.min(20, wait.toSeconds()))
            .messageSystemAttributeNames(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT))
        .messages().stream()
        .map(m -> new Received(m.body(), m.receiptHandle(), Integer.parseInt(
            m.attributes().getOrDefault(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT, "1"))))
        .toList();
  }

  @Override
  public void delete(String receipt) {
    sqs.deleteMessage(r -> r.queueUrl(queueUrl).receiptHandle(receipt));
  }

  @Override
  public void extendVisibility(String receipt, Duration visibility) {
    sqs.changeMessageVisibility(r -> r.queueUrl(queueUrl).receiptHandle(receipt)
        .visibilityTimeout((int) visibility.toSeconds()));
  }
}
