package dev.flotilla.cli;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.flotilla.aws.AwsClients;
import dev.flotilla.functions.FlotillaServices;
import dev.flotilla.functions.FunctionConfig;
import dev.flotilla.functions.GarbageCollectorHandler;
import dev.flotilla.functions.NodeLifecycleHandler;
import dev.flotilla.functions.ProvisionerHandler;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flotilla invoke}: runs a function's handler here, against the endpoint in AWS_ENDPOINT_URL. */
@Command(name = "invoke", mixinStandardHelpOptions = true,
    description = "Runs a Lambda handler locally on an event file, like 'sam local invoke', against AWS_ENDPOINT_URL.")
public final class InvokeCommand implements Callable<Integer> {

  enum Function { provisioner, lifecycle, garbage_collector }

  @Parameters(index = "0", description = "provisioner, lifecycle or garbage_collector")
  Function function;

  @Parameters(index = "1", paramLabel = "EVENT.json", description = "An EventBridge event, e.g. from test-events/")
  Path event;

  @Option(names = "--bootstrap", description = "Create the table, a VPC with subnets and a launch template first.")
  boolean bootstrap;

  @Option(names = "--cluster", defaultValue = "shop-prod", description = "Cluster name (default: ${DEFAULT-VALUE}).")
  String cluster;

  @Option(names = "--table", defaultValue = "flotilla", description = "Claim table (default: ${DEFAULT-VALUE}).")
  String table;

  @Override
  public Integer call() throws Exception {
    if (LocalAccount.endpoint().isEmpty()) {
      System.err.println("flotilla invoke: set AWS_ENDPOINT_URL to an emulator (e.g. moto_server -p 5000)");
      return 2;
    }
    String endpoint = LocalAccount.endpoint().get();
    AwsClients aws = LocalAccount.clients(endpoint);
    FunctionConfig config = bootstrap ? LocalAccount.bootstrap(aws, cluster, table)
        : FunctionConfig.fromEnvironment(System.getenv());
    FlotillaServices services = FlotillaServices.aws(config, aws, Clock.systemUTC());
    RequestStreamHandler handler = switch (function) {
      case provisioner -> new ProvisionerHandler(services);
      case lifecycle -> new NodeLifecycleHandler(services);
      case garbage_collector -> new GarbageCollectorHandler(services);
    };
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = Files.newInputStream(event)) {
      handler.handleRequest(in, out, null);
    }
    System.out.println(out.toString(StandardCharsets.UTF_8));
    return 0;
  }
}
