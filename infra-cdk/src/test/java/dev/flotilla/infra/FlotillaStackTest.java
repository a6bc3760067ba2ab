package dev.flotilla.infra;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

/** The synthesised stack, resource by resource and statement by statement. */
class FlotillaStackTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static FlotillaStack stack;
  private static Template template;

  @BeforeAll
  static void synthesize() {
    // into cdk.out, against the real functions jar: what `cdk deploy` would upload
    stack = StackFixture.synthesize(StackFixture.context(), Path.of("cdk.out"));
    template = Template.fromStack(stack);
  }

  @Test
  void theAssemblyIsWrittenWithTheFunctionsPackage() throws Exception {
    Path assembly = Path.of("cdk.out");
    assertThat(assembly.resolve("Flotilla-prod-east.template.json")).isRegularFile();
    assertThat(stack.bundle().directory().resolve("lib/flotilla-functions.jar")).hasSameBinaryContentAs(
        Path.of(System.getProperty("flotilla.functionsJar")));
    assertThat(stack.bundle().directory().resolve("nodepools.yaml")).hasSameTextualContentAs(
        Path.of("src/test/resources/nodepools.yaml"));
    assertThat(stack.bundle().nodePools()).extracting(n -> n.name()).containsExactly("general", "gpu");
    try (var assets = Files.list(assembly)) {
      assertThat(assets.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("asset."));
    }
  }

  @Test
  void theScheduledPassesRunOneAtATime() {
    for (String pass : List.of("consolidation", "garbage-collector")) {
      template.hasResourceProperties("AWS::Lambda::Function", Match.objectLike(Map.of(
          "FunctionName", "flotilla-prod-east-" + pass, "ReservedConcurrentExecutions", 1)));
    }
    for (String eventDriven : List.of("provisioner", "lifecycle", "interruption")) {
      template.hasResourceProperties("AWS::Lambda::Function", Match.objectLike(Map.of(
          "FunctionName", "flotilla-prod-east-" + eventDriven, "ReservedConcurrentExecutions", Match.absent())));
    }
  }

  @Test
  void theTableKeepsLaunchStateWithTtlRecoveryAndTheInstanceIndex() {
    template.resourceCountIs("AWS::DynamoDB::Table", 1);
    template.hasResourceProperties("AWS::DynamoDB::Table", Map.of(
        "TableName", "flotilla-prod-east",
        "BillingMode", "PAY_PER_REQUEST",
        "KeySchema", List.of(Map.of("AttributeName", "pk", "KeyType", "HASH"),
            Map.of("AttributeName", "sk", "KeyType", "RANGE")),
        "TimeToLiveSpecification", Map.of("AttributeName", "expiresAt", "Enabled", true),
        "PointInTimeRecoverySpecification", Map.of("PointInTimeRecoveryEnabled", true),
        "GlobalSecondaryIndexes", List.of(Match.objectLike(Map.of("IndexName", "byInstanceId",
            "KeySchema", List.of(Map.of("AttributeName", "instanceId", "KeyType", "HASH")))))));
  }

  @Test
  void theCommandQueueIsEncryptedWithADeadLetterQueueAndTlsOnly() {
    template.hasResourceProperties("AWS::SQS::Queue", Match.objectLike(Map.of(
        "QueueName", "flotilla-prod-east-commands",
        "SqsManagedSseEnabled", true,
        "RedrivePolicy", Match.objectLike(Map.of("maxReceiveCount", 5)))));
    // every queue: SSE and a policy that denies plain HTTP
    template.allResourcesProperties("AWS::SQS::Queue", Match.objectLike(Map.of("SqsManagedSseEnabled", true)));
    template.resourceCountIs("AWS::SQS::QueuePolicy", FlotillaStack.FUNCTIONS.size() + 2);
    template.allResourcesProperties("AWS::SQS::QueuePolicy", Match.objectLike(Map.of("PolicyDocument",
        Match.objectLike(Map.of("Statement", Match.arrayWith(List.of(Match.objectLike(Map.of(
            "Effect", "Deny", "Condition", Map.of("Bool", Map.of("aws:SecureTransport", "false")))))))))));
  }

  @Test
  void onlyTheForwarderMayPutEventsOnTheBus() throws Exception {
    template.hasResourceProperties("AWS::Events::EventBus", Map.of("Name", "flotilla-prod-east"));
    List<String> statements = new ArrayList<>();
    template.findResources("AWS::Events::EventBusPolicy").values()
        .forEach(r -> statements.add(json(((Map<?, ?>) r.get("Properties")).get("Statement"))));
    assertThat(statements).hasSize(2);
    assertThat(statements).anySatisfy(s -> assertThat(s).contains("\"Effect\":\"Allow\"")
        .contains("\"events:PutEvents\"").contains("ForwarderRole"));
    assertThat(statements).anySatisfy(s -> assertThat(s).contains("\"Effect\":\"Deny\"")
        .contains("\"Principal\":{\"AWS\":\"*\"}").contains("ArnNotEquals").contains("aws:PrincipalArn")
        .contains("ForwarderRole"));
  }

  @Test
  void rulesRouteTheForwardersEventsAndTheScheduleToTheLiveAliases() {
    template.hasResourceProperties("AWS::Events::Rule", Match.objectLike(Map.of(
        "EventPattern", Map.of("source", List.of("flotilla.forwarder"), "detail-type", List.of("Pods Pending")),
        "Targets", List.of(Match.objectLike(Map.of("Arn", Map.of("Ref", Match.stringLikeRegexp("ProvisionerLive.*")),
            "DeadLetterConfig", Match.objectLike(Map.of()),
            "RetryPolicy", Map.of("MaximumRetryAttempts", 2, "MaximumEventAgeInSeconds", 3600)))))));
    template.hasResourceProperties("AWS::Events::Rule", Match.objectLike(Map.of(
        "EventPattern", Map.of("source", List.of("flotilla.forwarder"),
            "detail-type", List.of("Node Registered", "Node Ready", "Node Deleted", "Node Drained", "Drain Failed")),
        "Targets", List.of(Match.objectLike(Map.of("Arn",
            Map.of("Ref", Match.stringLikeRegexp("LifecycleLive.*"))))))));
    template.hasResourceProperties("AWS::Events::Rule", Match.objectLike(Map.of(
        "ScheduleExpression", "rate(2 minutes)",
        "Targets", List.of(Match.objectLike(Map.of("Arn",
            Map.of("Ref", Match.stringLikeRegexp("GarbageCollectorLive.*"))))))));
  }

  @Test
  void interruptionEventsOnTheDefaultBusAndTheConsolidationScheduleReachTheirFunctions() {
    Map<String, Object> interruption = Map.of("Ref", Match.stringLikeRegexp("InterruptionLive.*"));
    template.hasResourceProperties("AWS::Events::Rule", Match.objectLike(Map.of(
        "EventPattern", Map.of("source", List.of("aws.ec2"), "detail-type",
            List.of("EC2 Spot Instance Interruption Warning", "EC2 Instance Rebalance Recommendation")),
        "Targets", List.of(Match.objectLike(Map.of("Arn", interruption))))));
    template.hasResourceProperties("AWS::Events::Rule", Match.objectLike(Map.of(
        "EventPattern", Map.of("source", List.of("aws.ec2"),
            "detail-type", List.of("EC2 Instance State-change Notification"),
            "detail", Map.of("state", List.of("shutting-down", "stopped", "stopping", "terminated"))),
        "Targets", List.of(Match.objectLike(Map.of("Arn", interruption))))));
    template.hasResourceProperties("AWS::Events::Rule", Match.objectLike(Map.of(
        "EventPattern", Map.of("source", List.of("aws.health"), "detail-type", List.of("AWS Health Event"),
            "detail", Map.of("service", List.of("EC2"), "eventTypeCategory", List.of("scheduledChange"))),
        "Targets", List.of(Match.objectLike(Map.of("Arn", interruption))))));
    template.hasResourceProperties("AWS::Events::Rule", Match.objectLike(Map.of(
        "ScheduleExpression", "rate(1 minute)",
        "Targets", List.of(Match.objectLike(Map.of("Arn",
            Map.of("Ref", Match.stringLikeRegexp("ConsolidationLive.*"))))))));
    // rules on the default bus name no bus
    long onDefaultBus = template.findResources("AWS::Events::Rule").values().stream()
        .filter(r -> !((Map<?, ?>) r.get("Properties")).containsKey("EventBusName")).count();
    assertThat(onDefaultBus).isEqualTo(5);
  }

  @Test
  void everyFunctionSendsCommandsReadsInstancesAndTerminatesOnlyOwnedOnes() {
    // each sends: drains and deletes, the lifecycle's and the garbage collector's Nominate, the provisioner's
    // FailedProvisioning; each reads instances (a launch resumed, a claim known only from an instance's tags); each
    // may end an instance, only one the cluster owns
    for (String role : List.of("ProvisionerRole", "LifecycleRole", "GarbageCollectorRole", "InterruptionRole",
        "ConsolidationRole")) {
      List<Map<String, Object>> statements = statementsOf(role);
      assertThat(statements.stream().filter(s -> json(s.get("Resource")).contains("CommandsQueue")))
          .as(role).singleElement().satisfies(s -> assertThat(json(s.get("Action")))
              .contains("sqs:SendMessage").doesNotContain("sqs:ReceiveMessage", "sqs:DeleteMessage"));
      assertThat(statement(statements, "DescribeInstances").get("Action")).isEqualTo("ec2:DescribeInstances");
      assertThat(statement(statements, "TerminateOnlyOwnedInstances")).satisfies(s -> {
        assertThat(s.get("Action")).isEqualTo("ec2:TerminateInstances");
        assertThat(json(s.get("Resource"))).contains(":instance/*");
        assertThat(s.get("Condition")).isEqualTo(Map.of("StringEquals",
            Map.of("aws:ResourceTag/flotilla.dev/cluster", "prod-east")));
      });
      assertThat(statements.stream().filter(s -> json(s.get("Action")).contains("ec2:TerminateInstances")))
          .as(role + ": no other statement terminates").hasSize(1);
    }
  }

  @Test
  void aScheduledFunctionsLeaseOutlastsItsTimeoutAndEndsBeforeItsNextTick() {
    Map<String, java.time.Duration[]> leases = Map.of(
        "garbage-collector", new java.time.Duration[] {dev.flotilla.lifecycle.GarbageCollector.LEASE,
            dev.flotilla.lifecycle.GarbageCollector.EVERY},
        "consolidation", new java.time.Duration[] {dev.flotilla.disruption.ConsolidationService.LEASE,
            dev.flotilla.disruption.ConsolidationService.EVERY});
    leases.forEach((name, lease) -> {
      Map<String, Map<String, Object>> function = template.findResources("AWS::Lambda::Function",
          Match.objectLike(Map.of("Properties", Match.objectLike(Map.of("FunctionName", "flotilla-prod-east-" + name)))));
      assertThat(function).hasSize(1);
      Number timeout = (Number) ((Map<?, ?>) function.values().iterator().next().get("Properties")).get("Timeout");
      // a run the function's timeout ends never outlives its lease (no two run together), and a run killed holding
      // the lease never holds back the next tick
      assertThat(timeout.longValue()).as(name).isLessThan(lease[0].toSeconds());
      assertThat(lease[0]).as(name).isLessThan(lease[1]);
      long minutes = lease[1].toMinutes();
      template.hasResourceProperties("AWS::Events::Rule", Match.objectLike(Map.of(
          "ScheduleExpression", "rate(" + minutes + (minutes == 1 ? " minute)" : " minutes)"))));
    });
  }

  @Test
  void functionsAreJava21OnArm64WithSnapStartAndConfigurationOnly() {
    template.resourceCountIs("AWS::Lambda::Function", FlotillaStack.FUNCTIONS.size());
    for (FlotillaFunction.Spec spec : FlotillaStack.FUNCTIONS) {
      template.hasResourceProperties("AWS::Lambda::Function", Match.objectLike(Map.of(
          "FunctionName", "flotilla-prod-east-" + spec.name(),
          "Runtime", "java21",
          "Architectures", List.of("arm64"),
          "SnapStart", Map.of("ApplyOn", "PublishedVersions"),
          "Handler", spec.handler(),
          "MemorySize", spec.memoryMiB(),
          "Timeout", spec.timeout().toSeconds(),
          "Environment", Map.of("Variables", Match.objectLike(Map.of(
              "FLOTILLA_CLUSTER", "prod-east",
              "FLOTILLA_SUBNETS", "us-east-1a=subnet-0aaa1111,us-east-1b=subnet-0bbb2222",
              "FLOTILLA_SECURITY_GROUPS", "sg-0c1a2b3c,sg-0d4e5f60",
              "FLOTILLA_SCHEDULER_SCORING", "LeastAllocated",
              "FLOTILLA_NODEPOOLS_FILE", "/var/task/nodepools.yaml",
              "FLOTILLA_TABLE", Match.anyValue(),
              "FLOTILLA_LAUNCH_TEMPLATE_ID", Match.anyValue(),
              "FLOTILLA_IMAGE_AMD64", Match.anyValue(),
              "FLOTILLA_IMAGE_ARM64", Match.anyValue()))))));
    }
    template.resourceCountIs("AWS::Lambda::Alias", FlotillaStack.FUNCTIONS.size());
    template.allResourcesProperties("AWS::Lambda::Alias", Match.objectLike(Map.of("Name", "live")));
    template.resourceCountIs("AWS::Lambda::EventInvokeConfig", FlotillaStack.FUNCTIONS.size());
    template.allResourcesProperties("AWS::Lambda::EventInvokeConfig", Match.objectLike(Map.of(
        "MaximumRetryAttempts", 2, "MaximumEventAgeInSeconds", 600,
        "DestinationConfig", Map.of("OnFailure", Map.of("Destination", Match.anyValue())))));
    template.allResourcesProperties("AWS::Logs::LogGroup", Match.objectLike(Map.of("RetentionInDays", 30)));
  }

  @Test
  void theProvisionerLaunchesOnlyTaggedResourcesFromTheClusterTemplate() {
    List<Map<String, Object>> statements = statementsOf("ProvisionerRole");
    assertThat(statement(statements, "CreateOnlyTaggedResources")).satisfies(s -> {
      assertThat(json(s.get("Action"))).contains("ec2:CreateFleet").contains("ec2:RunInstances");
      assertThat(s.get("Condition")).isEqualTo(Map.of("StringEquals",
          Map.of("aws:RequestTag/flotilla.dev/cluster", "prod-east")));
      // exactly what the CreateFleet request tags: a type it does not tag would be refused on every launch
      assertThat(json(s.get("Resource"))).contains(":instance/*").contains(":volume/*").contains(":fleet/*")
          .doesNotContain(":network-interface/*").doesNotContain(":spot-instances-request/*");
    });
    assertThat(statement(statements, "CreateWhatComesWithTaggedInstances")).satisfies(s -> {
      assertThat(json(s.get("Action"))).contains("ec2:CreateFleet").contains("ec2:RunInstances");
      assertThat(json(s.get("Resource"))).contains(":network-interface/*").contains(":spot-instances-request/*")
          .doesNotContain(":instance/*").doesNotContain(":volume/*").doesNotContain(":fleet/*");
      assertThat(s).doesNotContainKey("Condition");
    });
    assertThat(statement(statements, "LaunchFromTheClusterTemplate")).satisfies(s -> {
      String resources = json(s.get("Resource"));
      assertThat(resources).contains(":subnet/subnet-0aaa1111").contains(":subnet/subnet-0bbb2222")
          .contains(":security-group/sg-0c1a2b3c").contains(":launch-template/").doesNotContain(":subnet/*")
          .doesNotContain(":security-group/*").doesNotContain(":image/*");
      assertThat(s).doesNotContainKey("Condition");
    });
    assertThat(statement(statements, "TagWhatTheLaunchCreates").get("Condition")).isEqualTo(Map.of(
        "StringEquals", Map.of("aws:RequestTag/flotilla.dev/cluster", "prod-east",
            "ec2:CreateAction", List.of("CreateFleet", "RunInstances"))));
    assertThat(statement(statements, "TagOwnedInstancesWithTheirClaim").get("Condition")).isEqualTo(Map.of(
        "StringEquals", Map.of("aws:ResourceTag/flotilla.dev/cluster", "prod-east"),
        "ForAllValues:StringEquals", Map.of("aws:TagKeys", List.of("flotilla.dev/claim"))));
    assertThat(statement(statements, "PassOnlyTheNodeRole")).satisfies(s -> {
      assertThat(json(s.get("Resource"))).contains("NodesRole");
      assertThat(s.get("Condition")).isEqualTo(Map.of("StringEquals",
          Map.of("iam:PassedToService", "ec2.amazonaws.com")));
    });
    assertThat(actions(statements)).doesNotContain("dynamodb:Scan");
  }

  @Test
  void theFunctionsThatLaunchReadExactlyTheNodeImageParametersAndMayLaunchAmazonsNewerImages() {
    for (String role : List.of("ProvisionerRole", "InterruptionRole", "ConsolidationRole")) {
      List<Map<String, Object>> statements = statementsOf(role);
      assertThat(statement(statements, "ReadNodeImageParameters")).satisfies(s -> {
        assertThat(s.get("Action")).isEqualTo("ssm:GetParameter");
        String resources = json(s.get("Resource"));
        assertThat(resources).contains(":parameter/aws/service/eks/optimized-ami/")
            .contains("/amazon-linux-2023/x86_64/standard/recommended/image_id")
            .contains("/amazon-linux-2023/arm64/standard/recommended/image_id").doesNotContain("*");
      });
      assertThat(statement(statements, "LaunchReleasedAmazonImages")).satisfies(s -> {
        assertThat(json(s.get("Resource"))).contains(":image/*");
        assertThat(s.get("Condition")).isEqualTo(Map.of("StringEquals", Map.of("ec2:Owner", "amazon")));
      });
    }
    for (String role : List.of("LifecycleRole", "GarbageCollectorRole", "ForwarderRole")) {
      assertThat(actions(statementsOf(role))).doesNotContain("ssm:GetParameter");
    }
    assertThat(template.findResources("AWS::IAM::Policy").values().stream()
        .filter(p -> json(p).contains("ssm:")).count()).isEqualTo(3);
    template.allResourcesProperties("AWS::Lambda::Function", Match.objectLike(Map.of("Environment",
        Map.of("Variables", Match.objectLike(Map.of(
            "FLOTILLA_IMAGE_PARAMETER_AMD64", Match.stringLikeRegexp(
                "/aws/service/eks/optimized-ami/.*/amazon-linux-2023/x86_64/standard/recommended/image_id"),
            "FLOTILLA_IMAGE_PARAMETER_ARM64", Match.stringLikeRegexp(
                "/aws/service/eks/optimized-ami/.*/amazon-linux-2023/arm64/standard/recommended/image_id")))))));
  }

  @Test
  void onlyTheFunctionsThatBuildTheCatalogReadOnDemandPrices() {
    // the garbage collector builds the catalog snapshot on its schedule; a deciding function, once where none is
    List<String> catalogRoles = List.of("ProvisionerRole", "InterruptionRole", "ConsolidationRole",
        "GarbageCollectorRole");
    for (String role : catalogRoles) {
      List<Map<String, Object>> statements = statementsOf(role);
      assertThat(statement(statements, "ReadOnDemandPrices")).satisfies(s -> {
        assertThat(s.get("Action")).isEqualTo("pricing:GetProducts");
        assertThat(s.get("Resource")).isEqualTo("*");
        assertThat(s.get("Effect")).isEqualTo("Allow");
      });
      assertThat(actions(statements)).contains("ec2:DescribeSpotPriceHistory");
    }
    for (String role : List.of("LifecycleRole", "ForwarderRole")) {
      assertThat(actions(statementsOf(role))).doesNotContain("pricing:GetProducts")
          .doesNotContain("ec2:DescribeSpotPriceHistory");
    }
    // no other policy in the stack, of a role or a resource, grants it
    long granting = template.findResources("AWS::IAM::Policy").values().stream()
        .filter(p -> json(p).contains("pricing:GetProducts")).count();
    assertThat(granting).isEqualTo(catalogRoles.size());
    assertThat(template.findResources("AWS::IAM::ManagedPolicy").values())
        .noneMatch(p -> json(p).contains("pricing:"));
    assertThat(template.findResources("AWS::IAM::Role").values()).noneMatch(r -> json(r).contains("pricing:"));
  }

  @Test
  void onlyFunctionsThatCleanUpMayTerminateAndOnlyOwnedInstances() {
    for (String role : List.of("LifecycleRole", "GarbageCollectorRole")) {
      List<Map<String, Object>> statements = statementsOf(role);
      assertThat(statement(statements, "TerminateOnlyOwnedInstances")).satisfies(s -> {
        assertThat(s.get("Action")).isEqualTo("ec2:TerminateInstances");
        assertThat(s.get("Condition")).isEqualTo(Map.of("StringEquals",
            Map.of("aws:ResourceTag/flotilla.dev/cluster", "prod-east")));
      });
      assertThat(actions(statements)).doesNotContain("ec2:CreateFleet", "ec2:RunInstances", "iam:PassRole");
    }
  }

  @Test
  void theForwarderPutsEventsConsumesCommandsAndWritesOnlyItsNodeState() {
    List<Map<String, Object>> statements = statementsOf("ForwarderRole");
    assertThat(actions(statements)).containsExactlyInAnyOrder("events:PutEvents", "sqs:ReceiveMessage",
        "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "dynamodb:PutItem",
        "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:GetItem");
    Map<String, Object> dynamo = statements.stream().filter(s -> json(s.get("Action")).contains("dynamodb:PutItem"))
        .findFirst().orElseThrow();
    assertThat(dynamo.get("Action")).isEqualTo(List.of("dynamodb:PutItem", "dynamodb:DeleteItem"));
    assertThat(dynamo.get("Condition")).isEqualTo(Map.of("ForAllValues:StringEquals",
        Map.of("dynamodb:LeadingKeys", List.of("NODES#prod-east", "NODEPOOLS#prod-east"))));
    // the NodePools' status counts the claims, and a Nominate labels the node from its claim: it reads them, and
    // only them
    assertThat(statement(statements, "ReadClaimsForNodePoolStatusAndNodeLabels")).satisfies(s -> {
      assertThat(s.get("Action")).isEqualTo(List.of("dynamodb:Query", "dynamodb:GetItem"));
      assertThat(s.get("Condition")).isEqualTo(Map.of("ForAllValues:StringEquals",
          Map.of("dynamodb:LeadingKeys", List.of("CLUSTER#prod-east"))));
    });
    // Pod Identity without an OIDC provider
    template.hasResourceProperties("AWS::EKS::PodIdentityAssociation", Map.of("ClusterName", "prod-east",
        "Namespace", "flotilla", "ServiceAccount", "flotilla-forwarder", "RoleArn", Match.anyValue()));
    template.hasResourceProperties("AWS::IAM::Role", Match.objectLike(Map.of("AssumeRolePolicyDocument",
        Match.objectLike(Map.of("Statement", Match.arrayWith(List.of(Match.objectLike(Map.of(
            "Action", "sts:TagSession", "Principal", Map.of("Service", "pods.eks.amazonaws.com"))))))))));
  }

  @Test
  void nodesBootTheEksImageWithNodeadmImdsV2AndEncryptedVolumes() {
    template.hasResourceProperties("AWS::EC2::LaunchTemplate", Match.objectLike(Map.of(
        "LaunchTemplateName", "flotilla-prod-east",
        "LaunchTemplateData", Match.objectLike(Map.of(
            "MetadataOptions", Map.of("HttpTokens", "required", "HttpPutResponseHopLimit", 1),
            "SecurityGroupIds", List.of("sg-0c1a2b3c", "sg-0d4e5f60"),
            "BlockDeviceMappings", List.of(Map.of("DeviceName", "/dev/xvda", "Ebs", Map.of("Encrypted", true,
                "VolumeType", "gp3", "VolumeSize", 20, "DeleteOnTermination", true))),
            "UserData", Map.of("Fn::Base64", Match.stringLikeRegexp(
                "[\\s\\S]*application/node\\.eks\\.aws[\\s\\S]*kind: NodeConfig[\\s\\S]*name: prod-east[\\s\\S]*"
                    + "apiServerEndpoint: https://ABCDEF0123456789[\\s\\S]*cidr: 10\\.100\\.0\\.0/16[\\s\\S]*"
                    // registered with the startup taint the forwarder lifts once the node's pods are nominated
                    + "kubelet:\\s+flags:\\s+- --register-with-taints=flotilla\\.dev/initializing=true:NoSchedule\\n"
                    + "[\\s\\S]*")))))));
    assertThat(json(template.toJSON().get("Parameters"))).contains(
        "/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/standard/recommended/image_id",
        "/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/arm64/standard/recommended/image_id");
    template.resourceCountIs("AWS::IAM::InstanceProfile", 1);
    template.hasResourceProperties("AWS::EKS::AccessEntry", Map.of("ClusterName", "prod-east",
        "Type", "EC2_LINUX", "PrincipalArn", Match.anyValue()));
  }

  @Test
  void theDashboardShowsEveryDecisionAndTheAlarmsWatchDeadLettersErrorsAndFailures() {
    String body = json(template.findResources("AWS::CloudWatch::Dashboard").values().iterator().next());
    assertThat(body).contains("Pending and unschedulable pods", "Decision latency", "p50", "p99",
        "Instances launched by capacity type", "CapacityType=\\\\\\\"spot\\\\\\\"", "Launch failures",
        "LaunchFailuresByReason", "Interruptions handled", "Consolidation actions and hourly saving",
        "Fleet price", "FleetPricePerHour", "Function errors and throttles", "Throttles",
        "Function duration", "Init and SnapStart restore duration", "@initDuration",
        "ApproximateAgeOfOldestMessage", "ApproximateNumberOfMessagesVisible",
        "Catalog snapshot age", "CatalogSnapshotAge", "Nodes disrupted by reason", "NodesDisrupted",
        "ConsolidationPassesGivenUp");
    // a DLQ alarm per function and for the commands, provisioner errors, launch failure rate, consolidation given up
    template.resourceCountIs("AWS::CloudWatch::Alarm", FlotillaStack.FUNCTIONS.size() + 4);
    // a labelled metric is rendered as a metric query
    template.hasResourceProperties("AWS::CloudWatch::Alarm", Match.objectLike(Map.of(
        "Threshold", 5, "Metrics", Match.arrayWith(List.of(Match.objectLike(Map.of("MetricStat", Match.objectLike(
            Map.of("Metric", Match.objectLike(Map.of("MetricName", "ConsolidationPassesGivenUp",
                "Namespace", "Flotilla")), "Period", 900, "Stat", "Sum")))))))));
    template.hasResourceProperties("AWS::CloudWatch::Alarm", Match.objectLike(Map.of(
        "MetricName", "ApproximateNumberOfMessagesVisible", "Threshold", 1,
        "ComparisonOperator", "GreaterThanOrEqualToThreshold")));
    template.hasResourceProperties("AWS::CloudWatch::Alarm", Match.objectLike(Map.of(
        "MetricName", "Errors", "Namespace", "AWS/Lambda", "Threshold", 1)));
    template.hasResourceProperties("AWS::CloudWatch::Alarm", Match.objectLike(Map.of(
        "Threshold", 0.2, "Metrics", Match.arrayWith(List.of(Match.objectLike(Map.of(
            "Expression", "IF(claims + failures > 0, failures / (claims + failures), 0)")))))));
  }

  @Test
  void theCatalogSnapshotIsReadAndWrittenWithTheTableGrantEveryFunctionHasAndNoBatchWrite() {
    // chunks and their pointer are PutItem, reads GetItem and Query: nothing beyond the items grant
    for (String role : List.of("ProvisionerRole", "InterruptionRole", "ConsolidationRole", "GarbageCollectorRole",
        "LifecycleRole")) {
      assertThat(actions(statementsOf(role))).contains("dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem")
          .doesNotContain("dynamodb:BatchWriteItem", "dynamodb:Scan", "dynamodb:DeleteTable");
    }
  }

  @Test
  void outputsGiveTheHelmValues() {
    for (String output : List.of("ClusterName", "Region", "EventBusName", "CommandQueueUrl", "TableName",
        "ForwarderRoleArn")) {
      template.hasOutput(output, Match.objectLike(Map.of("Value", Match.anyValue())));
    }
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> statementsOf(String rolePrefix) {
    List<Map<String, Object>> result = new ArrayList<>();
    for (Map<String, Object> policy : template.findResources("AWS::IAM::Policy").values()) {
      Map<String, Object> props = (Map<String, Object>) policy.get("Properties");
      if (json(props.get("Roles")).contains("\"" + rolePrefix)) {
        result.addAll((List<Map<String, Object>>) ((Map<String, Object>) props.get("PolicyDocument"))
            .get("Statement"));
      }
    }
    assertThat(result).as("statements of " + rolePrefix).isNotEmpty();
    return result;
  }

  private static Map<String, Object> statement(List<Map<String, Object>> statements, String sid) {
    return statements.stream().filter(s -> sid.equals(s.get("Sid"))).findFirst()
        .orElseThrow(() -> new AssertionError("no statement " + sid + " in " + json(statements)));
  }

  @SuppressWarnings("unchecked")
  private static List<String> actions(List<Map<String, Object>> statements) {
    List<String> result = new ArrayList<>();
    for (Map<String, Object> s : statements) {
      Object a = s.get("Action");
      if (a instanceof List<?> l) {
        result.addAll((List<String>) l);
      } else {
        result.add((String) a);
      }
    }
    return result.stream().distinct().toList();
  }

  static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
