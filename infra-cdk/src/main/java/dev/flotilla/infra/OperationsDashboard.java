package dev.flotilla.infra;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.services.cloudwatch.Alarm;
import software.amazon.awscdk.services.cloudwatch.ComparisonOperator;
import software.amazon.awscdk.services.cloudwatch.Dashboard;
import software.amazon.awscdk.services.cloudwatch.GraphWidget;
import software.amazon.awscdk.services.cloudwatch.IMetric;
import software.amazon.awscdk.services.cloudwatch.IWidget;
import software.amazon.awscdk.services.cloudwatch.LogQueryWidget;
import software.amazon.awscdk.services.cloudwatch.MathExpression;
import software.amazon.awscdk.services.cloudwatch.Metric;
import software.amazon.awscdk.services.cloudwatch.MetricOptions;
import software.amazon.awscdk.services.cloudwatch.TreatMissingData;
import software.amazon.awscdk.services.sqs.Queue;
import software.constructs.Construct;

/**
 * What a platform engineer watches: the decisions (pending pods, latency, launches, failures, interruptions,
 * consolidation, fleet price) from the functions' EMF metrics in namespace {@code Flotilla}, the functions' health,
 * and the queues. Alarms: any dead-letter queue not empty, provisioner errors, a launch failure rate over 20%.
 */
public final class OperationsDashboard extends Construct {

  static final String NAMESPACE = "Flotilla";
  static final Duration PERIOD = Duration.minutes(1);

  private final Dashboard dashboard;
  private final List<Alarm> alarms = new ArrayList<>();
  private final String cluster;

  public OperationsDashboard(Construct scope, String id, String cluster, List<FlotillaFunction> functions,
      CommandChannel commands) {
    super(scope, id);
    this.cluster = cluster;
    this.dashboard = Dashboard.Builder.create(this, "Dashboard").dashboardName("flotilla-" + cluster).build();

    dashboard.addWidgets(
        graph("Pending and unschedulable pods", List.of(flotilla("PodsPending", "Sum"),
            flotilla("PodsUnschedulable", "Sum"), flotilla("PodsWaitingForLeavingNodes", "Sum"))),
        graph("Decision latency (ms)", List.of(flotilla("DecisionLatency", "p50"),
            flotilla("DecisionLatency", "p99"))),
        graph("Instances launched by capacity type", List.of(launchedBy("on-demand"), launchedBy("spot"))));
    dashboard.addWidgets(
        graph("Launch failures and unavailable offerings", List.of(flotilla("LaunchFailures", "Sum"),
            search("LaunchFailuresByReason", "Reason", "Sum"))),
        graph("Interruptions handled", List.of(search("InterruptionsHandled", "Kind", "Sum"))),
        graph("Consolidation actions and hourly saving ($/h)", List.of(search("ConsolidationActions", "Action", "Sum"),
            flotilla("ConsolidationHourlySaving", "Sum"), flotilla("ConsolidationPassesGivenUp", "Sum"))));
    // node lifetime: every disruption by its reason (Empty, Underutilized, Drifted, Expired, Unhealthy)
    dashboard.addWidgets(graph("Nodes disrupted by reason", List.of(search("NodesDisrupted", "Reason", "Sum"))));
    dashboard.addWidgets(
        graph("Fleet price ($/h)", List.of(flotilla("FleetPricePerHour", "Maximum"))),
        graph("Function errors and throttles", perFunction(functions, f -> List.of(
            f.alias().metricErrors(MetricOptions.builder().period(PERIOD).label(f.spec().name() + " errors").build()),
            f.alias().metricThrottles(MetricOptions.builder().period(PERIOD)
                .label(f.spec().name() + " throttles").build())))),
        graph("Function duration p99 (ms)", perFunction(functions, f -> List.of(
            f.alias().metricDuration(MetricOptions.builder().period(PERIOD).statistic("p99")
                .label(f.spec().name()).build())))));
    dashboard.addWidgets(
        LogQueryWidget.Builder.create().title("Init and SnapStart restore duration (ms)").width(12)
            .logGroupNames(functions.stream().map(f -> f.logGroup().getLogGroupName()).toList())
            .queryLines(List.of("filter @type = \"REPORT\"",
                "parse @message /Restore Duration: (?<restoreMs>[0-9.]+) ms/",
                "stats max(@initDuration) as initMs, max(restoreMs) as restoreMs, count(*) as invocations"
                    + " by bin(5m)"))
            .build(),
        graph("Commands: oldest message (s) and dead letters", queues(functions, commands)));
    // the garbage collector rebuilds the catalog snapshot every five minutes; past an hour it is stale
    dashboard.addWidgets(
        graph("Catalog snapshot age (s)", List.of(flotilla("CatalogSnapshotAge", "Maximum"))));

    for (FlotillaFunction f : functions) {
      alarmWhenNotEmpty(f.spec().name() + "DeadLetters", f.deadLetters());
    }
    alarmWhenNotEmpty("CommandDeadLetters", commands.deadLetters());
    FlotillaFunction provisioner = functions.stream().filter(f -> f.spec().name().equals("provisioner"))
        .findFirst().orElseThrow();
    alarms.add(Alarm.Builder.create(this, "ProvisionerErrors")
        .alarmDescription("The provisioner failed invocations: pending pods may wait; see its log group")
        .metric(provisioner.alias().metricErrors(MetricOptions.builder().period(Duration.minutes(5)).build()))
        .threshold(1).evaluationPeriods(1)
        .comparisonOperator(ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
        .treatMissingData(TreatMissingData.NOT_BREACHING)
        .build());
    // a pass a minute: one given up now and then is a slow cold start; most of them is a first half over 25 s
    alarms.add(Alarm.Builder.create(this, "ConsolidationGivenUp")
        .alarmDescription("Consolidation passes ran out of time before checking their commands (their first half"
            + " took over 25 s of 50): nothing is consolidated and ready replacements' old nodes are not drained")
        .metric(flotilla("ConsolidationPassesGivenUp", "Sum", Duration.minutes(15)))
        .threshold(5).evaluationPeriods(1)
        .comparisonOperator(ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
        .treatMissingData(TreatMissingData.NOT_BREACHING)
        .build());
    alarms.add(Alarm.Builder.create(this, "LaunchFailureRate")
        .alarmDescription("More than 20% of launches failed for 15 minutes: capacity or quota trouble")
        .metric(MathExpression.Builder.create()
            .expression("IF(claims + failures > 0, failures / (claims + failures), 0)")
            .usingMetrics(Map.of("failures", flotilla("LaunchFailures", "Sum", Duration.minutes(5)),
                "claims", flotilla("ClaimsCreated", "Sum", Duration.minutes(5))))
            .period(Duration.minutes(5)).label("launch failure rate").build())
        .threshold(0.2).evaluationPeriods(3)
        .comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD)
        .treatMissingData(TreatMissingData.NOT_BREACHING)
        .build());
  }

  public Dashboard dashboard() {
    return dashboard;
  }

  public List<Alarm> alarms() {
    return List.copyOf(alarms);
  }

  private void alarmWhenNotEmpty(String id, Queue queue) {
    alarms.add(Alarm.Builder.create(this, id + "NotEmpty")
        .alarmDescription(queue.getNode().getPath() + ": a message could not be handled; it waits there with"
            + " its error for inspection and redrive")
        .metric(queue.metricApproximateNumberOfMessagesVisible(MetricOptions.builder().period(PERIOD)
            .statistic("Maximum").build()))
        .threshold(1).evaluationPeriods(1)
        .comparisonOperator(ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
        .treatMissingData(TreatMissingData.NOT_BREACHING)
        .build());
  }

  private Metric flotilla(String name, String statistic) {
    return flotilla(name, statistic, PERIOD);
  }

  private Metric flotilla(String name, String statistic, Duration period) {
    return Metric.Builder.create().namespace(NAMESPACE).metricName(name).dimensionsMap(Map.of("Cluster", cluster))
        .statistic(statistic).period(period).label(name + " " + statistic).build();
  }

  // metrics with a further dimension (a reason, a kind, an action): one line per value, found as they appear
  private MathExpression search(String name, String dimension, String statistic) {
    return MathExpression.Builder.create()
        .expression("SEARCH('{" + NAMESPACE + ",Cluster," + dimension + "} MetricName=\"" + name + "\" Cluster=\""
            + cluster + "\"', '" + statistic + "', 60)")
        .label(name).period(PERIOD).build();
  }

  private MathExpression launchedBy(String capacityType) {
    return MathExpression.Builder.create()
        .expression("SUM(SEARCH('{" + NAMESPACE + ",Cluster,InstanceType,CapacityType} MetricName=\"InstancesLaunched\""
            + " Cluster=\"" + cluster + "\" CapacityType=\"" + capacityType + "\"', 'Sum', 60))")
        .label(capacityType).period(PERIOD).build();
  }

  private static List<IMetric> perFunction(List<FlotillaFunction> functions,
      java.util.function.Function<FlotillaFunction, List<IMetric>> metrics) {
    List<IMetric> result = new ArrayList<>();
    functions.forEach(f -> result.addAll(metrics.apply(f)));
    return result;
  }

  private static List<IMetric> queues(List<FlotillaFunction> functions, CommandChannel commands) {
    List<IMetric> result = new ArrayList<>();
    result.add(commands.queue().metricApproximateAgeOfOldestMessage(MetricOptions.builder().period(PERIOD)
        .statistic("Maximum").label("command queue oldest (s)").build()));
    Map<String, Queue> dlqs = new LinkedHashMap<>();
    dlqs.put("commands", commands.deadLetters());
    functions.forEach(f -> dlqs.put(f.spec().name(), f.deadLetters()));
    dlqs.forEach((name, q) -> result.add(q.metricApproximateNumberOfMessagesVisible(MetricOptions.builder()
        .period(PERIOD).statistic("Maximum").label(name + " dead letters").build())));
    return result;
  }

  private static IWidget graph(String title, List<? extends IMetric> metrics) {
    return GraphWidget.Builder.create().title(title).width(8).height(6).left(List.copyOf(metrics)).build();
  }
}
