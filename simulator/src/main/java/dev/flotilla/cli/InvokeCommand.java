package dev.flotilla.cli;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.flotilla.aws.AwsClients;
import dev.flotilla.functions.ConsolidationHandler;
import dev.flotilla.functions.FlotillaServices;
import dev.flotilla.functions.FunctionConfig;
import dev.flotilla.functions.GarbageCollectorHandler;
import dev.flotilla.functions.InterruptionHandler;
import dev.flotilla.functions.NodeLifecycleHandler;
import dev.flotilla.functions.ProvisionerHandler;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/** {@code flotilla invoke}: runs a function's handler here, against the endpoint in AWS_ENDPOINT_URL. */
@Command(name = "invoke", mixinStandardHelpOptions = true,
    description = {"Runs a Lambda handler locally on an event file, like 'sam local invoke', against the emulator in "
        + "AWS_ENDPOINT_URL, and prints its answer.",
        "The cluster's resources come from the environment the stack gives the functions (FLOTILLA_CLUSTER, "
            + "FLOTILLA_TABLE, FLOTILLA_LAUNCH_TEMPLATE_ID, FLOTILLA_SUBNETS, FLOTILLA_COMMAND_QUEUE_URL), or "
            + "--bootstrap makes them in the emulator (and reuses them on the next call)."})
public final class InvokeCommand implements Callable<Integer> {

  /** The functions the stack deploys, by the names the README and the stack use. */
  enum FunctionName {
    PROVISIONER("provisioner", ProvisionerHandler::new),
    LIFECYCLE("lifecycle", NodeLifecycleHandler::new),
    INTERRUPTION("interruption", InterruptionHandler::new),
    CONSOLIDATION("consolidation", ConsolidationHandler::new),
    GARBAGE_COLLECTOR("garbage-collector", GarbageCollectorHandler::new);

    final String label;
    final Function<FlotillaServices, RequestStreamHandler> handler;

    FunctionName(String label, Function<FlotillaServices, RequestStreamHandler> handler) {
      this.label = label;
      this.handler = handler;
    }

    static String labels() {
      return Arrays.stream(values()).map(f -> f.label).collect(Collectors.joining(", "));
    }
  }

  static final class FunctionNames implements ITypeConverter<FunctionName> {
    @Override
    public FunctionName convert(String value) {
      return Arrays.stream(FunctionName.values()).filter(f -> f.label.equals(value)).findFirst()
          .orElseThrow(() -> new TypeConversionException(
              "'" + value + "' is not a function; give one of " + FunctionName.labels()));
    }
  }

  @Parameters(index = "0", paramLabel = "FUNCTION", converter = FunctionNames.class,
      description = "provisioner, lifecycle, interruption, consolidation or garbage-collector")
  FunctionName function;

  @Parameters(index = "1", paramLabel = "EVENT.json", description = "An EventBridge event, e.g. from test-events/")
  Path event;

  @Option(names = "--bootstrap",
      description = "Make the claim table, a VPC with subnets, a launch template and a command queue in the emulator "
          + "first, or reuse those an earlier call made.")
  boolean bootstrap;

  @Option(names = "--cluster", paramLabel = "NAME",
      description = "Cluster name (default: FLOTILLA_CLUSTER, or shop-prod with --bootstrap).")
  String cluster;

  @Option(names = "--table", paramLabel = "NAME",
      description = "Claim table (default: FLOTILLA_TABLE, or flotilla with --bootstrap).")
  String table;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  private final Map<String, String> env;

  public InvokeCommand() {
    this(System.getenv());
  }

  /** Invocations that read their settings from {@code env} instead of the process environment. */
  InvokeCommand(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() throws Exception {
    String endpoint = LocalAccount.endpoint(env).orElseThrow(() -> new CommandFailure.UsageException(
        "AWS_ENDPOINT_URL is not set: start an emulator (moto_server -p 5000 &) and "
            + "export AWS_ENDPOINT_URL=http://127.0.0.1:5000"));
    byte[] input;
    try (InputStream in = Files.newInputStream(event)) {
      input = in.readAllBytes();
    }
    FunctionLogs.functionsQuiet(FlotillaCommand.debugging());
    try (AwsClients aws = LocalAccount.clients(endpoint)) {
      FunctionConfig config = bootstrap ? bootstrapped(aws, endpoint) : FunctionConfig.fromEnvironment(environment());
      FlotillaServices services = FlotillaServices.aws(config, aws, Clock.systemUTC());
      RequestStreamHandler handler = function.handler.apply(services);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      FunctionLogs.aside(FlotillaCommand.debugging(), () -> {
        handler.handleRequest(new java.io.ByteArrayInputStream(input), out, null);
        return null;
      });
      System.out.println(out.toString(StandardCharsets.UTF_8));
    }
    return 0;
  }

  private FunctionConfig bootstrapped(AwsClients aws, String endpoint) {
    FunctionConfig config = LocalAccount.bootstrap(aws, cluster == null ? "shop-prod" : cluster,
        table == null ? "flotilla" : table);
    // what to export to invoke without --bootstrap, as the stack would set it
    spec.commandLine().getErr().println("flotilla invoke: the emulator's resources for " + config.cluster() + ": export "
        + LocalAccount.environment(config, endpoint).entrySet().stream()
            .filter(e -> e.getKey().startsWith("FLOTILLA_")).map(e -> e.getKey() + "=" + e.getValue())
            .collect(Collectors.joining(" ")));
    return config;
  }

  private Map<String, String> environment() {
    Map<String, String> env = new HashMap<>(this.env);
    if (cluster != null) {
      env.put("FLOTILLA_CLUSTER", cluster);
    }
    if (table != null) {
      env.put("FLOTILLA_TABLE", table);
    }
    return env;
  }
}
