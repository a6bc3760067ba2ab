package dev.flotilla.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.flotilla.aws.AwsClients;
import dev.flotilla.aws.ClaimTable;
import dev.flotilla.aws.EmulatorAccount;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.contracts.Envelope;
import dev.flotilla.contracts.InvalidEventException;
import dev.flotilla.contracts.PodsPending;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.testing.AwsIntegrationTest;
import dev.flotilla.testing.MutableClock;
import dev.flotilla.testing.TestEvents;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.ResourceType;

/** The handlers fed with the sample events in test-events, against the AWS emulator through the real adapters. */
@AwsIntegrationTest
class HandlersIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private final MutableClock clock = new MutableClock(Instant.now());
  private static final String NODE = "ip-10-0-1-23.ec2.internal";
  private AwsClients aws;
  private FlotillaServices services;
  private String commandQueue;

  @BeforeEach
  void account(AwsClients aws) {
    this.aws = aws;
    ClaimTable.createIfMissing(aws.dynamo(), "flotilla");
    EmulatorAccount account = EmulatorAccount.create(aws.ec2(), "shop-prod",
        List.of("us-east-1a", "us-east-1b", "us-east-1c"));
    FunctionConfig config = new FunctionConfig("shop-prod", "flotilla", account.launchTemplateId(),
        account.subnetByZone(), List.of(),
        Duration.ofMinutes(15), Duration.ZERO);
    commandQueue = aws.sqs().createQueue(r -> r.queueName("flotilla-shop-prod-commands")).queueUrl();
    services = FlotillaServices.aws(config.withCommandQueue(commandQueue), aws, clock);
  }

  private static JsonNode invoke(RequestStreamHandler handler, String event) throws Exception {
    return invoke(handler, event, null);
  }

  private static JsonNode invoke(RequestStreamHandler handler, String event,
      com.amazonaws.services.lambda.runtime.Context context) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    handler.handleRequest(new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8)), out, context);
    return JSON.readTree(out.toByteArray());
  }

  private List<Instance> owned() {
    return aws.ec2().describeInstances(r -> r.filters(
            Filter.builder().name("tag:" + WellKnownLabels.CLUSTER).values("shop-prod").build(),
            Filter.builder().name("instance-state-name").values("pending", "running").build()))
        .reservations().stream().flatMap(res -> res.instances().stream()).toList();
  }

  private static List<String> samplePods() {
    return PodsPending.from(Envelope.parse(TestEvents.read("forwarder/pods-pending.json"))).pods().stream()
        .map(PendingPod::name).toList();
  }

  @Test
  void pendingPodsLaunchTaggedInstancesAndReserveEveryPod() throws Exception {
    JsonNode answer = invoke(new ProvisionerHandler(services), TestEvents.read("forwarder/pods-pending.json"));

    assertThat(answer.path("failures")).isEmpty();
    assertThat(answer.path("unschedulable").asInt()).isZero();
    List<Instance> instances = owned();
    assertThat(instances).hasSize(answer.path("instances").size()).isNotEmpty();
    for (Instance instance : instances) {
      Map<String, String> tags = new HashMap<>();
      instance.tags().forEach(t -> tags.put(t.key(), t.value()));
      String claimId = tags.get(WellKnownLabels.CLAIM);
      assertThat(services.store.claim(claimId)).hasValueSatisfying(c -> {
        assertThat(c.state()).isEqualTo(ClaimState.Launched);
        assertThat(c.instanceId()).isEqualTo(instance.instanceId());
        assertThat(c.instanceType()).isEqualTo(instance.instanceTypeAsString());
      });
    }
    assertThat(services.store.reservations(samplePods())).hasSize(samplePods().size());
    var volumes = aws.ec2().describeTags(r -> r.filters(
        Filter.builder().name("resource-type").values(ResourceType.INSTANCE.toString()).build())).tags();
    assertThat(volumes).isNotEmpty();
  }

  @Test
  void theSameEventDeliveredThreeTimesLaunchesOnce() throws Exception {
    String event = TestEvents.read("forwarder/pods-pending.json");
    invoke(new ProvisionerHandler(services), event);
    int launched = owned().size();

    invoke(new ProvisionerHandler(services), event);
    JsonNode third = invoke(new ProvisionerHandler(services), event);

    assertThat(owned()).hasSize(launched);
    assertThat(third.path("instances")).isEmpty();
  }

  @Test
  void twoInvocationsRacingOnTheSamePodsLaunchEachPodOnce() throws Exception {
    String event = TestEvents.read("forwarder/pods-pending.json");
    ProvisionerHandler a = new ProvisionerHandler(services);
    ProvisionerHandler b = new ProvisionerHandler(services);
    CompletableFuture<JsonNode> first = CompletableFuture.supplyAsync(() -> call(a, event));
    CompletableFuture<JsonNode> second = CompletableFuture.supplyAsync(() -> call(b, event));
    first.join();
    second.join();

    List<Claim> live = services.store.claims().stream().filter(c -> c.state().live()).toList();
    Map<String, String> owner = new HashMap<>();
    for (Claim c : live) {
      for (String pod : c.pods()) {
        assertThat(owner.put(pod, c.id())).as("%s reserved twice", pod).isNull();
      }
    }
    assertThat(owned()).hasSize(live.size());
  }

  @Test
  void nodeEventsMoveTheClaimAndDeletionReleasesItsPods() throws Exception {
    invoke(new ProvisionerHandler(services), TestEvents.read("forwarder/pods-pending.json"));
    Instance instance = owned().getFirst();
    String id = instance.instanceId();
    NodeLifecycleHandler lifecycle = new NodeLifecycleHandler(services);

    invoke(lifecycle, TestEvents.read("forwarder/node-registered.json").replace("i-0a1b2c3d4e5f60718", id));
    assertThat(services.store.claimByInstance(id)).hasValueSatisfying(c ->
        assertThat(c.state()).isEqualTo(ClaimState.Registered));
    invoke(lifecycle, TestEvents.read("forwarder/node-ready.json").replace("i-0a1b2c3d4e5f60718", id));
    assertThat(services.store.claimByInstance(id)).hasValueSatisfying(c ->
        assertThat(c.state()).isEqualTo(ClaimState.Initialized));
    JsonNode deleted = invoke(lifecycle,
        TestEvents.read("forwarder/node-deleted.json").replace("i-0a1b2c3d4e5f60718", id));

    assertThat(deleted.path("outcome").asText()).endsWith("is Terminated");
    Claim claim = services.store.claimByInstance(id).orElseThrow();
    assertThat(services.store.reservations(claim.pods())).isEmpty();
  }

  @Test
  void garbageCollectionTerminatesAnOrphanAndLeavesForeignInstancesAlone() throws Exception {
    String orphan = aws.ec2().runInstances(r -> r.imageId("ami-12c6146b").minCount(1).maxCount(1)
        .instanceType("m7g.large").tagSpecifications(t -> t.resourceType(ResourceType.INSTANCE).tags(
            software.amazon.awssdk.services.ec2.model.Tag.builder().key(WellKnownLabels.CLUSTER).value("shop-prod")
                .build()))).instances().getFirst().instanceId();
    String foreign = aws.ec2().runInstances(r -> r.imageId("ami-12c6146b").minCount(1).maxCount(1)
        .instanceType("m5.large")).instances().getFirst().instanceId();
    clock.advance(Duration.ofMinutes(5));

    JsonNode answer = invoke(new GarbageCollectorHandler(services),
        TestEvents.read("scheduled/garbage-collection.json"));

    assertThat(answer.path("terminated").toString()).contains(orphan).doesNotContain(foreign);
    assertThat(aws.ec2().describeInstances(r -> r.instanceIds(foreign)).reservations().getFirst().instances()
        .getFirst().state().nameAsString()).isEqualTo("running");
  }

  @Test
  void theGarbageCollectorsPassRebuildsACatalogSnapshotOlderThanTheRefreshForEveryFunctionToRead() throws Exception {
    services.readCatalog();
    var stored = new dev.flotilla.aws.DynamoCatalogSnapshotStore(aws.dynamo(), "flotilla", "shop-prod");
    java.time.Instant first = stored.latest().orElseThrow().builtAt();
    clock.advance(Duration.ofMinutes(1));

    invoke(new GarbageCollectorHandler(services), TestEvents.read("scheduled/garbage-collection.json"));
    assertThat(stored.latest().orElseThrow().builtAt()).isEqualTo(first);

    clock.advance(dev.flotilla.aws.Ec2OfferingSource.REFRESH);
    invoke(new GarbageCollectorHandler(services), TestEvents.read("scheduled/garbage-collection.json"));

    assertThat(stored.latest().orElseThrow().builtAt()).isEqualTo(clock.instant());
    assertThat(services.catalogSnapshots().orElseThrow().snapshotAge()).contains(Duration.ZERO);
    assertThat(stored.latest().orElseThrow().catalog().types()).isNotEmpty();
  }

  @Test
  void aMalformedEventFailsTheInvocationNamingTheFieldAndDoesNothing() {
    String bad = TestEvents.read("forwarder/pods-pending.json")
        .replaceFirst("\"memory\" : 1073741824", "\"memory\" : \"lots\"");

    assertThatThrownBy(() -> invoke(new ProvisionerHandler(services), bad))
        .isInstanceOf(InvalidEventException.class)
        .hasMessageContaining("detail.kinds[0].pod.requests");
    assertThatThrownBy(() -> invoke(new NodeLifecycleHandler(services),
        TestEvents.read("forwarder/node-ready.json").replace("\"instanceId\"", "\"instance\"")))
        .hasMessageContaining("detail.instanceId: is required");
    assertThat(services.store.claims()).isEmpty();
    assertThat(owned()).isEmpty();
  }

  /** Provisions the sample pods, brings the first instance's node to Ready and mirrors it with these pods. */
  private Claim readyNode(boolean withPods) throws Exception {
    invoke(new ProvisionerHandler(services), TestEvents.read("forwarder/pods-pending.json"));
    String id = owned().getFirst().instanceId();
    NodeLifecycleHandler lifecycle = new NodeLifecycleHandler(services);
    invoke(lifecycle, TestEvents.read("forwarder/node-ready.json").replace("i-0a1b2c3d4e5f60718", id));
    Claim claim = services.store.claimByInstance(id).orElseThrow();
    // a Ready node is sent its planned pods to nominate, which lifts its startup taint
    assertThat(commands()).singleElement().satisfies(c -> {
      assertThat(c.kind()).isEqualTo(dev.flotilla.commands.Command.Kind.Nominate);
      assertThat(c.node()).isEqualTo(NODE);
      assertThat(c.claimId()).isEqualTo(claim.id());
      assertThat(c.pods()).containsExactlyInAnyOrderElementsOf(claim.pods());
    });
    List<NodeState.NodePod> pods = new java.util.ArrayList<>();
    if (withPods) {
      for (PendingPod pod : PodsPending.from(Envelope.parse(TestEvents.read("forwarder/pods-pending.json"))).pods()) {
        if (claim.pods().contains(pod.name())) {
          pods.add(new NodeState.NodePod(pod.toBuilder().ownerKind("ReplicaSet").build(), -1));
        }
      }
    }
    NodeState state = new NodeState(NODE, id, Map.of(WellKnownLabels.INSTANCE_TYPE, claim.instanceType(),
        WellKnownLabels.ZONE, claim.zone()), false,
        NodeState.resources(Map.of("cpu", "1930m", "memory", "7000Mi", "pods", "29")), List.of(), pods);
    services.store.putNodeState(NODE, state.toJson());
    return claim;
  }

  /** The commands sent since the last call: each is taken off the queue, as the forwarder would. */
  private List<dev.flotilla.commands.Command> commands() {
    List<software.amazon.awssdk.services.sqs.model.Message> messages = aws.sqs().receiveMessage(r -> r
        .queueUrl(commandQueue).maxNumberOfMessages(10)).messages();
    messages.forEach(m -> aws.sqs().deleteMessage(r -> r.queueUrl(commandQueue).receiptHandle(m.receiptHandle())));
    return messages.stream().map(m -> dev.flotilla.commands.Command.parse(m.body())).toList();
  }

  @Test
  void aSpotWarningForAnOwnedNodeDrainsItOverSqsAndLaunchesNothing() throws Exception {
    Claim claim = readyNode(true);
    int instances = owned().size();
    String foreign = aws.ec2().runInstances(r -> r.imageId("ami-12c6146b").minCount(1).maxCount(1)
        .instanceType("m5.large")).instances().getFirst().instanceId();
    InterruptionHandler handler = new InterruptionHandler(services);

    JsonNode ignored = invoke(handler, TestEvents.read("interruption/spot-interruption-warning.json")
        .replace("i-0b3f4c2a9d1e6f701", foreign));
    assertThat(ignored.path("handled").get(0).path("action").asText()).isEqualTo("ignored");
    assertThat(commands()).isEmpty();

    JsonNode answer = invoke(handler, TestEvents.read("interruption/spot-interruption-warning.json")
        .replace("i-0b3f4c2a9d1e6f701", claim.instanceId()));

    assertThat(answer.path("handled").get(0).path("action").asText()).isEqualTo("drain");
    assertThat(commands()).singleElement().satisfies(c -> {
      assertThat(c.kind()).isEqualTo(dev.flotilla.commands.Command.Kind.Drain);
      assertThat(c.node()).isEqualTo(NODE);
      assertThat(c.claimId()).isEqualTo(claim.id());
    });
    assertThat(services.store.claim(claim.id()).orElseThrow().state()).isEqualTo(ClaimState.Draining);
    // the evicted pods come back pending and are the provisioner's, with any other node's drained meanwhile
    assertThat(answer.path("handled").get(0).path("replacementClaims").isArray()).isTrue();
    assertThat(answer.path("handled").get(0).path("replacementClaims")).isEmpty();
    assertThat(owned()).hasSize(instances);
    assertThat(aws.ec2().describeInstances(r -> r.instanceIds(foreign)).reservations().getFirst().instances()
        .getFirst().state().nameAsString()).isEqualTo("running");
  }

  @Test
  void consolidationDrainsAnEmptyNodeAndTheDrainReportTerminatesIt() throws Exception {
    Claim claim = readyNode(false);
    // the pods planned for it had their time to be bound and went elsewhere: the node is empty, not just new
    clock.advance(dev.flotilla.provisioning.Provisioner.RESERVATION_GRACE.plusSeconds(1));

    // the invocation's wait before it checks its command again passes on the test's clock
    JsonNode pass = invoke(new ConsolidationHandler(services, clock::advance),
        TestEvents.read("scheduled/consolidation.json"));

    assertThat(pass.path("action").asText()).isEqualTo("DeleteEmpty");
    assertThat(pass.path("started").asBoolean()).isTrue();
    assertThat(pass.path("savingPerHour").asDouble()).isEqualTo(claim.pricePerHour());
    assertThat(commands()).singleElement().satisfies(c -> assertThat(c.node()).isEqualTo(NODE));

    JsonNode drained = invoke(new NodeLifecycleHandler(services), TestEvents.read("forwarder/node-drained.json")
        .replace("3f6d2a1e-8c4b-4e9f-a7d2-1b5c9e0f6a34", claim.id()));

    assertThat(drained.path("outcome").asText()).contains("terminated");
    assertThat(aws.ec2().describeInstances(r -> r.instanceIds(claim.instanceId())).reservations().getFirst()
        .instances().getFirst().state().nameAsString()).isIn("shutting-down", "terminated");
    assertThat(services.store.claim(claim.id()).orElseThrow().state()).isEqualTo(ClaimState.Terminated);
  }

  @Test
  void consolidationWithTooLittleOfTheInvocationLeftNeitherWaitsNorActsAndTheNextPassDoes() throws Exception {
    Claim claim = readyNode(false);
    clock.advance(dev.flotilla.provisioning.Provisioner.RESERVATION_GRACE.plusSeconds(1));
    List<Duration> waits = new java.util.ArrayList<>();

    JsonNode late = invoke(new ConsolidationHandler(services, waits::add),
        TestEvents.read("scheduled/consolidation.json"), remaining(Duration.ofSeconds(20)));

    assertThat(waits).as("no wait the invocation would be killed in").isEmpty();
    assertThat(late.path("action").asText()).isEqualTo("DeleteEmpty");
    assertThat(late.path("started").asBoolean()).isFalse();
    assertThat(late.path("outcome").asText()).startsWith("not checked: 20 s left");
    assertThat(commands()).isEmpty();
    assertThat(services.store.claim(claim.id()).orElseThrow().state()).isEqualTo(ClaimState.Initialized);

    JsonNode next = invoke(new ConsolidationHandler(services, clock::advance),
        TestEvents.read("scheduled/consolidation.json"), remaining(Duration.ofSeconds(45)));

    assertThat(next.path("started").asBoolean()).as("the lease ended with the pass given up").isTrue();
    assertThat(commands()).singleElement().satisfies(c -> assertThat(c.node()).isEqualTo(NODE));
  }

  /** A Lambda context with {@code left} of the invocation to run. */
  private static com.amazonaws.services.lambda.runtime.Context remaining(Duration left) {
    return new com.amazonaws.services.lambda.runtime.Context() {
      public String getAwsRequestId() {
        return "request-1";
      }

      public String getLogGroupName() {
        return "/aws/lambda/flotilla-consolidation";
      }

      public String getLogStreamName() {
        return "stream";
      }

      public String getFunctionName() {
        return "flotilla-consolidation";
      }

      public String getFunctionVersion() {
        return "$LATEST";
      }

      public String getInvokedFunctionArn() {
        return "arn:aws:lambda:us-east-1:123456789012:function:flotilla-consolidation";
      }

      public com.amazonaws.services.lambda.runtime.CognitoIdentity getIdentity() {
        return null;
      }

      public com.amazonaws.services.lambda.runtime.ClientContext getClientContext() {
        return null;
      }

      public int getRemainingTimeInMillis() {
        return (int) left.toMillis();
      }

      public int getMemoryLimitInMB() {
        return 1769;
      }

      public com.amazonaws.services.lambda.runtime.LambdaLogger getLogger() {
        return null;
      }
    };
  }

  private static JsonNode call(RequestStreamHandler handler, String event) {
    try {
      return invoke(handler, event);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
