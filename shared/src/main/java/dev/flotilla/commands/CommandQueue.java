package dev.flotilla.commands;

import java.time.Duration;
import java.util.List;

/** The command queue between the functions and the forwarder. Delivery is at least once; commands are idempotent. */
public interface CommandQueue {

  /** A message as received: its raw body (which may not parse), and the handle to delete or extend it by. */
  record Received(String body, String receipt, int receiveCount) {}

  void send(List<Command> commands);

  /** Waits up to {@code wait} for messages (long polling), at most {@code max}. */
  List<Received> receive(int max, Duration wait);

  void delete(String receipt);

  /** Keeps a message hidden from other consumers for {@code visibility} more, while a long drain runs. */
  void extendVisibility(String receipt, Duration visibility);
}
