package dev.flotilla.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.aws.AwsClients;
import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.catalog.StaticOfferingSource;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.cloud.InMemoryCloud;
import dev.flotilla.functions.FunctionConfig;
import dev.flotilla.model.PendingPod;
import dev.flotilla.provisioning.Provisioner;
import dev.flotilla.scheduling.SyntheticWorkloads;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flotilla bench-functions}: the provisioner's decision latency in a warm handler (in-memory adapters, so
 * AWS calls are not in the figure), and cold starts of the Lambda jar in fresh JVMs against AWS_ENDPOINT_URL.
 */
@Command(name = "bench-functions", mixinStandardHelpOptions = true,
    description = "Measures the provisioner's warm decision latency and the Lambda jar's cold start.")
public final class BenchFunctionsCommand implements Callable<Integer> {

  @Option(names = "--runs", defaultValue = "30", description = "Measured decisions per size (default: ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--cold-starts", defaultValue = "4",
      description = "Fresh JVMs to start, the first on an empty table (default: ${DEFAULT-VALUE}).")
  int coldStarts;

  @Override
  public Integer call() throws Exception {
    warm();
    if (LocalAccount.endpoint().isEmpty()) {
      System.out.println("\ncold start skipped: set AWS_ENDPOINT_URL to an emulator to measure it");
      return 0;
    }
    cold(LocalAccount.endpoint().get());
    return 0;
  }

  private void warm() {
    OfferingCatalog catalog = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.ratio(0.35));
    System.out.println("warm decision: event in to CreateFleet out, in-memory claim store and EC2 (AWS calls excluded)");
    System.out.printf(Locale.ROOT, "%8s %10s %10s %10s%n", "PODS", "MEDIAN MS", "P90 MS", "CLAIMS");
    for (int size : new int[] {1, 100, 1000}) {
      List<PendingPod> pods = SyntheticWorkloads.mixed(size, 11);
      double[] millis = new double[runs];
      int claims = 0;
      for (int i = -10; i < runs; i++) {
        Clock clock = Clock.systemUTC();
        InMemoryClaimStore store = new InMemoryClaimStore(clock);
        Provisioner provisioner = new Provisioner(store, new InMemoryCloud("bench", catalog, store, clock),
            new StaticOfferingSource(catalog, store), List::of, List::of, clock);
        long start = System.nanoTime();
        Provisioner.Decision d = provisioner.provision("bench-" + i, pods);
        if (i >= 0) {
          millis[i] = (System.nanoTime() - start) / 1e6;
          claims = d.launched().size();
        }
      }
      Arrays.sort(millis);
      System.out.printf(Locale.ROOT, "%8d %10.1f %10.1f %10d%n", size, millis[runs / 2], millis[(int) (runs * 0.9)],
          claims);
    }
  }

  private void cold(String endpoint) throws IOException, InterruptedException {
    Path jar;
    try (Stream<Path> files = Files.list(Path.of("functions", "target"))) {
      jar = files.filter(p -> p.getFileName().toString().endsWith("-lambda.jar")).findFirst()
          .orElseThrow(() -> new IllegalStateException("build the Lambda jar first: ./mvnw -pl functions -am package"));
    }
    Path event = Path.of("test-events", "forwarder", "pods-pending.json");
    System.out.printf(Locale.ROOT, "%ncold start: a fresh JVM (-XX:TieredStopAtLevel=1, as Lambda's java21 runs it) "
        + "loads %s (%.1f MB), builds the provisioner handler (reading the catalog snapshot), handles %s (its pods "
        + "renamed per run) against %s%n", jar.getFileName(), Files.size(jar) / 1e6, event, endpoint);
    System.out.println("run 1 starts from an empty claim table, so it builds the catalog snapshot from the EC2 and "
        + "Price List APIs once and stores it; the later runs are the cold path as users meet it");
    System.out.printf(Locale.ROOT, "%8s %-22s %10s %20s %10s%n", "RUN", "PATH", "INIT MS", "FIRST DECISION MS",
        "TOTAL MS");
    String javaBin = ProcessHandle.current().info().command().orElse("java");
    ObjectMapper json = new ObjectMapper();
    FunctionConfig config;
    try (AwsClients aws = LocalAccount.clients(endpoint)) {
      emptyTable(aws, TABLE);
      config = LocalAccount.bootstrap(aws, "cold", TABLE);
    }
    List<Long> coldTotals = new ArrayList<>();
    for (int run = 1; run <= coldStarts; run++) {
      Path runEvent = renamed(json, event, run);
      ProcessBuilder pb = new ProcessBuilder(List.of(javaBin, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
          "-cp", jar.toString(), "dev.flotilla.functions.ColdStartProbe", runEvent.toString()));
      pb.environment().putAll(LocalAccount.environment(config, endpoint));
      // as in Lambda, where the metrics library finds this and writes its metrics to standard output; without it
      // the library looks for a CloudWatch agent on a socket, which no function meets
      pb.environment().put("AWS_LAMBDA_FUNCTION_NAME", "flotilla-bench-provisioner");
      pb.redirectErrorStream(false);
      pb.redirectError(ProcessBuilder.Redirect.DISCARD);
      Process p = pb.start();
      List<String> lines = new ArrayList<>(new String(p.getInputStream().readAllBytes()).lines().toList());
      p.waitFor();
      Files.deleteIfExists(runEvent);
      JsonNode result = lines.stream().filter(l -> l.startsWith("{\"initMillis\"")).findFirst()
          .map(l -> { try { return json.readTree(l); } catch (IOException e) { return null; } })
          .orElseThrow(() -> new IllegalStateException("the probe printed no result: " + lines));
      long init = result.get("initMillis").asLong();
      long first = result.get("firstInvocationMillis").asLong();
      if (run > 1) {
        coldTotals.add(init + first);
      }
      System.out.printf(Locale.ROOT, "%8d %-22s %10d %20d %10d%n", run,
          run == 1 ? "one-time build" : "cold (snapshot read)", init, first, init + first);
    }
    if (!coldTotals.isEmpty()) {
      List<Long> sorted = coldTotals.stream().sorted().toList();
      System.out.printf(Locale.ROOT, "cold init + first decision: median %d ms over %d runs%n",
          sorted.get(sorted.size() / 2), sorted.size());
    }
  }

  private static final String TABLE = "flotilla-bench-cold";

  /** Deletes the bench's table where an earlier run left it, so that the first run finds no catalog snapshot. */
  private static void emptyTable(AwsClients aws, String table) {
    try {
      aws.dynamo().deleteTable(r -> r.tableName(table));
      aws.dynamo().waiter().waitUntilTableNotExists(r -> r.tableName(table));
    } catch (software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException absent) {
      // nothing to empty
    }
  }

  /** The event with a fresh id and its pods renamed for this run, so that no run finds them already reserved. */
  private static Path renamed(ObjectMapper json, Path event, int run) throws IOException {
    com.fasterxml.jackson.databind.node.ObjectNode tree = (com.fasterxml.jackson.databind.node.ObjectNode)
        json.readTree(event.toFile());
    tree.put("id", java.util.UUID.randomUUID().toString());
    for (JsonNode kind : tree.path("detail").path("kinds")) {
      ((com.fasterxml.jackson.databind.node.ObjectNode) kind).put("namePrefix",
          kind.path("namePrefix").asText() + "run" + run + "-");
    }
    Path file = Files.createTempFile("flotilla-bench-event-", ".json");
    json.writeValue(file.toFile(), tree);
    return file;
  }
}
