package dev.flotilla.functions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.flotilla.aws.Ec2OfferingSource;
import dev.flotilla.catalog.SnapshotOfferingSource;
import dev.flotilla.contracts.Envelope;
import dev.flotilla.lifecycle.GarbageCollector;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/** The schedule's {@code Scheduled Event} → reconcile instances with claims, and refresh the catalog snapshot. */
public final class GarbageCollectorHandler implements RequestStreamHandler {

  private final GarbageCollector collector;
  private final java.util.Optional<SnapshotOfferingSource> catalog;
  private final DecisionReport report;

  public GarbageCollectorHandler() {
    this(FlotillaServices.fromEnvironment());
  }

  public GarbageCollectorHandler(FlotillaServices services) {
    this.collector = services.collector;
    this.catalog = services.catalogSnapshots();
    this.report = new DecisionReport("garbage-collector", services.config.cluster());
  }

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context) {
    Envelope event = Invocation.parse(Invocation.read(input, report),
        e -> e.expect("aws.events", Envelope.SCHEDULED), report);
    GarbageCollector.Report result = collector.collect();
    report.collected(event, result);
    catalog.ifPresent(this::refreshCatalog);
    Invocation.write(output, Map.of("eventId", event.id(), "adopted", result.adopted(),
        "terminated", result.terminated(), "closed", result.closed(), "expired", result.expired(),
        "nominatedAgain", result.nominated()));
  }

  /**
   * The schedule's catalog refresh: the AWS catalog APIs are called here, where no decision waits, once the stored
   * snapshot is older than the refresh period. A failed build keeps the snapshot served, and the next pass retries.
   */
  private void refreshCatalog(SnapshotOfferingSource source) {
    boolean rebuilt = false;
    String failure = null;
    try {
      rebuilt = source.refreshIfOlderThan(Ec2OfferingSource.REFRESH);
    } catch (RuntimeException e) {
      failure = e.getClass().getSimpleName() + ": " + e.getMessage();
    }
    report.catalogSnapshot(source.snapshotAge(), rebuilt, failure);
  }
}
