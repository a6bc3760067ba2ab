package dev.flotilla.cloud;

import dev.flotilla.model.WellKnownLabels;
import java.util.LinkedHashMap;
import java.util.Map;

/** The tags every instance Flotilla launches carries; the first is what ownership checks read. */
public final class OwnershipTags {

  /**
   * On an instance launched by one request for several claims: those claims, comma-separated. Any of them can take
   * it (they asked for the same thing), so the garbage collector adopts it for one still waiting when the launch
   * was cut short before each instance learned its own claim.
   */
  public static final String CLAIMS = "flotilla.dev/claims";

  /**
   * The NodePool's template hash the instance was launched for, as Karpenter puts {@code karpenter.sh/nodepool-hash}
   * on the NodeClaim: what template drift compares where the claim did not note it.
   */
  public static final String NODEPOOL_HASH = "flotilla.dev/nodepool-hash";

  private OwnershipTags() {}

  public static Map<String, String> of(String cluster, String nodePool, String claimId) {
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put(WellKnownLabels.CLUSTER, cluster);
    tags.put(WellKnownLabels.NODEPOOL, nodePool);
    if (claimId != null) {
      tags.put(WellKnownLabels.CLAIM, claimId);
    }
    tags.put("Name", "flotilla/" + cluster + "/" + nodePool);
    return tags;
  }

  /**
   * The tags of an instance one request launches for these claims: the claim's own tag when there is one claim,
   * else the {@link #CLAIMS} tag naming all of them; and the pool's template hash when known (null: none).
   */
  public static Map<String, String> forClaims(String cluster, String nodePool, java.util.List<String> claimIds,
      String nodePoolHash) {
    Map<String, String> tags = of(cluster, nodePool, claimIds.size() == 1 ? claimIds.getFirst() : null);
    if (claimIds.size() > 1) {
      tags.put(CLAIMS, String.join(",", claimIds));
    }
    if (nodePoolHash != null && !nodePoolHash.isBlank()) {
      tags.put(NODEPOOL_HASH, nodePoolHash);
    }
    return tags;
  }

  /** Each claim the instances' tags name, with the first instance that names it. */
  public static Map<String, CloudInstance> launchedFor(java.util.Collection<CloudInstance> instances) {
    Map<String, CloudInstance> byClaim = new java.util.HashMap<>();
    for (CloudInstance i : instances) {
      claims(i.tags()).forEach(id -> byClaim.putIfAbsent(id, i));
    }
    return byClaim;
  }

  /** The claims an instance may belong to, as its tags name them: its own claim's, else its request's. */
  public static java.util.List<String> claims(Map<String, String> tags) {
    String own = tags.get(WellKnownLabels.CLAIM);
    if (own != null && !own.isBlank()) {
      return java.util.List.of(own);
    }
    String group = tags.get(CLAIMS);
    return group == null || group.isBlank() ? java.util.List.of()
        : java.util.Arrays.stream(group.split(",")).filter(s -> !s.isBlank()).toList();
  }

  public static boolean owned(Map<String, String> tags, String cluster) {
    return cluster.equals(tags.get(WellKnownLabels.CLUSTER));
  }
}
