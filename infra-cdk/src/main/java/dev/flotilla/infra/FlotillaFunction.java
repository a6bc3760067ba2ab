package dev.flotilla.infra;

import java.util.List;
import java.util.Map;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.events.IRuleTarget;
import software.amazon.awscdk.services.events.targets.LambdaFunction;
import software.amazon.awscdk.services.events.targets.LambdaFunctionProps;
import software.amazon.awscdk.services.iam.PolicyStatement;
import software.amazon.awscdk.services.iam.Role;
import software.amazon.awscdk.services.iam.ServicePrincipal;
import software.amazon.awscdk.services.lambda.Alias;
import software.amazon.awscdk.services.lambda.Architecture;
import software.amazon.awscdk.services.lambda.Code;
import software.amazon.awscdk.services.lambda.Function;
import software.amazon.awscdk.services.lambda.Runtime;
import software.amazon.awscdk.services.lambda.SnapStartConf;
import software.amazon.awscdk.services.lambda.destinations.SqsDestination;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.sqs.Queue;
import software.amazon.awscdk.services.sqs.QueueEncryption;
import software.constructs.Construct;

/**
 * One Flotilla function: Java 21 on arm64 with SnapStart, published on every change and invoked only through its
 * {@code live} alias (SnapStart restores published versions, never {@code $LATEST}); its own role, log group and
 * dead-letter queue. EventBridge invokes it asynchronously: an event that fails its retries, or that EventBridge
 * cannot deliver, lands in the dead-letter queue with its error, so nothing is lost and nothing crash-loops.
 */
public final class FlotillaFunction extends Construct {

  /**
   * What a function is: its handler, and the memory and timeout its work needs (see the README's table).
   *
   * @param reservedConcurrency how many may run at once, for a pass that must never overlap itself; null for no
   *                            limit
   */
  public record Spec(String name, String handler, int memoryMiB, Duration timeout, String description,
      Integer reservedConcurrency) {

    public Spec(String name, String handler, int memoryMiB, Duration timeout, String description) {
      this(name, handler, memoryMiB, timeout, description, null);
    }
  }

  static final String ALIAS = "live";
  static final int RETRY_ATTEMPTS = 2;
  static final Duration MAX_EVENT_AGE = Duration.minutes(10);

  private final Spec spec;
  private final Role role;
  private final Function function;
  private final Alias alias;
  private final Queue deadLetters;
  private final LogGroup logGroup;

  public FlotillaFunction(Construct scope, String id, String cluster, Spec spec, Code code,
      Map<String, String> environment) {
    super(scope, id);
    this.spec = spec;
    String name = "flotilla-" + cluster + "-" + spec.name();
    this.logGroup = LogGroup.Builder.create(this, "Logs")
        .logGroupName("/aws/lambda/" + name)
        .retention(RetentionDays.ONE_MONTH)
        .removalPolicy(RemovalPolicy.DESTROY)
        .build();
    // a role of its own with no managed policy: logs to its own group and, below and in the stack, only its actions
    this.role = Role.Builder.create(this, "Role")
        .assumedBy(new ServicePrincipal("lambda.amazonaws.com"))
        .description("Flotilla " + spec.name() + " function of cluster " + cluster)
        .build();
    role.addToPolicy(PolicyStatement.Builder.create()
        .actions(List.of("logs:CreateLogStream", "logs:PutLogEvents"))
        .resources(List.of(logGroup.getLogGroupArn()))
        .build());
    this.deadLetters = Queue.Builder.create(this, "DeadLetters")
        .queueName(name + "-dlq")
        .encryption(QueueEncryption.SQS_MANAGED)
        .enforceSsl(true)
        .retentionPeriod(Duration.days(14))
        .build();
    this.function = Function.Builder.create(this, "Function")
        .functionName(name)
        .description(spec.description())
        .runtime(Runtime.JAVA_21)
        .architecture(Architecture.ARM_64)
        .handler(spec.handler())
        .code(code)
        .memorySize(spec.memoryMiB())
        .timeout(spec.timeout())
        .reservedConcurrentExecutions(spec.reservedConcurrency())
        .snapStart(SnapStartConf.ON_PUBLISHED_VERSIONS)
        .role(role)
        .logGroup(logGroup)
        .environment(environment)
        .build();
    this.alias = Alias.Builder.create(this, "Live")
        .aliasName(ALIAS)
        .version(function.getCurrentVersion())
        .retryAttempts(RETRY_ATTEMPTS)
        .maxEventAge(MAX_EVENT_AGE)
        .onFailure(new SqsDestination(deadLetters))
        .build();
  }

  /** The alias as an EventBridge target: events EventBridge cannot deliver go to the same dead-letter queue. */
  public IRuleTarget target() {
    return new LambdaFunction(alias, LambdaFunctionProps.builder()
        .deadLetterQueue(deadLetters)
        .retryAttempts(RETRY_ATTEMPTS)
        .maxEventAge(Duration.hours(1))
        .build());
  }

  public Spec spec() {
    return spec;
  }

  public Role role() {
    return role;
  }

  public Function function() {
    return function;
  }

  public Alias alias() {
    return alias;
  }

  public Queue deadLetters() {
    return deadLetters;
  }

  public LogGroup logGroup() {
    return logGroup;
  }
}
