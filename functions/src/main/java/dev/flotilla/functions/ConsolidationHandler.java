package dev.flotilla.functions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.flotilla.contracts.Envelope;
import dev.flotilla.disruption.ConsolidationService;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/** The schedule's {@code Scheduled Event} → one consolidation pass. */
public final class ConsolidationHandler implements RequestStreamHandler {

  private final ConsolidationService consolidation;
  private final DecisionReport report;

  public ConsolidationHandler() {
    this(FlotillaServices.forDecisions());
  }

  public ConsolidationHandler(FlotillaServices services) {
    this.consolidation = services.consolidation;
    this.report = new DecisionReport("consolidation", services.config.cluster());
  }

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context) {
    Envelope event = Invocation.parse(Invocation.read(input, report),
        e -> e.expect("aws.events", Envelope.SCHEDULED), report);
    ConsolidationService.Pass pass = consolidation.run(event.id());
    report.consolidated(event, pass);
    Invocation.write(output, Map.of("eventId", event.id(), "action", pass.plan().action().label(),
        "started", pass.started(), "nodes", pass.plan().nodes().stream().map(c -> c.state().node()).toList(),
        "savingPerHour", pass.plan().savingPerHour(), "outcome", pass.outcome(), "drained", pass.drained()));
  }
}
