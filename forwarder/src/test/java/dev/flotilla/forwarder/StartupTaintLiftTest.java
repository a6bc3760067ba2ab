package dev.flotilla.forwarder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.model.Taint;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.zjsonpatch.JsonPatchException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The startup taint's lift when the node's taints change between the forwarder's read and its patch, as they do when
 * the kubelet or another controller writes the node meanwhile: the patch, computed from the read, must not remove
 * the taint that now stands where the startup taint stood. Against fabric8's mock API server in CRUD mode, which
 * answers a node's reads with an older copy on demand.
 */
class StartupTaintLiftTest {

  /**
   * The CRUD server, answering reads of one node with an older copy of it on demand and noting the answers to node
   * patches. A JSON patch whose {@code test} fails is answered 422, as the API server does: the mock server evaluates
   * the test but leaves the request unanswered when it fails, and the client would wait out its timeout.
   */
  static final class StaleReads extends KubernetesCrudDispatcher {
    volatile String node;
    volatile String olderCopy;
    volatile int staleReadsLeft;
    final List<Integer> patchAnswers = new CopyOnWriteArrayList<>();

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      if ("GET".equals(request.getMethod()) && ("/api/v1/nodes/" + node).equals(request.getPath())
          && staleReadsLeft > 0) {
        staleReadsLeft--;
        return new MockResponse().setResponseCode(200).setBody(olderCopy);
      }
      if (!"PATCH".equals(request.getMethod()) || !request.getPath().startsWith("/api/v1/nodes/")) {
        return super.dispatch(request);
      }
      MockResponse answer;
      try {
        answer = super.dispatch(request);
      } catch (JsonPatchException e) {
        answer = new MockResponse().setResponseCode(422).setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\","
            + "\"status\":\"Failure\",\"reason\":\"Invalid\",\"code\":422}");
      }
      patchAnswers.add(answer.code());
      return answer;
    }
  }

  private static final Taint DEDICATED = new Taint("dedicated", "shop", "NoSchedule");
  private static final Taint GPU = new Taint("nvidia.com/gpu", "present", "NoSchedule");

  private final StaleReads reads = new StaleReads();
  private KubernetesMockServer server;
  private KubernetesClient client;
  private Nominations nominations;

  @BeforeEach
  void cluster() {
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), reads, false);
    server.init();
    client = server.createClient();
    nominations = new Nominations(client, PodEvents.ofThisPod(client, Clock.systemUTC()), Nominations.WINDOW,
        Duration.ofMillis(10));
  }

  @AfterEach
  void stop() {
    nominations.close();
    MockApiServerAnswers.awaitAnswering(client);
    client.close();
    server.destroy();
  }

  private void node(String name, Taint... taints) {
    client.nodes().resource(new NodeBuilder().withNewMetadata().withName(name).endMetadata().withNewSpec()
        .withTaints(java.util.Arrays.stream(taints).map(t -> new TaintBuilder().withKey(t.key())
            .withValue(t.value()).withEffect(t.effect()).build()).toList()).endSpec().build()).create();
  }

  private List<String> taints(String node) {
    var taints = client.nodes().withName(node).get().getSpec().getTaints();
    return taints.stream().map(t -> new Taint(t.getKey(), t.getValue(), t.getEffect()).toString()).toList();
  }

  /**
   * Keeps the node as it is now for reads to answer, lets {@code change} write it, then answers the next {@code times}
   * reads with the copy kept.
   */
  private void changedAfterItIsRead(String node, int times, UnaryOperator<Node> change) {
    reads.olderCopy = Serialization.asJson(client.nodes().withName(node).get());
    client.nodes().withName(node).edit(change);
    reads.patchAnswers.clear();
    reads.node = node;
    reads.staleReadsLeft = times;
  }

  @Test
  void theTaintLiftedIsTheStartupTaintWhereItIsNowNotWhereItWasRead() {
    node("ip-1", GPU, Taint.INITIALIZING, DEDICATED);
    // the device plugin's taint goes after the read: at the index read now stands the team's taint
    changedAfterItIsRead("ip-1", 1, n -> {
      n.getSpec().getTaints().removeIf(t -> t.getKey().equals(GPU.key()));
      return n;
    });

    assertThat(nominations.liftTaint("ip-1")).isTrue();

    assertThat(taints("ip-1")).containsExactly(DEDICATED.toString());
    assertThat(reads.patchAnswers).as("the patch from the old read refused, the next applied")
        .satisfiesExactly(refused -> assertThat(refused).isEqualTo(422),
            applied -> assertThat(applied).isLessThan(300));
  }

  @Test
  void aTaintListThatKeepsChangingIsGivenUpAfterItsAttemptsAndLeftAsItIs() {
    node("ip-1", GPU, Taint.INITIALIZING, DEDICATED);
    changedAfterItIsRead("ip-1", Integer.MAX_VALUE, n -> {
      n.getSpec().getTaints().removeIf(t -> t.getKey().equals(GPU.key()));
      return n;
    });

    assertThatThrownBy(() -> nominations.liftTaint("ip-1"))
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(422));

    assertThat(reads.patchAnswers).as("a bounded number of tries").containsExactly(422, 422, 422);
    reads.staleReadsLeft = 0;
    assertThat(taints("ip-1")).containsExactly(Taint.INITIALIZING.toString(), DEDICATED.toString());
  }

  @Test
  void aNodeWhoseStartupTaintIsGoneAlreadyIsLeftAlone() {
    node("ip-1", DEDICATED);

    assertThat(nominations.liftTaint("ip-1")).isFalse();

    assertThat(taints("ip-1")).containsExactly(DEDICATED.toString());
    assertThat(reads.patchAnswers).isEmpty();
  }
}
