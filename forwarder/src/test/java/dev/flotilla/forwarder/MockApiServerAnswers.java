package dev.flotilla.forwarder;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * After each test, waits until fabric8's mock API server answers again before the next test or its teardown uses it.
 *
 * <p>Why: in the mock server (8.0.0), a watch closed by the client while the server is sending it an event stalls the
 * server's only event loop until the send gives up, 30 s later: its close handler waits on the sending thread, which
 * waits on the event loop. A test that stops an informer while changes are still flowing can start that stall; the
 * next test's calls then time out, or the server cannot close within its own 10 s and the class fails in teardown.
 * The stall is the server's, not the forwarder's: a real API server answers a closed watch at once.
 *
 * <p>Registered after {@code @EnableKubernetesMockClient}, so it runs after the test's own {@code @AfterEach} (which
 * stops the informers) and before the mock extension shuts the server down. Tests that start their own server call
 * {@link #awaitAnswering} before destroying it.
 */
final class MockApiServerAnswers implements AfterEachCallback {

  // longer than the server's 30 s send timeout, which ends any stall
  private static final Duration PATIENCE = Duration.ofSeconds(45);

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    KubernetesClient client = client(context);
    if (client != null) {
      awaitAnswering(client);
    }
  }

  static void awaitAnswering(KubernetesClient client) {
    long start = System.nanoTime();
    long deadline = start + PATIENCE.toNanos();
    while (true) {
      try {
        // any request will do: it is served on the event loop, so its answer means the loop is free
        client.namespaces().withName("kube-system").get();
        break;
      } catch (KubernetesClientException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the mock API server did not answer within " + PATIENCE, e);
        }
      }
    }
    long waited = Duration.ofNanos(System.nanoTime() - start).toMillis();
    if (waited > 2_000) {
      System.err.printf("mock API server answered again after %d ms (a watch closed while it sent an event)%n",
          waited);
    }
  }

  private static KubernetesClient client(ExtensionContext context) throws IllegalAccessException {
    Object instance = context.getTestInstance().orElse(null);
    for (Class<?> c = context.getRequiredTestClass(); c != null; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (KubernetesClient.class.isAssignableFrom(f.getType())
            && (Modifier.isStatic(f.getModifiers()) || instance != null)) {
          f.setAccessible(true);
          return (KubernetesClient) f.get(Modifier.isStatic(f.getModifiers()) ? null : instance);
        }
      }
    }
    return null;
  }
}
