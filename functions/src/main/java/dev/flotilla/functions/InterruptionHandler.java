package dev.flotilla.functions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.flotilla.contracts.Envelope;
import dev.flotilla.contracts.InterruptionEvent;
import dev.flotilla.interruption.InterruptionService;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/** EC2 spot warnings, rebalance recommendations, state changes and AWS Health scheduled changes → act on owned nodes. */
public final class InterruptionHandler implements RequestStreamHandler {

  private final InterruptionService interruption;
  private final DecisionReport report;

  public InterruptionHandler() {
    this(FlotillaServices.forDecisions());
  }

  public InterruptionHandler(FlotillaServices services) {
    this.interruption = services.interruption;
    this.report = new DecisionReport("interruption", services.config.cluster());
  }

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context) {
    Envelope event = Invocation.read(input, report);
    InterruptionEvent interruptionEvent = Invocation.parse(event, InterruptionEvent::of, report);
    InterruptionService.Outcome outcome = interruption.handle(interruptionEvent);
    report.interrupted(event, outcome);
    Invocation.write(output, Map.of("eventId", event.id(), "kind", outcome.kind(),
        "handled", outcome.handled().stream().map(h -> Map.of("instanceId", h.instanceId(), "action", h.action(),
            "reason", h.reason(), "replacementClaims", h.replacementClaims())).toList()));
  }
}
