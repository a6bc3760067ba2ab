package dev.flotilla.functions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.flotilla.claims.Claim;
import dev.flotilla.contracts.Envelope;
import dev.flotilla.contracts.InvalidEventException;
import dev.flotilla.contracts.NodeEvent;
import dev.flotilla.lifecycle.Lifecycle;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.Optional;

/** {@code Node Registered}, {@code Node Ready}, {@code Node Deleted} → move the node's claim. */
public final class NodeLifecycleHandler implements RequestStreamHandler {

  private final Lifecycle lifecycle;
  private final DecisionReport report;

  public NodeLifecycleHandler() {
    this(FlotillaServices.fromEnvironment());
  }

  public NodeLifecycleHandler(FlotillaServices services) {
    this.lifecycle = services.lifecycle;
    this.report = new DecisionReport("lifecycle", services.config.cluster());
  }

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context) {
    Envelope event = Invocation.read(input, report);
    NodeEvent node = Invocation.parse(event, e -> {
      if (!e.detailType().equals(Envelope.NODE_REGISTERED) && !e.detailType().equals(Envelope.NODE_READY)
          && !e.detailType().equals(Envelope.NODE_DELETED)) {
        throw new InvalidEventException("event.detail-type: '" + e.detailType()
            + "' is not Node Registered, Node Ready or Node Deleted");
      }
      return NodeEvent.from(e);
    }, report);
    Optional<Claim> moved = switch (event.detailType()) {
      case Envelope.NODE_REGISTERED -> lifecycle.registered(node);
      case Envelope.NODE_READY -> lifecycle.ready(node);
      default -> lifecycle.deleted(node);
    };
    String outcome = moved.map(c -> "claim " + c.id() + " is " + c.state()).orElse("no change");
    report.nodeEvent(event, node.instanceId(), outcome);
    Invocation.write(output, Map.of("eventId", event.id(), "outcome", outcome));
  }
}
