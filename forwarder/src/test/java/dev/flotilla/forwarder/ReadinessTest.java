package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.commands.InMemoryCommandQueue;
import dev.flotilla.events.InMemoryEventBus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code /readyz} against fabric8's mock API server (CRUD mode, real watches): the leader is ready once its watch
 * has listed the cluster and its command loop runs; until the API server answers the pod list, it is not. A standby
 * is ready: it is doing its job, which is to wait for the lease.
 */
class ReadinessTest {

  /** Refuses to list pods (as an API server under load might) until the test lets it. */
  private static final class SlowPodList extends KubernetesCrudDispatcher {
    volatile boolean refusing = true;
    final CountDownLatch asked = new CountDownLatch(1);

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      String path = request.getPath();
      if (refusing && "GET".equals(request.getMethod()) && path.startsWith("/api/v1/pods")
          && !path.contains("watch=true")) {
        asked.countDown();
        return new MockResponse().setResponseCode(503).setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\","
            + "\"status\":\"Failure\",\"reason\":\"ServiceUnavailable\",\"code\":503}");
      }
      return super.dispatch(request);
    }
  }

  private final SlowPodList dispatcher = new SlowPodList();
  private KubernetesMockServer server;
  private KubernetesClient client;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void server() {
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init();
    client = server.createClient();
  }

  @AfterEach
  void stop() {
    MockApiServerAnswers.awaitAnswering(client);
    client.close();
    server.destroy();
  }

  private Forwarder replica(String name) {
    return new Forwarder(client, new Forwarder.Settings("shop-prod", "flotilla", "queue", "flotilla", name,
        Duration.ofSeconds(1), Duration.ofSeconds(10)), new InMemoryEventBus(),
        new InMemoryCommandQueue(Clock.systemUTC(), Duration.ofSeconds(30)),
        new dev.flotilla.claims.InMemoryClaimStore(Clock.systemUTC()));
  }

  private int readyz(HealthServer health) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + health.port() + "/readyz")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  @Test
  void theLeaderIsReadyOnlyOnceItsWatchHasSyncedAndTheStandbyIsReady() throws Exception {
    Forwarder leader = replica("forwarder-a");
    CompletableFuture<?> running = leader.run();
    try (HealthServer health = new HealthServer(0, leader::ready)) {
      assertThat(dispatcher.asked.await(30, TimeUnit.SECONDS)).as("the leader started watching").isTrue();
      assertThat(leader.leading()).isTrue();
      assertThat(readyz(health)).as("pods not listed yet").isEqualTo(503);

      Forwarder standby = replica("forwarder-b");
      CompletableFuture<?> waiting = standby.run();
      try (HealthServer standbyHealth = new HealthServer(0, standby::ready)) {
        assertThat(readyz(standbyHealth)).as("a standby waiting for the lease").isEqualTo(200);
        assertThat(standby.leading()).isFalse();

        dispatcher.refusing = false;
        long guard = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (readyz(health) != 200 && System.nanoTime() < guard) {
          Thread.sleep(50);
        }
        assertThat(readyz(health)).as("listed, and taking commands").isEqualTo(200);
      } finally {
        standby.stop();
        waiting.cancel(true);
      }
    } finally {
      leader.stop();
      running.cancel(true);
    }
  }
}
