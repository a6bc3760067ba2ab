package dev.flotilla.cli;

import dev.flotilla.events.EventPublisher;
import dev.flotilla.forwarder.ClusterWatch;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.File;
import java.time.Duration;

/** The forwarder's watch, alone in a JVM, for {@code bench-forwarder} to measure from outside. */
public final class ForwarderProbe {

  private ForwarderProbe() {}

  public static void main(String[] args) throws Exception {
    KubernetesClient client = new KubernetesClientBuilder()
        .withConfig(Config.fromKubeconfig(null, new File(args[0]))).build();
    // what the forwarder sends leaves the process in production: here it is counted, not kept
    java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
    EventPublisher bus = events -> sent.addAndGet(events.size());
    DiscardingNodeStates mirror = new DiscardingNodeStates();
    try (ClusterWatch watch = new ClusterWatch(client, "bench", bus, Duration.ofSeconds(1), Duration.ofSeconds(10),
        Duration.ofMinutes(5), mirror).start()) {
      int expected = Integer.parseInt(args[1]);
      int nodes = Integer.parseInt(args[3]);
      long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
      // synced: every pod held, and every node's state written once (the informers' events all handled)
      while (System.nanoTime() < deadline && (watch.podCount() < expected || mirror.written() < nodes)) {
        Thread.sleep(200);
      }
      System.gc();
      System.out.println("synced " + sent.get() + " events, " + mirror.written() + " node documents");
      System.out.flush();
      Thread.sleep(Long.parseLong(args[2]));
    }
    System.exit(0);
  }
}
