package dev.flotilla.disruption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.model.TopologySpread;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The mirror as a decision reads it: each document parsed as {@link NodeState#parse} parses it, pods sharing parts. */
class MirroredNodesTest {

  private final MirroredNodes mirrored = new MirroredNodes();

  @Test
  void everyNodeReadsAsItsDocumentParsesAndPodsOfAKindShareTheirParts() {
    Map<String, String> documents = new LinkedHashMap<>();
    documents.put("a", node("a", web("default/web-1"), web("default/web-2"), cache("default/cache-1")).toJson());
    documents.put("b", node("b", web("default/web-3"), cache("default/cache-2")).toJson());

    List<NodeState> read = mirrored.read(documents);

    assertThat(read).containsExactly(NodeState.parse(documents.get("a")), NodeState.parse(documents.get("b")));
    PendingPod web1 = read.get(0).pods().get(0).pod();
    PendingPod web3 = read.get(1).pods().get(0).pod();
    assertThat(web1.name()).isEqualTo("default/web-1");
    assertThat(web3.name()).isEqualTo("default/web-3");
    assertThat(web3.labels()).isSameAs(web1.labels());
    assertThat(web3.requests()).isSameAs(web1.requests());
    assertThat(web3.spreads()).isSameAs(web1.spreads());
    PendingPod cache1 = read.get(0).pods().get(2).pod();
    assertThat(cache1.labels()).isNotSameAs(web1.labels()).isEqualTo(Map.of("app", "cache"));
  }

  @Test
  void aChangedDocumentIsParsedAgainAndItsPodsShareWithThoseReadBefore() {
    Map<String, String> documents = new LinkedHashMap<>();
    documents.put("a", node("a", web("default/web-1")).toJson());
    documents.put("b", node("b", cache("default/cache-1")).toJson());
    List<NodeState> first = mirrored.read(documents);

    documents.put("b", node("b", cache("default/cache-1"), web("default/web-2")).toJson());
    List<NodeState> second = mirrored.read(documents);

    assertThat(second.get(0)).isSameAs(first.get(0));
    assertThat(second.get(1)).isEqualTo(NodeState.parse(documents.get("b")));
    assertThat(second.get(1).pods().get(1).pod().labels()).isSameAs(first.get(0).pods().get(0).pod().labels());
  }

  @Test
  void podsOfAKindKeepTheirOwnBudgetHeadroom() {
    NodeState node = new NodeState("a", "i-a", Map.of(), false, Resources.of(4000, 16L << 30), List.of(),
        List.of(new NodeState.NodePod(web("default/web-1"), 0), new NodeState.NodePod(web("default/web-2"), 3)));

    NodeState read = mirrored.read(Map.of("a", node.toJson())).getFirst();

    assertThat(read).isEqualTo(node);
    assertThat(read.pods()).extracting(NodeState.NodePod::disruptionsAllowed).containsExactly(0, 3);
  }

  @Test
  void aPodWithoutANameIsRefusedAsParsingRefusesIt() throws Exception {
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    com.fasterxml.jackson.databind.node.ObjectNode doc = (com.fasterxml.jackson.databind.node.ObjectNode)
        json.readTree(node("a", web("default/web-1"), web("default/web-2")).toJson());
    ((com.fasterxml.jackson.databind.node.ObjectNode) doc.path("pods").get(1)).remove("name");
    String document = json.writeValueAsString(doc);

    assertThatThrownBy(() -> NodeState.parse(document)).isInstanceOf(IllegalArgumentException.class);
    String refused = catchThrowable(() -> NodeState.parse(document)).getMessage();
    assertThatThrownBy(() -> mirrored.read(Map.of("a", document))).isInstanceOf(IllegalArgumentException.class)
        .hasMessage(refused).hasMessageContaining("name");
  }

  private static NodeState node(String name, PendingPod... pods) {
    return new NodeState(name, "i-" + name, Map.of("topology.kubernetes.io/zone", "us-east-1a"), false,
        Resources.of(4000, 16L << 30), List.of(),
        java.util.Arrays.stream(pods).map(p -> new NodeState.NodePod(p, 1)).toList());
  }

  private static PendingPod web(String name) {
    return PendingPod.builder(name).labels(Map.of("app", "web", "tier", "front")).requests(Resources.of(500, 1L << 30))
        .spreads(List.of(new TopologySpread("topology.kubernetes.io/zone", 1, true,
            LabelSelector.of(Map.of("app", "web"))))).ownerKind("ReplicaSet").build();
  }

  private static PendingPod cache(String name) {
    return PendingPod.builder(name).labels(Map.of("app", "cache")).requests(Resources.of(1000, 4L << 30))
        .ownerKind("StatefulSet").build();
  }
}
