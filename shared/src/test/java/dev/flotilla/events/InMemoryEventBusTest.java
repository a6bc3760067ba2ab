package dev.flotilla.events;

import java.util.List;

class InMemoryEventBusTest extends EventPublisherContract {
  private final InMemoryEventBus bus = new InMemoryEventBus();

  @Override
  protected EventPublisher publisher() {
    return bus;
  }

  @Override
  protected List<BusEvent> delivered(int expected) {
    return bus.published();
  }
}
