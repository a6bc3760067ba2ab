package dev.flotilla.forwarder;

import dev.flotilla.commands.Command;
import dev.flotilla.commands.CommandQueue;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A command queue that remembers what was done to it: every message received (with its receive count), and when, on
 * the queue's clock, each message's visibility was last extended. Tests wait on it instead of on time.
 */
final class WatchedQueue implements CommandQueue {

  private final CommandQueue queue;
  private final Clock clock;
  private final List<Received> received = new ArrayList<>();
  private final Map<String, Instant> lastExtended = new HashMap<>();
  private final Map<String, String> bodies = new HashMap<>();

  WatchedQueue(CommandQueue queue, Clock clock) {
    this.queue = queue;
    this.clock = clock;
  }

  @Override
  public void send(List<Command> commands) {
    queue.send(commands);
  }

  @Override
  public List<Received> receive(int max, Duration wait) {
    List<Received> got = queue.receive(max, wait);
    synchronized (this) {
      received.addAll(got);
      got.forEach(r -> bodies.put(r.receipt(), r.body()));
      notifyAll();
    }
    return got;
  }

  @Override
  public void delete(String receipt) {
    queue.delete(receipt);
    synchronized (this) {
      notifyAll();
    }
  }

  @Override
  public void extendVisibility(String receipt, Duration visibility) {
    queue.extendVisibility(receipt, visibility);
    synchronized (this) {
      lastExtended.put(receipt, clock.instant());
      notifyAll();
    }
  }

  synchronized List<Received> received() {
    return List.copyOf(received);
  }

  /** The commands received so far, parsed. */
  synchronized List<Command> commandsReceived() {
    return received.stream().map(r -> Command.parse(r.body())).toList();
  }

  /** Whether every message received so far has had its visibility extended at or after {@code since}. */
  synchronized boolean allExtendedSince(Instant since) {
    return !received.isEmpty() && received.stream().allMatch(r -> {
      Instant at = lastExtended.get(r.receipt());
      return at != null && !at.isBefore(since);
    });
  }

  /** Waits (with a guard against hanging) until the condition holds; returns whether it did. */
  boolean await(Predicate<WatchedQueue> condition) throws InterruptedException {
    long guard = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    synchronized (this) {
      while (!condition.test(this)) {
        long left = guard - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        wait(Math.max(1, left / 1_000_000));
      }
      return true;
    }
  }
}
