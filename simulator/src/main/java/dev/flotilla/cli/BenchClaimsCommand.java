package dev.flotilla.cli;

import dev.flotilla.aws.AwsClients;
import dev.flotilla.aws.ClaimTable;
import dev.flotilla.aws.DynamoClaimStore;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.model.CapacityType;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flotilla bench-claims}: how fast claims with their reservations are written to DynamoDB at the endpoint
 * in AWS_ENDPOINT_URL (an emulator; the figures say nothing of DynamoDB's own latency).
 */
@Command(name = "bench-claims", mixinStandardHelpOptions = true,
    description = "Measures claim creation (claim + one reservation per pod, conditional transactions) against "
        + "the DynamoDB endpoint in AWS_ENDPOINT_URL, for claims of 1, 10 and 100 pods.")
public final class BenchClaimsCommand implements Callable<Integer> {

  @Option(names = "--claims", defaultValue = "20", description = "Claims per batch size (default: ${DEFAULT-VALUE}).")
  int claims;

  @Override
  public Integer call() {
    String endpoint = LocalAccount.endpoint().orElseThrow(() -> new CommandFailure.UsageException(
        "AWS_ENDPOINT_URL is not set: start an emulator (moto_server -p 5000 &) and run "
            + "AWS_ENDPOINT_URL=http://127.0.0.1:5000 ./flotilla bench-claims"));
    String table = "flotilla-bench-" + UUID.randomUUID().toString().substring(0, 8);
    try (AwsClients aws = LocalAccount.clients(endpoint)) {
      ClaimTable.createIfMissing(aws.dynamo(), table);
      ClaimStore store = new DynamoClaimStore(aws.dynamo(), table, "bench", Clock.systemUTC());
      System.out.printf(Locale.ROOT, "%-10s %7s %10s %10s %10s %10s%n", "PODS/CLAIM", "CLAIMS", "MEDIAN MS",
          "P90 MS", "CLAIMS/S", "PODS/S");
      for (int pods : new int[] {1, 10, 100}) {
        run(store, pods, 5);
        long[] millis = run(store, pods, claims);
        long total = Arrays.stream(millis).sum();
        Arrays.sort(millis);
        System.out.printf(Locale.ROOT, "%-10d %7d %10.1f %10.1f %10.1f %10.0f%n", pods, claims,
            millis[claims / 2] / 1e3, millis[(int) (claims * 0.9)] / 1e3, claims * 1e6 / total,
            (double) claims * pods * 1e6 / total);
      }
      aws.dynamo().deleteTable(r -> r.tableName(table));
    }
    return 0;
  }

  /** Creates {@code n} claims of {@code pods} pods each, one after another; microseconds each. */
  private static long[] run(ClaimStore store, int pods, int n) {
    long[] micros = new long[n];
    for (int i = 0; i < n; i++) {
      String id = UUID.randomUUID().toString();
      List<String> podKeys = new ArrayList<>();
      for (int p = 0; p < pods; p++) {
        podKeys.add(id + "-" + p);
      }
      Claim claim = Claim.launching(id, "bench", List.of("m7g.large"), List.of("us-east-1a"),
          CapacityType.ON_DEMAND, podKeys, dev.flotilla.model.Resources.of(100L * pods, (256L << 20) * pods), 0.08,
          java.time.Instant.now());
      long start = System.nanoTime();
      if (!(store.create(claim) instanceof ClaimStore.Created)) {
        throw new IllegalStateException("claim " + id + " conflicted in a benchmark of fresh pods");
      }
      micros[i] = (System.nanoTime() - start) / 1_000;
    }
    return micros;
  }
}
