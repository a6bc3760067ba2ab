package dev.flotilla.functions;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the functions' shaded jar, the one the stack deploys, carries: the SDK modules Flotilla calls over the
 * URL-connection HTTP client, the Price List's among them, and neither Netty nor Apache HTTP, whose classes would
 * only lengthen every cold start. Runs after {@code package}, which builds the jar.
 */
class LambdaJarIT {

  private static List<String> entries;

  @BeforeAll
  static void read() throws IOException {
    Path jar;
    try (Stream<Path> files = Files.list(Path.of("target"))) {
      jar = files.filter(p -> p.getFileName().toString().endsWith("-lambda.jar")).findFirst()
          .orElseThrow(() -> new IllegalStateException("no *-lambda.jar in target: the package phase builds it"));
    }
    try (JarFile file = new JarFile(jar.toFile())) {
      entries = file.stream().map(JarEntry::getName).toList();
    }
  }

  @Test
  void carriesThePriceListClientAndTheUrlConnectionClient() {
    assertThat(entries).contains("software/amazon/awssdk/services/pricing/PricingClient.class",
        "software/amazon/awssdk/http/urlconnection/UrlConnectionHttpClient.class",
        "dev/flotilla/aws/PriceListOnDemandPrices.class");
  }

  @Test
  void carriesNoNettyAndNoApacheHttpClient() {
    assertThat(entries).noneMatch(e -> e.startsWith("io/netty/") || e.startsWith("org/apache/http/")
        || e.startsWith("software/amazon/awssdk/http/nio/netty/") || e.startsWith("software/amazon/awssdk/http/apache/")
        || e.startsWith("software/amazon/awssdk/http/crt/"));
  }

  @Test
  void carriesOnlyTheSdkServiceModulesFlotillaCalls() {
    Set<String> services = new TreeSet<>();
    for (String e : entries) {
      if (e.startsWith("software/amazon/awssdk/services/") && e.endsWith(".class")) {
        services.add(e.split("/")[4]);
      }
    }
    assertThat(services).containsExactly("dynamodb", "ec2", "eventbridge", "pricing", "sqs", "ssm");
  }
}
