package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.extension.ExtendWith;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The Kubernetes test fixture: fabric8's mock API server in CRUD mode, with real list-and-watch informers. */
@EnableKubernetesMockClient(crud = true)
@ExtendWith(MockApiServerAnswers.class)
class PodInformerMockServerTest {

  static KubernetesClient client;

  @Test
  void informerSeesACreatedPodAndThenItsStatusChange() throws Exception {
    BlockingQueue<String> seen = new LinkedBlockingQueue<>();
    try (SharedIndexInformer<Pod> informer = client.pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod pod) {
        seen.add("add " + pod.getMetadata().getName() + " " + reason(pod));
      }

      @Override
      public void onUpdate(Pod before, Pod after) {
        seen.add("update " + after.getMetadata().getName() + " " + reason(after));
      }

      @Override
      public void onDelete(Pod pod, boolean finalStateUnknown) {
        seen.add("delete " + pod.getMetadata().getName());
      }
    }, 60_000L)) {
      informer.start().toCompletableFuture().get(10, TimeUnit.SECONDS);

      client.pods().inNamespace("shop").resource(new PodBuilder()
          .withNewMetadata().withName("web-0").withNamespace("shop").endMetadata()
          .withNewSpec().addNewContainer().withName("web").withImage("nginx").endContainer().endSpec()
          .build()).create();
      assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo("add web-0 none");

      Pod pending = client.pods().inNamespace("shop").withName("web-0").get();
      pending.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder()
          .withPhase("Pending").withConditions(unschedulable()).build());
      client.pods().inNamespace("shop").resource(pending).updateStatus();

      assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo("update web-0 Unschedulable");
      assertThat(informer.getIndexer().getByKey("shop/web-0")).isNotNull();
    }
  }

  private static PodCondition unschedulable() {
    return new PodConditionBuilder().withType("PodScheduled").withStatus("False").withReason("Unschedulable")
        .withMessage("0/3 nodes are available").build();
  }

  private static String reason(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return "none";
    }
    return pod.getStatus().getConditions().stream()
        .filter(c -> "PodScheduled".equals(c.getType()))
        .map(PodCondition::getReason)
        .findFirst().orElse("none");
  }
}
