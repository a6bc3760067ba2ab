package dev.flotilla.testing;

import dev.flotilla.aws.AwsClients;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.testcontainers.localstack.LocalStackContainer;
import org.testcontainers.utility.DockerImageName;
import software.amazon.awssdk.regions.Region;

/**
 * JUnit extension for integration tests against an AWS emulator (see {@link EmulatorChoice} for which one). The
 * emulator starts once per test JVM, before the first test that needs it, and stops when the run ends, whether the
 * tests passed or not. Each test starts from an empty emulator. Tests receive {@link AwsClients} built against it.
 */
public final class AwsEmulator implements BeforeAllCallback, BeforeEachCallback, ParameterResolver {

  public static final Region REGION = Region.US_EAST_1;
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(AwsEmulator.class);

  /** The emulator of this test run: its endpoint, how to reset it, and the clients built for it. */
  static final class Running implements AutoCloseable {
    private final URI endpoint;
    private final AutoCloseable process;
    private final Runnable reset;
    private final AwsClients clients;

    Running(URI endpoint, AutoCloseable process, Runnable reset) {
      this.endpoint = endpoint;
      this.process = process;
      this.reset = reset;
      this.clients = new AwsClients(AwsClients.Settings.emulator(endpoint, REGION));
    }

    @Override
    public void close() throws Exception {
      clients.close();
      process.close();
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    running(context);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    running(context).reset.run();
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == AwsClients.class || type == URI.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context)
      throws ParameterResolutionException {
    Running running = running(context);
    return parameter.getParameter().getType() == URI.class ? running.endpoint : running.clients;
  }

  private static Running running(ExtensionContext context) {
    return context.getRoot().getStore(NAMESPACE)
        .getOrComputeIfAbsent(Running.class, key -> start(), Running.class);
  }

  private static Running start() {
    Map<String, String> properties = new HashMap<>();
    System.getProperties().forEach((k, v) -> properties.put(k.toString(), v.toString()));
    EmulatorChoice choice = EmulatorChoice.select(System.getenv(), properties);
    return switch (choice) {
      case EmulatorChoice.External external -> new Running(external.endpoint(), () -> { }, () -> { });
      case EmulatorChoice.Moto moto -> {
        MotoServer server = MotoServer.start(moto.executable());
        yield new Running(server.endpoint(), server, server::reset);
      }
      case EmulatorChoice.LocalStack localStack -> {
        LocalStackContainer container = new LocalStackContainer(DockerImageName.parse(localStack.image()));
        localStack.authToken().ifPresent(token -> container.withEnv("LOCALSTACK_AUTH_TOKEN", token));
        container.start();
        // LocalStack has no free reset endpoint; the tests name their resources uniquely instead.
        yield new Running(container.getEndpoint(), container::stop, () -> { });
      }
    };
  }
}
