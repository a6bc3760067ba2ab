package dev.flotilla.commands;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The command queue in memory, with SQS's visibility timeout on a clock (the simulator's, in simulations). A receive
 * with a wait long-polls as SQS's does: it returns as soon as something is sent, or empty once the wait has passed
 * (in real time; messages that become visible on the clock meanwhile are seen at the next receive).
 */
public final class InMemoryCommandQueue implements CommandQueue {

  private static final class Message {
    final String body;
    Instant visibleAt;
    int receives;

    Message(String body, Instant visibleAt) {
      this.body = body;
      this.visibleAt = visibleAt;
    }
  }

  private final Clock clock;
  private final Duration visibilityTimeout;
  private final Map<String, Message> messages = new LinkedHashMap<>();
  private long sequence;

  public InMemoryCommandQueue(Clock clock, Duration visibilityTimeout) {
    this.clock = clock;
    this.visibilityTimeout = visibilityTimeout;
  }

  @Override
  public synchronized void send(List<Command> commands) {
    for (Command c : commands) {
      messages.put("m-" + sequence++, new Message(c.toJson(), clock.instant()));
    }
    notifyAll();
  }

  /** Puts a raw body on the queue, as a broken producer might. */
  public synchronized void sendRaw(String body) {
    messages.put("m-" + sequence++, new Message(body, clock.instant()));
    notifyAll();
  }

  @Override
  public synchronized List<Received> receive(int max, Duration wait) {
    long until = System.nanoTime() + wait.toNanos();
    List<Received> result = visible(max);
    for (long left = wait.toNanos(); result.isEmpty() && left > 0; left = until - System.nanoTime()) {
      try {
        wait(Math.max(1, left / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      result = visible(max);
    }
    return result;
  }

  private List<Received> visible(int max) {
    List<Received> result = new ArrayList<>();
    Instant now = clock.instant();
    for (Iterator<Map.Entry<String, Message>> it = messages.entrySet().iterator(); it.hasNext() && result.size() < max; ) {
      Map.Entry<String, Message> e = it.next();
      Message m = e.getValue();
      if (!m.visibleAt.isAfter(now)) {
        m.visibleAt = now.plus(visibilityTimeout);
        m.receives++;
        result.add(new Received(m.body, e.getKey() + "#" + m.receives, m.receives));
      }
    }
    return result;
  }

  @Override
  public synchronized void delete(String receipt) {
    messages.remove(receipt.substring(0, receipt.indexOf('#')));
  }

  @Override
  public synchronized void extendVisibility(String receipt, Duration visibility) {
    Message m = messages.get(receipt.substring(0, receipt.indexOf('#')));
    if (m != null) {
      m.visibleAt = clock.instant().plus(visibility);
      if (visibility.isZero()) {
        notifyAll();
      }
    }
  }

  public synchronized int size() {
    return messages.size();
  }
}
