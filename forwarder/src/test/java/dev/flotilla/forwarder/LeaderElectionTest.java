package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.commands.InMemoryCommandQueue;
import dev.flotilla.events.InMemoryEventBus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.extension.ExtendWith;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
@ExtendWith(MockApiServerAnswers.class)
class LeaderElectionTest {

  static KubernetesClient client;

  private static Forwarder replica(String name) {
    return new Forwarder(client, new Forwarder.Settings("shop-prod", "flotilla", "queue", "flotilla", name,
        Duration.ofSeconds(1), Duration.ofSeconds(10)), new InMemoryEventBus(),
        new InMemoryCommandQueue(Clock.systemUTC(), Duration.ofSeconds(30)),
        new dev.flotilla.claims.InMemoryClaimStore(Clock.systemUTC()));
  }

  @Test
  void twoReplicasRunAndOneLeads() throws Exception {
    Forwarder a = replica("forwarder-a");
    Forwarder b = replica("forwarder-b");
    CompletableFuture<?> runA = a.run();
    CompletableFuture<?> runB = b.run();
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (!a.leading() && !b.leading() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      Thread.sleep(3000);
      assertThat(a.leading() ^ b.leading()).as("exactly one leads").isTrue();
      String holder = client.leases().inNamespace("flotilla").withName("flotilla-forwarder").get().getSpec()
          .getHolderIdentity();
      assertThat(holder).isEqualTo(a.leading() ? "forwarder-a" : "forwarder-b");
    } finally {
      a.stop();
      b.stop();
      runA.cancel(true);
      runB.cancel(true);
    }
  }

  @Test
  void healthAndReadinessAnswer() throws Exception {
    AtomicBoolean ready = new AtomicBoolean(false);
    try (HealthServer health = new HealthServer(0, ready::get)) {
      HttpClient http = HttpClient.newHttpClient();
      URI base = URI.create("http://127.0.0.1:" + health.port());
      assertThat(http.send(HttpRequest.newBuilder(base.resolve("/healthz")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      assertThat(http.send(HttpRequest.newBuilder(base.resolve("/readyz")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(503);
      ready.set(true);
      assertThat(http.send(HttpRequest.newBuilder(base.resolve("/readyz")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }
  }
}
