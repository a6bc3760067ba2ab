package dev.flotilla.forwarder;

import dev.flotilla.catalog.InstanceType;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimNodeLabels;
import dev.flotilla.claims.ClaimState;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts each claim's facts on its node, so that {@code kubectl get nodes -L flotilla.dev/nodepool} and
 * {@code kubectl describe node} show what Flotilla's records say, and pods that select on them land: labels for the
 * claim, its NodePool and capacity type, its instance type's facts and its NodePool's template labels (with
 * Karpenter's spellings, which pods written for Karpenter select on; {@link ClaimNodeLabels}), annotations for its
 * price and launch time. A node is patched only where one of them differs.
 */
final class NodeClaimLabels {

  static final String PRICE = "flotilla.dev/price-per-hour";
  static final String LAUNCHED_AT = "flotilla.dev/launched-at";

  private static final Logger LOG = LoggerFactory.getLogger(NodeClaimLabels.class);

  private final KubernetesClient client;
  private final Function<String, InstanceType> types;
  private final Function<String, Map<String, String>> poolLabels;

  /**
   * @param types an instance type's facts by name, null when not known
   * @param poolLabels a NodePool's template labels by its name, empty when it has none or is gone
   */
  NodeClaimLabels(KubernetesClient client, Function<String, InstanceType> types,
      Function<String, Map<String, String>> poolLabels) {
    this.client = client;
    this.types = types;
    this.poolLabels = poolLabels;
  }

  /** Labels the node of the claim with this id, if the store has it and the node runs its instance. */
  void applyNow(java.util.Optional<Claim> claim, String node) {
    claim.filter(c -> node.equals(c.nodeName()))
        .ifPresent(c -> apply(java.util.List.of(c), name -> client.nodes().withName(name).get()));
  }

  void apply(Iterable<Claim> claims, Function<String, Node> nodeByName) {
    for (Claim claim : claims) {
      if (!claim.state().live() || claim.state() == ClaimState.Launching || claim.nodeName() == null) {
        continue;
      }
      Node node = nodeByName.apply(claim.nodeName());
      if (node == null || !runs(node, claim)) {
        continue;
      }
      Map<String, String> labels = labels(claim);
      Map<String, String> annotations = Map.of(PRICE, String.format(Locale.ROOT, "%.4f", claim.pricePerHour()),
          LAUNCHED_AT, claim.createdAt().toString());
      if (carries(node.getMetadata().getLabels(), labels) && carries(node.getMetadata().getAnnotations(),
          annotations)) {
        continue;
      }
      Map<String, Object> metadata = new LinkedHashMap<>();
      metadata.put("labels", labels);
      metadata.put("annotations", annotations);
      try {
        client.nodes().withName(claim.nodeName()).patch(PatchContext.of(PatchType.JSON_MERGE),
            client.getKubernetesSerialization().asJson(Map.of("metadata", metadata)));
      } catch (KubernetesClientException e) {
        // the next pass tries again
        LOG.atWarn().setMessage("node not labelled with its claim").addKeyValue("node", claim.nodeName())
            .addKeyValue("error", e.getMessage()).log();
      }
    }
  }

  /**
   * Whether the node is the claim's instance: EC2 names nodes by private address, which a later instance can get
   * while an earlier claim still names the node, and commands check this label before they act.
   */
  private static boolean runs(Node node, Claim claim) {
    String providerId = node.getSpec() == null ? null : node.getSpec().getProviderID();
    return providerId == null || claim.instanceId() == null || providerId.endsWith("/" + claim.instanceId());
  }

  Map<String, String> labels(Claim claim) {
    return ClaimNodeLabels.of(claim, claim.instanceType() == null ? null : types.apply(claim.instanceType()),
        poolLabels.apply(claim.nodePool()));
  }

  private static boolean carries(Map<String, String> present, Map<String, String> wanted) {
    return present != null && wanted.entrySet().stream().allMatch(e -> e.getValue().equals(present.get(e.getKey())));
  }
}
