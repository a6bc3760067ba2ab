package dev.flotilla.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A kubeconfig file pointing at fabric8's mock API server, for the commands that take {@code --kubeconfig}. */
final class MockServerKubeconfig {

  private MockServerKubeconfig() {}

  static Path write(Path dir, KubernetesClient client, String namespace) throws IOException {
    return Files.writeString(dir.resolve("kubeconfig"), """
        apiVersion: v1
        kind: Config
        clusters:
          - name: mock
            cluster: {server: "%s", insecure-skip-tls-verify: true}
        users:
          - name: tester
            user: {token: secret}
        contexts:
          - name: mock
            context: {cluster: mock, user: tester, namespace: %s}
        current-context: mock
        """.formatted(client.getConfiguration().getMasterUrl(), namespace));
  }
}
