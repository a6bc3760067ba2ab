package dev.flotilla.cloud;

import dev.flotilla.model.WellKnownLabels;
import java.util.LinkedHashMap;
import java.util.Map;

/** The tags every instance Flotilla launches carries; the first is what ownership checks read. */
public final class OwnershipTags {

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

  public static boolean owned(Map<String, String> tags, String cluster) {
    return cluster.equals(tags.get(WellKnownLabels.CLUSTER));
  }
}
