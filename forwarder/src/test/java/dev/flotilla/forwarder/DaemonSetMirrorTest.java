package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.contracts.DaemonSets;
import dev.flotilla.events.InMemoryEventBus;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.extension.ExtendWith;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** The forwarder mirrors the cluster's DaemonSets into the table as the functions plan with them. */
@EnableKubernetesMockClient(crud = true)
@ExtendWith(MockApiServerAnswers.class)
class DaemonSetMirrorTest {

  static KubernetesClient client;

  private static DaemonSet daemonSet(String name, String cpu) {
    return new DaemonSetBuilder().withNewMetadata().withName(name).withNamespace("kube-system").endMetadata()
        .withNewSpec().withNewSelector().addToMatchLabels("app", name).endSelector().withNewTemplate()
        .withNewMetadata().addToLabels("app", name).endMetadata().withNewSpec().addNewContainer().withName(name)
        .withImage(name).withNewResources().addToRequests("cpu", new Quantity(cpu))
        .addToRequests("memory", new Quantity("128Mi")).endResources().endContainer().endSpec().endTemplate()
        .endSpec().build();
  }

  private static List<PendingPod> awaitMirrored(InMemoryClaimStore store, Predicate<List<PendingPod>> done)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    List<PendingPod> templates = List.of();
    while (System.nanoTime() < deadline) {
      templates = store.daemonSets().map(d -> DaemonSets.parse(d).templates()).orElse(List.of());
      if (done.test(templates)) {
        break;
      }
      Thread.sleep(50);
    }
    return templates;
  }

  @Test
  void everyDaemonSetIsMirroredWithItsRequestsAndFollowsChanges() throws Exception {
    InMemoryClaimStore store = new InMemoryClaimStore(Clock.systemUTC());
    client.apps().daemonSets().inNamespace("kube-system").resource(daemonSet("aws-node", "25m")).create();
    try (ClusterWatch watch = new ClusterWatch(client, "shop-prod", new InMemoryEventBus(), Duration.ofMinutes(1),
        Duration.ofMinutes(1), Duration.ofMinutes(5), store).start()) {
      List<PendingPod> first = awaitMirrored(store, t -> t.size() == 1);
      assertThat(first).singleElement().satisfies(t -> {
        assertThat(t.name()).isEqualTo("kube-system/aws-node");
        assertThat(t.requests().get(Resources.CPU)).isEqualTo(25);
      });

      client.apps().daemonSets().inNamespace("kube-system").resource(daemonSet("kube-proxy", "100m")).create();
      client.apps().daemonSets().inNamespace("kube-system").resource(daemonSet("aws-node", "50m")).update();
      List<PendingPod> changed = awaitMirrored(store, t -> t.size() == 2
          && t.stream().anyMatch(p -> p.requests().get(Resources.CPU) == 50));
      assertThat(changed).extracting(PendingPod::name)
          .containsExactlyInAnyOrder("kube-system/aws-node", "kube-system/kube-proxy");
      assertThat(changed).filteredOn(p -> p.name().endsWith("aws-node")).singleElement()
          .satisfies(p -> assertThat(p.requests().get(Resources.CPU)).isEqualTo(50));

      client.apps().daemonSets().inNamespace("kube-system").withName("kube-proxy").delete();
      assertThat(awaitMirrored(store, t -> t.size() == 1)).extracting(PendingPod::name)
          .containsExactly("kube-system/aws-node");
    }
  }
}
