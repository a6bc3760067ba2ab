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
  private final java.util.function.Consumer<java.time.Duration> pause;

  public ConsolidationHandler() {
    this(FlotillaServices.forDecisions());
  }

  public ConsolidationHandler(FlotillaServices services) {
    this(services, ConsolidationHandler::sleep);
  }

  /**
   * @param pause how the invocation waits before its command, or its replaces' drains, are checked (a test's clock may
   *     stand in)
   */
  public ConsolidationHandler(FlotillaServices services, java.util.function.Consumer<java.time.Duration> pause) {
    this.consolidation = services.consolidation;
    this.report = new DecisionReport("consolidation", services.config.cluster());
    this.pause = pause;
  }

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context) {
    Envelope event = Invocation.parse(Invocation.read(input, report),
        e -> e.expect("aws.events", Envelope.SCHEDULED), report);
    ConsolidationService.Begun begun = consolidation.begin(event.id());
    // a first half that ran long (a cold start, a large cluster, retried calls) leaves no time for the wait
    java.time.Duration left = context == null ? null
        : java.time.Duration.ofMillis(context.getRemainingTimeInMillis());
    ConsolidationService.Pass pass;
    if (begun.waiting() && left != null && !ConsolidationService.timeToFinish(left)) {
      pass = consolidation.giveUp(begun, left);
      report.consolidationGivenUp();
    } else {
      if (begun.waiting()) {
        // the command, and the drains of replaces ready (or joining) now, are checked on the cluster as it will be
        // then; the lease holds the next tick back
        pause.accept(ConsolidationService.VALIDATION_DELAY);
      }
      pass = consolidation.finish(begun);
    }
    report.consolidated(event, pass);
    Invocation.write(output, Map.of("eventId", event.id(), "action", pass.plan().action().label(),
        "started", pass.started(), "nodes", pass.plan().nodes().stream().map(c -> c.state().node()).toList(),
        "savingPerHour", pass.plan().savingPerHour(), "outcome", pass.outcome(), "drained", pass.drained()));
  }

  private static void sleep(java.time.Duration delay) {
    try {
      Thread.sleep(delay);
    } catch (InterruptedException e) {
      // the runtime is shutting the invocation down: the check goes ahead at once
      Thread.currentThread().interrupt();
    }
  }
}
