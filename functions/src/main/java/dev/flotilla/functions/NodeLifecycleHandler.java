package dev.flotilla.functions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.flotilla.claims.Claim;
import dev.flotilla.contracts.DrainResult;
import dev.flotilla.contracts.Envelope;
import dev.flotilla.contracts.InvalidEventException;
import dev.flotilla.contracts.NodeEvent;
import dev.flotilla.lifecycle.Lifecycle;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.Optional;

/**
 * {@code Node Registered}, {@code Node Ready}, {@code Node Deleted} → move the node's claim; {@code Node Drained} →
 * terminate the drained node's instance and close its claim.
 */
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
    if (event.detailType().equals(Envelope.NODE_DRAINED) || event.detailType().equals(Envelope.DRAIN_FAILED)) {
      DrainResult drain = Invocation.parse(event, DrainResult::from, report);
      // a failed drain leaves the node cordoned and its claim Draining: the dashboard and the log say which pods held
      Optional<Claim> closed = drain.drained() ? lifecycle.drained(drain.claimId()) : Optional.empty();
      String outcome = drain.drained() ? closed.map(c -> "instance " + c.instanceId() + " terminated, claim "
          + c.id() + " is " + c.state()).orElse("no change") : "drain failed; still there: " + drain.remainingPods();
      report.nodeEvent(event, drain.node(), outcome);
      Invocation.write(output, Map.of("eventId", event.id(), "outcome", outcome));
      return;
    }
    NodeEvent node = Invocation.parse(event, e -> {
      if (!e.detailType().equals(Envelope.NODE_REGISTERED) && !e.detailType().equals(Envelope.NODE_READY)
          && !e.detailType().equals(Envelope.NODE_DELETED)) {
        throw new InvalidEventException("event.detail-type: '" + e.detailType()
            + "' is not Node Registered, Node Ready, Node Deleted, Node Drained or Drain Failed");
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
