package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code flotilla plan --kubeconfig} against fabric8's mock API server: the plan for what is pending there. */
@EnableKubernetesMockClient(crud = true)
class PlanLiveClusterTest {

  static KubernetesClient client;

  @TempDir
  Path dir;

  @Test
  void plansForTheClustersPendingPods() throws Exception {
    for (int i = 0; i < 3; i++) {
      Pod pod = client.pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName("web-" + i)
          .withNamespace("shop").endMetadata().withNewSpec().addNewContainer().withName("web").withImage("nginx")
          .withNewResources().addToRequests("cpu", new Quantity("1")).addToRequests("memory", new Quantity("2Gi"))
          .endResources().endContainer().endSpec().build()).create();
      pod.setStatus(new PodStatusBuilder().withConditions(new PodConditionBuilder().withType("PodScheduled")
          .withStatus("False").withReason("Unschedulable").build()).build());
      client.pods().inNamespace("shop").resource(pod).updateStatus();
    }
    Path kubeconfig = MockServerKubeconfig.write(dir, client, "shop");

    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      code = new CommandLine(new FlotillaCommand()).execute("plan", "--kubeconfig", kubeconfig.toString(),
          "--output", "json");
    } finally {
      System.setOut(original);
    }

    assertThat(code).isZero();
    JsonNode plan = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
    int placed = 0;
    for (JsonNode node : plan.get("nodes")) {
      placed += node.get("pods").size();
    }
    assertThat(placed).isEqualTo(3);
    assertThat(plan.get("unschedulable")).isEmpty();
  }
}
