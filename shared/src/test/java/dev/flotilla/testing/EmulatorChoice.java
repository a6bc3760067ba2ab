package dev.flotilla.testing;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Which AWS emulator the integration tests talk to. The order is fixed: {@code AWS_ENDPOINT_URL} when set (any
 * running emulator, or a sandbox account's endpoints); else LocalStack in a container when
 * {@code -Daws.emulator=localstack}; else a moto server that the tests start themselves. A missing moto is an error
 * that says how to install it, never a silent skip.
 */
public sealed interface EmulatorChoice {

  String MOTO_EXECUTABLE = "moto_server";

  String INSTALL_HINT = "The AWS integration tests need the emulator moto, and `" + MOTO_EXECUTABLE
      + "` is not on the PATH. Install it with: python3 -m pip install 'moto[server]'"
      + " (Python 3.9 or newer). Alternatively set AWS_ENDPOINT_URL to a running emulator,"
      + " or run with -Daws.emulator=localstack on a machine with a Docker engine.";

  /** A running endpoint named by the environment; the tests neither start nor reset it. */
  record External(URI endpoint) implements EmulatorChoice {}

  /** A moto server the tests start on a free loopback port. */
  record Moto(Path executable) implements EmulatorChoice {}

  /** LocalStack through Testcontainers; {@code authToken} is passed on when set (newer images need one). */
  record LocalStack(String image, Optional<String> authToken) implements EmulatorChoice {}

  static EmulatorChoice select(Map<String, String> env, Map<String, String> properties) {
    String endpoint = env.get("AWS_ENDPOINT_URL");
    if (endpoint != null && !endpoint.isBlank()) {
      return new External(URI.create(endpoint.trim()));
    }
    String kind = properties.getOrDefault("aws.emulator", "moto").trim();
    return switch (kind) {
      case "", "moto" -> new Moto(findOnPath(MOTO_EXECUTABLE, env.getOrDefault("PATH", ""))
          .orElseThrow(() -> new IllegalStateException(INSTALL_HINT)));
      case "localstack" -> new LocalStack(
          properties.getOrDefault("localstack.image", "localstack/localstack:4.3.0"),
          Optional.ofNullable(env.get("LOCALSTACK_AUTH_TOKEN")).filter(s -> !s.isBlank()));
      default -> throw new IllegalArgumentException(
          "aws.emulator=" + kind + " is not known: use moto (the default) or localstack, or set AWS_ENDPOINT_URL");
    };
  }

  static Optional<Path> findOnPath(String executable, String path) {
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (dir.isBlank()) {
        continue;
      }
      Path candidate = Path.of(dir, executable);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}
