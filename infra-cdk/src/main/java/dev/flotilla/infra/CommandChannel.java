package dev.flotilla.infra;

import software.amazon.awscdk.Duration;
import software.amazon.awscdk.services.sqs.DeadLetterQueue;
import software.amazon.awscdk.services.sqs.Queue;
import software.amazon.awscdk.services.sqs.QueueEncryption;
import software.constructs.Construct;

/**
 * The queue that carries in-cluster commands (cordon, drain, delete node) from the functions to the forwarder. A
 * command the forwarder fails five times goes to the dead-letter queue, which an alarm watches.
 */
public final class CommandChannel extends Construct {

  static final int MAX_RECEIVES = 5;

  private final Queue queue;
  private final Queue deadLetters;

  public CommandChannel(Construct scope, String id, String cluster) {
    super(scope, id);
    this.deadLetters = Queue.Builder.create(this, "DeadLetters")
        .queueName("flotilla-" + cluster + "-commands-dlq")
        .encryption(QueueEncryption.SQS_MANAGED)
        .enforceSsl(true)
        .retentionPeriod(Duration.days(14))
        .build();
    this.queue = Queue.Builder.create(this, "Queue")
        .queueName("flotilla-" + cluster + "-commands")
        .encryption(QueueEncryption.SQS_MANAGED)
        .enforceSsl(true)
        // a drain waits on evictions for up to five minutes before the forwarder extends or gives the message back
        .visibilityTimeout(Duration.minutes(6))
        .retentionPeriod(Duration.hours(1))
        .deadLetterQueue(DeadLetterQueue.builder().queue(deadLetters).maxReceiveCount(MAX_RECEIVES).build())
        .build();
  }

  public Queue queue() {
    return queue;
  }

  public Queue deadLetters() {
    return deadLetters;
  }
}
