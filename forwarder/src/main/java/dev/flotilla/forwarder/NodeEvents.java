package dev.flotilla.forwarder;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.contracts.Envelope;
import dev.flotilla.events.BusEvent;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The node events the lifecycle function takes: a node that names an EC2 instance joined, became ready, left. */
final class NodeEvents {

  private static final Pattern PROVIDER_ID = Pattern.compile("^aws:///[^/]*/(i-[0-9a-f]+)$");
  private static final ObjectMapper JSON = new ObjectMapper();

  private NodeEvents() {}

  /** The instance id in {@code aws:///zone/i-...}, if the node is an EC2 instance. */
  static Optional<String> instanceId(Node node) {
    String provider = node.getSpec() == null ? null : node.getSpec().getProviderID();
    if (provider == null) {
      return Optional.empty();
    }
    Matcher m = PROVIDER_ID.matcher(provider);
    return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
  }

  static boolean ready(Node node) {
    if (node.getStatus() == null || node.getStatus().getConditions() == null) {
      return false;
    }
    for (NodeCondition c : node.getStatus().getConditions()) {
      if ("Ready".equals(c.getType())) {
        return "True".equals(c.getStatus());
      }
    }
    return false;
  }

  static BusEvent event(String detailType, String cluster, Node node, String instanceId) {
    ObjectNode detail = JSON.createObjectNode();
    detail.put("cluster", cluster).put("node", node.getMetadata().getName()).put("instanceId", instanceId)
        .put("providerId", node.getSpec().getProviderID());
    return new BusEvent(Envelope.FORWARDER, detailType, detail.toString());
  }
}
