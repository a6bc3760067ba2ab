package dev.flotilla.functions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.flotilla.contracts.Envelope;
import dev.flotilla.lifecycle.GarbageCollector;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/** The schedule's {@code Scheduled Event} → reconcile instances with claims. */
public final class GarbageCollectorHandler implements RequestStreamHandler {

  private final GarbageCollector collector;
  private final DecisionReport report;

  public GarbageCollectorHandler() {
    this(FlotillaServices.fromEnvironment());
  }

  public GarbageCollectorHandler(FlotillaServices services) {
    this.collector = services.collector;
    this.report = new DecisionReport("garbage-collector", services.config.cluster());
  }

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context) {
    Envelope event = Invocation.parse(Invocation.read(input, report),
        e -> e.expect("aws.events", Envelope.SCHEDULED), report);
    GarbageCollector.Report result = collector.collect();
    report.collected(event, result);
    Invocation.write(output, Map.of("eventId", event.id(), "adopted", result.adopted(),
        "terminated", result.terminated(), "closed", result.closed(), "expired", result.expired()));
  }
}
