package dev.flotilla.cli;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flotilla bench-forwarder}: the forwarder's watch over a large cluster (fabric8's mock API server in CRUD
 * mode, in this JVM), measured from outside: resident memory and CPU of the forwarder's own JVM once its informers
 * hold every pod and node.
 */
@Command(name = "bench-forwarder", mixinStandardHelpOptions = true,
    description = "Measures the forwarder's resident memory and CPU while watching many pods and nodes.")
public final class BenchForwarderCommand implements Callable<Integer> {

  @Option(names = "--pods", defaultValue = "10000") int pods;
  @Option(names = "--nodes", defaultValue = "1000") int nodes;

  /** The forwarder container's JVM options (see the Dockerfile), with its default heap. */
  static final List<String> JVM = List.of("-XX:+UseSerialGC", "-Xmx40m", "-Xss512k", "-XX:TieredStopAtLevel=1",
      "-XX:ReservedCodeCacheSize=24m", "-XX:MaxMetaspaceSize=80m");

  @Override
  public Integer call() throws Exception {
    // the mock server logs every request through java.util.logging
    java.util.logging.Logger.getLogger("io.fabric8.mockwebserver").setLevel(java.util.logging.Level.WARNING);
    KubernetesMockServer server = new KubernetesMockServer(new io.fabric8.mockwebserver.Context(),
        new io.fabric8.mockwebserver.MockWebServer(), new java.util.HashMap<>(),
        new ApiServerDispatcher(), true);
    server.init();
    try (KubernetesClient client = server.createClient()) {
      long start = System.nanoTime();
      for (int i = 0; i < nodes; i++) {
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("node-" + i)
            .addToLabels("flotilla.dev/nodepool", "general").endMetadata()
            .withNewSpec().withProviderID("aws:///us-east-1a/i-" + String.format("%017x", i)).endSpec().build())
            .create();
      }
      for (int i = 0; i < pods; i++) {
        client.pods().inNamespace("ns-" + (i % 50)).resource(new PodBuilder().withNewMetadata().withName("pod-" + i)
            .withNamespace("ns-" + (i % 50)).addToLabels("app", "app-" + (i % 200)).endMetadata()
            .withNewSpec().withNodeName("node-" + (i % nodes)).addNewContainer().withName("c").withImage("app")
            .withNewResources().addToRequests("cpu", new Quantity("250m")).addToRequests("memory",
                new Quantity("512Mi")).endResources().endContainer().endSpec().build()).create();
      }
      System.out.printf(Locale.ROOT, "cluster: %d nodes, %d pods created in %.1f s%n", nodes, pods,
          (System.nanoTime() - start) / 1e9);
      Path kubeconfig = Files.createTempFile("flotilla-bench", ".kubeconfig");
      Files.writeString(kubeconfig, """
          apiVersion: v1
          kind: Config
          clusters: [{name: mock, cluster: {server: "%s", insecure-skip-tls-verify: true}}]
          users: [{name: bench, user: {token: bench}}]
          contexts: [{name: mock, context: {cluster: mock, user: bench}}]
          current-context: mock
          """.formatted(client.getConfiguration().getMasterUrl()));
      String javaBin = ProcessHandle.current().info().command().orElse("java");
      String classpath = System.getProperty("java.class.path");
      List<String> command = new java.util.ArrayList<>(List.of(javaBin));
      command.addAll(JVM);
      command.addAll(List.of("-cp", classpath, ForwarderProbe.class.getName(), kubeconfig.toString(),
          Integer.toString(pods), "5000", Integer.toString(nodes)));
      Process probe = new ProcessBuilder(command).redirectErrorStream(true).start();
      long launched = System.nanoTime();
      try (BufferedReader out = new BufferedReader(new InputStreamReader(probe.getInputStream()))) {
        String line;
        java.util.Deque<String> last = new java.util.ArrayDeque<>();
        while ((line = out.readLine()) != null && !line.startsWith("synced")) {
          // the probe's own log lines: the last few tell why, should it stop before it synced
          last.addLast(line);
          if (last.size() > 20) {
            last.removeFirst();
          }
        }
        if (line == null) {
          System.err.println("the forwarder probe stopped before it synced (exit " + probe.waitFor()
              + "); its last lines:");
          last.forEach(System.err::println);
          return 1;
        }
        double syncSeconds = (System.nanoTime() - launched) / 1e9;
        Thread.sleep(2000);
        long rssKb = status(probe.pid(), "VmRSS:");
        long hwmKb = status(probe.pid(), "VmHWM:");
        double cpuSeconds = cpuSeconds(probe.pid());
        System.out.printf(Locale.ROOT, "forwarder JVM %s%n", String.join(" ", JVM));
        System.out.printf(Locale.ROOT, "synced %d pods and %d nodes in %.1f s; resident %.0f MiB (peak %.0f MiB); "
            + "CPU %.1f s%n", pods, nodes, syncSeconds, rssKb / 1024.0, hwmKb / 1024.0, cpuSeconds);
      }
      probe.waitFor();
      Files.deleteIfExists(kubeconfig);
    } finally {
      server.destroy();
    }
    return 0;
  }

  private static long status(long pid, String field) throws java.io.IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith(field)) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  private static double cpuSeconds(long pid) throws java.io.IOException {
    String[] stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat")).split("\\) ")[1].split(" ");
    return (Long.parseLong(stat[11]) + Long.parseLong(stat[12])) / 100.0;
  }
}
