package dev.flotilla.cloud;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * An EC2 instance as the garbage collector and the interruption handler see it.
 *
 * @param subnet         its subnet, where the cloud describes it (null otherwise)
 * @param securityGroups its security groups, where described (empty otherwise)
 */
public record CloudInstance(String id, String instanceType, String zone, String state, Instant launchTime,
    Map<String, String> tags, String subnet, List<String> securityGroups) {

  public CloudInstance {
    tags = Map.copyOf(tags);
    securityGroups = securityGroups == null ? List.of() : List.copyOf(securityGroups);
  }

  public CloudInstance(String id, String instanceType, String zone, String state, Instant launchTime,
      Map<String, String> tags) {
    this(id, instanceType, zone, state, launchTime, tags, null, List.of());
  }

  /**
   * What a claim recording this instance from the cloud notes of its launch, as {@link
   * dev.flotilla.claims.Claim.Annotations} name it: the template hash its tag carries, its subnet and security
   * groups where described.
   */
  public Map<String, String> launchedWith() {
    Map<String, String> notes = new java.util.LinkedHashMap<>();
    String hash = tags.get(OwnershipTags.NODEPOOL_HASH);
    if (hash != null && !hash.isBlank()) {
      notes.put(dev.flotilla.claims.Claim.Annotations.NODEPOOL_HASH, hash);
    }
    notes.putAll(dev.flotilla.claims.Claim.Annotations.network(subnet, securityGroups));
    return notes;
  }
}
