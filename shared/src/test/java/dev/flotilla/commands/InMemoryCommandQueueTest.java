package dev.flotilla.commands;

import dev.flotilla.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;

class InMemoryCommandQueueTest extends CommandQueueContract {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
  private final InMemoryCommandQueue queue = new InMemoryCommandQueue(clock, VISIBILITY);

  @Override
  protected CommandQueue queue() {
    return queue;
  }

  @Override
  protected void elapse(Duration d) {
    clock.advance(d);
  }
}
