package dev.flotilla.functions;

import dev.flotilla.claims.Claim;
import dev.flotilla.contracts.Envelope;
import dev.flotilla.lifecycle.GarbageCollector;
import dev.flotilla.provisioning.Provisioner;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.lambda.powertools.metrics.Metrics;
import software.amazon.lambda.powertools.metrics.MetricsBuilder;
import software.amazon.lambda.powertools.metrics.model.DimensionSet;
import dev.flotilla.disruption.ConsolidationPlan;
import dev.flotilla.disruption.ConsolidationService;
import dev.flotilla.interruption.InterruptionService;
import software.amazon.lambda.powertools.metrics.model.MetricUnit;

/**
 * Every decision, explained: one structured JSON log line (what was pending, what was launched, why, what it cost)
 * and CloudWatch metrics in Embedded Metric Format, namespace {@code Flotilla}.
 */
final class DecisionReport {

  static final String NAMESPACE = "Flotilla";
  private static final Logger LOG = LoggerFactory.getLogger("flotilla.decisions");

  private final Metrics metrics;
  private final String function;
  private final String cluster;

  DecisionReport(String function, String cluster) {
    this.function = function;
    this.cluster = cluster;
    this.metrics = MetricsBuilder.builder().withNamespace(NAMESPACE).withService(function)
        .withDefaultDimension("Cluster", cluster).withRaiseOnEmptyMetrics(false).build();
  }

  void provisioned(Envelope event, Provisioner.Decision d) {
    Map<String, Long> byType = new LinkedHashMap<>();
    for (Claim c : d.launched()) {
      byType.merge(c.instanceType() + "/" + c.capacityType().label(), 1L, Long::sum);
    }
    LOG.atInfo().setMessage("provisioned")
        .addKeyValue("function", function).addKeyValue("cluster", cluster).addKeyValue("eventId", event.id())
        .addKeyValue("podsReceived", d.received()).addKeyValue("podsAlreadyReserved", d.alreadyReserved())
        .addKeyValue("launched", d.launched().stream().map(c -> Map.of("claim", c.id(), "instanceId", c.instanceId(),
            "instanceType", c.instanceType(), "zone", c.zone(), "capacityType", c.capacityType().label(),
            "pricePerHour", c.pricePerHour(), "pods", c.pods().size(), "alternatives", c.instanceTypes().size()))
            .toList())
        .addKeyValue("addedToInFlight", d.addedToInFlight().stream()
            .map(p -> Map.of("claim", p.claimId(), "pods", p.pods())).toList())
        .addKeyValue("unschedulable", d.unschedulable().stream()
            .map(u -> Map.of("pod", u.pod(), "reason", u.reason())).toList())
        .addKeyValue("waitingForLeavingNodes", d.waitingForLeavingNodes())
        .addKeyValue("failures", d.failures())
        .addKeyValue("addedPricePerHour", d.addedPricePerHour())
        .addKeyValue("lowerBoundPerHour", d.lowerBoundPerHour())
        .addKeyValue("decisionMillis", d.decisionMillis())
        .log();
    metrics.addMetric("PodsPending", d.received() - d.alreadyReserved(), MetricUnit.COUNT);
    metrics.addMetric("PodsUnschedulable", d.unschedulable().size(), MetricUnit.COUNT);
    metrics.addMetric("PodsWaitingForLeavingNodes", d.waitingForLeavingNodes().size(), MetricUnit.COUNT);
    metrics.addMetric("ClaimsCreated", d.launched().size(), MetricUnit.COUNT);
    metrics.addMetric("LaunchFailures", d.failures().size(), MetricUnit.COUNT);
    metrics.addMetric("DecisionLatency", d.decisionMillis(), MetricUnit.MILLISECONDS);
    metrics.addMetric("EstimatedHourlyCostAdded", d.addedPricePerHour(), MetricUnit.NONE);
    metrics.addMetadata("eventId", event.id());
    metrics.flush();
    Map<String, Long> byReason = new LinkedHashMap<>();
    for (String failure : d.failures()) {
      byReason.merge(reason(failure), 1L, Long::sum);
    }
    byReason.forEach((reason, count) -> metrics.flushSingleMetric("LaunchFailuresByReason", count, MetricUnit.COUNT,
        NAMESPACE, DimensionSet.of("Cluster", cluster, "Reason", reason)));
    byType.forEach((key, count) -> {
      String[] parts = key.split("/");
      metrics.flushSingleMetric("InstancesLaunched", count, MetricUnit.COUNT, NAMESPACE,
          DimensionSet.of("Cluster", cluster, "InstanceType", parts[0], "CapacityType", parts[1]));
    });
  }

  /** The first error code of a failure, or why no launch was tried. */
  static String reason(String failure) {
    int colon = failure.lastIndexOf(": ");
    String tail = colon < 0 ? failure : failure.substring(colon + 2);
    if (failure.contains("already reserved")) {
      return "PodsAlreadyReserved";
    }
    int comma = tail.indexOf(',');
    return (comma < 0 ? tail : tail.substring(0, comma)).trim().replace(' ', '-');
  }

  void nodeEvent(Envelope event, String instanceId, String outcome) {
    LOG.atInfo().setMessage("node event").addKeyValue("function", function).addKeyValue("cluster", cluster)
        .addKeyValue("eventId", event.id()).addKeyValue("detailType", event.detailType())
        .addKeyValue("instanceId", instanceId).addKeyValue("outcome", outcome).log();
    metrics.addMetric("NodeEvents", 1, MetricUnit.COUNT);
    metrics.flush();
  }

  void collected(Envelope event, GarbageCollector.Report r) {
    LOG.atInfo().setMessage("garbage collected").addKeyValue("function", function).addKeyValue("cluster", cluster)
        .addKeyValue("eventId", event.id()).addKeyValue("adopted", r.adopted())
        .addKeyValue("terminated", r.terminated()).addKeyValue("closed", r.closed())
        .addKeyValue("expired", r.expired()).addKeyValue("nominatedAgain", r.nominated())
        .addKeyValue("fleetPricePerHour", r.fleetPricePerHour()).log();
    metrics.addMetric("InstancesAdopted", r.adopted().size(), MetricUnit.COUNT);
    metrics.addMetric("InstancesTerminated", r.terminated().size(), MetricUnit.COUNT);
    metrics.addMetric("ClaimsClosed", r.closed().size(), MetricUnit.COUNT);
    metrics.addMetric("LaunchesExpired", r.expired().size(), MetricUnit.COUNT);
    metrics.addMetric("FleetPricePerHour", r.fleetPricePerHour(), MetricUnit.NONE);
    metrics.flush();
  }

  /**
   * The catalog snapshot the functions serve: its age as metric {@code CatalogSnapshotAge} (seconds), and whether
   * this pass rebuilt it. Without a snapshot (the bundled catalog serves) no age is emitted.
   */
  void catalogSnapshot(java.util.Optional<java.time.Duration> age, boolean rebuilt, String failure) {
    LOG.atInfo().setMessage("catalog snapshot").addKeyValue("function", function).addKeyValue("cluster", cluster)
        .addKeyValue("ageSeconds", age.map(java.time.Duration::toSeconds).orElse(null))
        .addKeyValue("rebuilt", rebuilt).addKeyValue("failure", failure).log();
    age.ifPresent(a -> metrics.flushSingleMetric("CatalogSnapshotAge", a.toMillis() / 1000.0, MetricUnit.SECONDS,
        NAMESPACE, DimensionSet.of("Cluster", cluster)));
  }

  void interrupted(Envelope event, InterruptionService.Outcome outcome) {
    for (InterruptionService.Handled h : outcome.handled()) {
      LOG.atInfo().setMessage("interruption").addKeyValue("function", function).addKeyValue("cluster", cluster)
          .addKeyValue("eventId", event.id()).addKeyValue("kind", outcome.kind())
          .addKeyValue("instanceId", h.instanceId()).addKeyValue("claim", h.claimId()).addKeyValue("node", h.node())
          .addKeyValue("action", h.action()).addKeyValue("reason", h.reason())
          .addKeyValue("replacementClaims", h.replacementClaims())
          .addKeyValue("replacementPricePerHour", h.replacementPricePerHour()).log();
      if (!"ignored".equals(h.action())) {
        metrics.flushSingleMetric("InterruptionsHandled", 1, MetricUnit.COUNT, NAMESPACE,
            DimensionSet.of("Cluster", cluster, "Kind", outcome.kind()));
      }
    }
  }

  void consolidated(Envelope event, ConsolidationService.Pass pass) {
    ConsolidationPlan plan = pass.plan();
    LOG.atInfo().setMessage("consolidation").addKeyValue("function", function).addKeyValue("cluster", cluster)
        .addKeyValue("eventId", event.id()).addKeyValue("action", plan.action().label())
        .addKeyValue("started", pass.started()).addKeyValue("outcome", pass.outcome())
        .addKeyValue("reason", plan.reason())
        .addKeyValue("nodes", plan.nodes().stream().map(c -> Map.of("node", c.state().node(),
            "claim", c.claim().id(), "instanceType", String.valueOf(c.claim().instanceType()),
            "pricePerHour", c.price(), "pods", c.state().displaced().size())).toList())
        .addKeyValue("replacements", plan.replacements().stream().map(r -> Map.of("instanceTypes",
            r.instanceTypes().stream().limit(5).map(t -> t.name()).toList(), "pods", r.pods().size(),
            "pricePerHour", r.pricePerHour())).toList())
        .addKeyValue("removedPricePerHour", plan.removedPricePerHour())
        .addKeyValue("replacementPricePerHour", plan.replacementPricePerHour())
        .addKeyValue("savingPerHour", plan.savingPerHour())
        .addKeyValue("drainedReplaced", pass.drained())
        .addKeyValue("replacesAbandoned", pass.abandoned())
        .addKeyValue("skipped", plan.skipped().stream().limit(50).toList()).log();
    if (pass.started()) {
      metrics.flushSingleMetric("ConsolidationActions", 1, MetricUnit.COUNT, NAMESPACE,
          DimensionSet.of("Cluster", cluster, "Action", plan.action().label()));
      metrics.addMetric("ConsolidationHourlySaving", plan.savingPerHour(), MetricUnit.NONE);
    }
    metrics.addMetric("NodesDrainedAfterReplacement", pass.drained().size(), MetricUnit.COUNT);
    metrics.addMetric("ReplacesAbandoned", pass.abandoned().size(), MetricUnit.COUNT);
    metrics.flush();
    disrupted(event, pass.disruptions());
  }

  /**
   * A consolidation pass whose first half left too little of the invocation for its wait and check, counted (the
   * service logs it, and {@link #consolidated} the pass): passes that keep giving up leave commands unstarted and
   * ready replaces undrained, which an alarm watches.
   */
  void consolidationGivenUp() {
    metrics.flushSingleMetric("ConsolidationPassesGivenUp", 1, MetricUnit.COUNT, NAMESPACE,
        DimensionSet.of("Cluster", cluster));
  }

  /** One line per node whose disruption began, with its reason and the budget that let it go; counted by reason. */
  void disrupted(Envelope event, java.util.List<ConsolidationService.Disrupted> disruptions) {
    for (ConsolidationService.Disrupted d : disruptions) {
      LOG.atInfo().setMessage("node disrupted").addKeyValue("function", function).addKeyValue("cluster", cluster)
          .addKeyValue("eventId", event.id()).addKeyValue("node", d.node()).addKeyValue("claim", d.claimId())
          .addKeyValue("nodePool", d.nodePool()).addKeyValue("reason", d.reason().name())
          .addKeyValue("allowedBy", d.allowedBy()).addKeyValue("why", d.why())
          .addKeyValue("replacements", d.replacements()).log();
    }
    byReason(disruptions).forEach((reason, count) -> metrics.flushSingleMetric("NodesDisrupted", count, MetricUnit.COUNT,
        NAMESPACE, DimensionSet.of("Cluster", cluster, "Reason", reason)));
  }

  /** How many nodes each reason disrupted: the {@code NodesDisrupted} metric's values by its {@code Reason}. */
  static Map<String, Long> byReason(java.util.List<ConsolidationService.Disrupted> disruptions) {
    Map<String, Long> byReason = new LinkedHashMap<>();
    disruptions.forEach(d -> byReason.merge(d.reason().name(), 1L, Long::sum));
    return byReason;
  }

  /** A rejected event: the reason names the field; the invocation then fails so the event reaches its DLQ. */
  void rejected(String rawId, RuntimeException e) {
    LOG.atError().setMessage("event rejected").addKeyValue("function", function).addKeyValue("cluster", cluster)
        .addKeyValue("eventId", rawId).addKeyValue("reason", e.getMessage()).log();
    metrics.flushSingleMetric("EventsRejected", 1, MetricUnit.COUNT, NAMESPACE,
        DimensionSet.of("Cluster", cluster, "Function", function));
  }
}
