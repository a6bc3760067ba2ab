package dev.flotilla.infra;

import dev.flotilla.contracts.Envelope;
import dev.flotilla.contracts.InterruptionEvent;
import dev.flotilla.disruption.ConsolidationService;
import dev.flotilla.lifecycle.GarbageCollector;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.events.EventBus;
import software.amazon.awscdk.services.events.EventPattern;
import software.amazon.awscdk.services.events.Rule;
import software.amazon.awscdk.services.events.Schedule;
import software.amazon.awscdk.services.iam.AnyPrincipal;
import software.amazon.awscdk.services.iam.ArnPrincipal;
import software.amazon.awscdk.services.iam.Effect;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.lambda.Code;
import software.constructs.Construct;

/**
 * Everything Flotilla needs in AWS for one cluster: the bus and its rules, the functions, the launch-state table,
 * the command queue, the node template, the forwarder's identity, the dashboard and alarms.
 */
public final class FlotillaStack extends Stack {

  static final String HANDLERS = "dev.flotilla.functions.";

  // Memory buys CPU in Lambda: 1,769 MB is one full vCPU, which the scheduler's single-threaded packing and the
  // catalog build after a restore use; the event-driven bookkeeping functions need far less.
  static final List<FlotillaFunction.Spec> FUNCTIONS = List.of(
      new FlotillaFunction.Spec("provisioner", HANDLERS + "ProvisionerHandler::handleRequest", 1769,
          Duration.seconds(60), "Packs pending pods onto the cheapest instances and launches them with CreateFleet"),
      new FlotillaFunction.Spec("lifecycle", HANDLERS + "NodeLifecycleHandler::handleRequest", 512,
          Duration.seconds(30), "Moves claims along as their nodes register, become ready and go away"),
      // shorter than its lease, which is shorter than its schedule, and one at a time: a retried run never
      // overlaps the next tick's, and a killed one never holds the next tick back
      new FlotillaFunction.Spec("garbage-collector", HANDLERS + "GarbageCollectorHandler::handleRequest", 1024,
          seconds(GarbageCollector.TIMEOUT),
          "Adopts or terminates instances whose launch never completed; reports fleet price", 1),
      // launches rebalance replacements with the provisioner's scheduler and catalog: the same CPU needs
      new FlotillaFunction.Spec("interruption", HANDLERS + "InterruptionHandler::handleRequest", 1769,
          Duration.seconds(60), "Drains nodes EC2 or AWS Health is about to take away; replaces ahead on rebalance"),
      // one scheduling per candidate node; shorter than its lease, which is shorter than its one-minute schedule,
      // and one at a time
      new FlotillaFunction.Spec("consolidation", HANDLERS + "ConsolidationHandler::handleRequest", 1769,
          seconds(ConsolidationService.TIMEOUT), "Removes or replaces empty and under-used nodes when that is cheaper",
          1));

  private static Duration seconds(java.time.Duration duration) {
    return Duration.seconds(duration.toSeconds());
  }

  private final EventBus bus;
  private final LaunchStateTable table;
  private final CommandChannel commands;
  private final NodeTemplate nodes;
  private final ForwarderIdentity forwarder;
  private final Map<String, FlotillaFunction> functions = new LinkedHashMap<>();
  private final OperationsDashboard operations;
  private final FunctionBundle bundle;

  public FlotillaStack(Construct scope, String id, StackProps props, StackSettings settings, Path bundleDirectory) {
    super(scope, id, props);
    String cluster = settings.clusterName();
    this.bundle = FunctionBundle.stage(settings, bundleDirectory);
    this.table = new LaunchStateTable(this, "LaunchState", cluster);
    this.commands = new CommandChannel(this, "Commands", cluster);
    this.nodes = new NodeTemplate(this, "Nodes", settings);
    this.bus = EventBus.Builder.create(this, "Bus").eventBusName("flotilla-" + cluster).build();
    this.forwarder = new ForwarderIdentity(this, "Forwarder", settings, bus, commands.queue(), table);
    onlyTheForwarderPuts(bus, forwarder);

    Code code = Code.fromAsset(bundle.directory().toString());
    Map<String, String> environment = environment(settings);
    InstancePermissions instances = new InstancePermissions(this, cluster);
    for (FlotillaFunction.Spec spec : FUNCTIONS) {
      FlotillaFunction f = new FlotillaFunction(this, camel(spec.name()), cluster, spec, code, environment);
      table.grantItems(f.role());
      functions.put(spec.name(), f);
    }

    FlotillaFunction provisioner = functions.get("provisioner");
    // the functions that launch: new nodes, replacements ahead of a rebalance or for consolidated nodes
    for (String name : List.of("provisioner", "interruption", "consolidation")) {
      FlotillaFunction f = functions.get(name);
      instances.launch(nodes.launchTemplate().getLaunchTemplateId(), nodes.role(), settings,
          nodes.imageByArch().values()).forEach(f.role()::addToPolicy);
      // the node image parameters, read again every few minutes: a release drifts the nodes on the old image
      f.role().addToPolicy(instances.readImageParameters(List.of(NodeTemplate.imageParameter(settings, "x86_64"),
          NodeTemplate.imageParameter(settings, "arm64"))));
    }
    // the functions that build the catalog snapshot: the garbage collector on its schedule, a deciding function
    // once where none is stored yet
    for (String name : List.of("provisioner", "interruption", "consolidation", "garbage-collector")) {
      functions.get(name).role().addToPolicy(instances.describeOfferings());
      functions.get(name).role().addToPolicy(instances.readPrices());
    }
    // every function reads instances (a launch resumed, an instance's claim known only from its tags) and may end
    // those the cluster owns (after a drain, a launch that never joined, an orphan, a launch another invocation
    // closed the claim of): the code checks the tag, IAM checks it again
    for (FlotillaFunction f : functions.values()) {
      f.role().addToPolicy(instances.describeInstances());
      f.role().addToPolicy(instances.terminate());
    }
    // the functions that send in-cluster commands: drains and deletes, nominations (the lifecycle's when a node is
    // ready, the garbage collector's for one that was missed), the provisioner's FailedProvisioning notices on pods
    for (String name : List.of("interruption", "consolidation", "provisioner", "lifecycle", "garbage-collector")) {
      commands.queue().grantSendMessages(functions.get(name).role());
    }

    Rule.Builder.create(this, "PodsPending").eventBus(bus)
        .description("Pending pods from the forwarder to the provisioner")
        .eventPattern(EventPattern.builder().source(List.of(Envelope.FORWARDER))
            .detailType(List.of(Envelope.PODS_PENDING)).build())
        .targets(List.of(provisioner.target()))
        .build();
    Rule.Builder.create(this, "NodeEvents").eventBus(bus)
        .description("Node registered, ready, deleted and drained, from the forwarder to the lifecycle function")
        .eventPattern(EventPattern.builder().source(List.of(Envelope.FORWARDER))
            .detailType(List.of(Envelope.NODE_REGISTERED, Envelope.NODE_READY, Envelope.NODE_DELETED,
                Envelope.NODE_DRAINED, Envelope.DRAIN_FAILED)).build())
        .targets(List.of(functions.get("lifecycle").target()))
        .build();
    Rule.Builder.create(this, "GarbageCollection")
        .description("Garbage collection of launches that never joined, every two minutes")
        .schedule(Schedule.rate(Duration.minutes(GarbageCollector.EVERY.toMinutes())))
        .targets(List.of(functions.get("garbage-collector").target()))
        .build();

    // what EC2 and AWS Health announce arrives on the account's default bus
    FlotillaFunction interruption = functions.get("interruption");
    Rule.Builder.create(this, "SpotInterruption")
        .description("EC2 spot interruption warnings and rebalance recommendations to the interruption function")
        .eventPattern(EventPattern.builder().source(List.of("aws.ec2"))
            .detailType(List.of(InterruptionEvent.SPOT_INTERRUPTION, InterruptionEvent.REBALANCE)).build())
        .targets(List.of(interruption.target()))
        .build();
    Rule.Builder.create(this, "InstanceStateChange")
        .description("EC2 instances stopping or terminating, to the interruption function")
        .eventPattern(EventPattern.builder().source(List.of("aws.ec2"))
            .detailType(List.of(InterruptionEvent.STATE_CHANGE))
            .detail(Map.of("state", InterruptionEvent.LEAVING_STATES.stream().sorted().toList())).build())
        .targets(List.of(interruption.target()))
        .build();
    Rule.Builder.create(this, "ScheduledChange")
        .description("AWS Health scheduled changes for EC2 (retirement, maintenance), to the interruption function")
        .eventPattern(EventPattern.builder().source(List.of("aws.health"))
            .detailType(List.of(InterruptionEvent.HEALTH))
            .detail(Map.of("service", List.of("EC2"), "eventTypeCategory", List.of("scheduledChange"))).build())
        .targets(List.of(interruption.target()))
        .build();
    Rule.Builder.create(this, "ConsolidationSchedule")
        .description("A consolidation pass every minute")
        .schedule(Schedule.rate(Duration.minutes(ConsolidationService.EVERY.toMinutes())))
        .targets(List.of(functions.get("consolidation").target()))
        .build();

    this.operations = new OperationsDashboard(this, "Operations", cluster, List.copyOf(functions.values()), commands);

    output("ClusterName", cluster, "The forwarder chart's clusterName");
    output("Region", getRegion(), "The forwarder chart's region");
    output("EventBusName", bus.getEventBusName(), "The forwarder chart's eventBusName");
    output("CommandQueueUrl", commands.queue().getQueueUrl(), "The forwarder chart's commandQueueUrl");
    output("TableName", table.table().getTableName(), "The forwarder chart's tableName");
    output("ForwarderRoleArn", forwarder.role().getRoleArn(), "The forwarder chart's serviceAccount.roleArn (IRSA)");
    output("LaunchTemplateId", nodes.launchTemplate().getLaunchTemplateId(), "The nodes' launch template");
    output("DashboardName", operations.dashboard().getDashboardName(), "The CloudWatch dashboard to watch");
  }

  private Map<String, String> environment(StackSettings settings) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("FLOTILLA_CLUSTER", settings.clusterName());
    env.put("FLOTILLA_TABLE", table.table().getTableName());
    env.put("FLOTILLA_LAUNCH_TEMPLATE_ID", nodes.launchTemplate().getLaunchTemplateId());
    env.put("FLOTILLA_SUBNETS", settings.subnetsValue());
    // the launch template's groups: claims note them, and a deploy that changes them drifts the older nodes
    env.put("FLOTILLA_SECURITY_GROUPS", String.join(",", settings.securityGroups()));
    env.put("FLOTILLA_IMAGE_AMD64", nodes.imageByArch().get("amd64"));
    env.put("FLOTILLA_IMAGE_ARM64", nodes.imageByArch().get("arm64"));
    env.put("FLOTILLA_IMAGE_PARAMETER_AMD64", NodeTemplate.imageParameter(settings, "x86_64"));
    env.put("FLOTILLA_IMAGE_PARAMETER_ARM64", NodeTemplate.imageParameter(settings, "arm64"));
    env.put("FLOTILLA_COMMAND_QUEUE_URL", commands.queue().getQueueUrl());
    env.put("FLOTILLA_SCHEDULER_SCORING", settings.schedulerScoring());
    if (bundle.hasNodePools()) {
      env.put("FLOTILLA_NODEPOOLS_FILE", FunctionBundle.NODEPOOLS_PATH);
    }
    env.put("POWERTOOLS_METRICS_NAMESPACE", OperationsDashboard.NAMESPACE);
    // the C1 compiler only: most of a function's life is its first seconds after a restore
    env.put("JAVA_TOOL_OPTIONS", "-XX:+TieredCompilation -XX:TieredStopAtLevel=1");
    return env;
  }

  // the identity policy grants; this resource policy makes the forwarder the only principal that can put events
  private static void onlyTheForwarderPuts(EventBus bus, ForwarderIdentity forwarder) {
    bus.addToResourcePolicy(PolicyStatement.Builder.create().sid("ForwarderPutsEvents")
        .principals(List.of(new ArnPrincipal(forwarder.role().getRoleArn())))
        .actions(List.of("events:PutEvents"))
        .resources(List.of(bus.getEventBusArn()))
        .build());
    bus.addToResourcePolicy(PolicyStatement.Builder.create().sid("NobodyElsePutsEvents")
        .effect(Effect.DENY)
        .principals(List.of(new AnyPrincipal()))
        .actions(List.of("events:PutEvents"))
        .resources(List.of(bus.getEventBusArn()))
        .conditions(Map.of("ArnNotEquals", Map.of("aws:PrincipalArn", forwarder.role().getRoleArn())))
        .build());
  }

  private void output(String id, String value, String description) {
    CfnOutput.Builder.create(this, id).value(value).description(description).build();
  }

  static String camel(String name) {
    StringBuilder sb = new StringBuilder();
    for (String part : name.split("-")) {
      sb.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
    }
    return sb.toString();
  }

  public EventBus bus() {
    return bus;
  }

  public Map<String, FlotillaFunction> functions() {
    return Map.copyOf(functions);
  }

  public ForwarderIdentity forwarder() {
    return forwarder;
  }

  public NodeTemplate nodes() {
    return nodes;
  }

  public FunctionBundle bundle() {
    return bundle;
  }
}
