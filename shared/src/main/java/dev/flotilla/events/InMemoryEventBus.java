package dev.flotilla.events;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** The bus in memory: keeps what was published and hands it to subscribers, as the simulator's rules. */
public final class InMemoryEventBus implements EventPublisher {

  private final List<BusEvent> published = new CopyOnWriteArrayList<>();
  private final List<Consumer<BusEvent>> subscribers = new CopyOnWriteArrayList<>();
  private int calls;

  @Override
  public void publish(List<BusEvent> events) {
    for (List<BusEvent> chunk : EventPublisher.chunks(events)) {
      synchronized (this) {
        calls++;
      }
      for (BusEvent e : chunk) {
        published.add(e);
        subscribers.forEach(s -> s.accept(e));
      }
    }
  }

  public void subscribe(Consumer<BusEvent> subscriber) {
    subscribers.add(subscriber);
  }

  public List<BusEvent> published() {
    return new ArrayList<>(published);
  }

  /** How many PutEvents calls the same events would have taken. */
  public synchronized int calls() {
    return calls;
  }
}
