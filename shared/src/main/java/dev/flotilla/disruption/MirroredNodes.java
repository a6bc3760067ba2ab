package dev.flotilla.disruption;

import dev.flotilla.model.PendingPod;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The node-state mirror as a decision reads it: each document parsed once, and parsed again only when it changed
 * since the last read. A pass reads the mirror two or three times and most nodes are unchanged between passes, so
 * parsing every document each time was most of a pass's work on a large cluster. Unchanged nodes also keep the same
 * {@link NodeState} instance, which makes the consolidator's "same cluster as last time" check an identity check per
 * node instead of a deep comparison of every pod.
 *
 * <p>{@link NodeState#parse} is a pure function of the document and its result is immutable, so a reused parse is
 * exactly what parsing again would give. Only the nodes of the last read are kept.
 */
public final class MirroredNodes {

  private record Parsed(String document, NodeState state) {}

  /**
   * Above this many kinds of pod, the kinds are forgotten and gathered again: a bound on memory that a cluster's few
   * hundred kinds never reach.
   */
  static final int MAX_KINDS = 20_000;

  private Map<String, Parsed> last = Map.of();
  /**
   * One pod of each kind (all but the name), whose parts every pod of the kind read here shares: a pass loads a
   * cluster of thousands of pods into the binder several times, grouping them by labels and summing their requests,
   * and the scheduler groups them into classes. Shared, those equality checks are identity checks, and the reads
   * touch a few hundred objects instead of thousands.
   */
  private final Map<PendingPod, PendingPod> kinds = new HashMap<>();

  /** The nodes of these documents (node name to document), in the documents' order. */
  public synchronized List<NodeState> read(Map<String, String> documents) {
    Map<String, Parsed> now = new HashMap<>(documents.size() * 2);
    List<NodeState> nodes = new ArrayList<>(documents.size());
    documents.forEach((name, document) -> {
      Parsed before = last.get(name);
      // equals is an identity check where the store hands back the same string, a comparison otherwise: both far
      // cheaper than parsing
      Parsed parsed = before != null && before.document().equals(document) ? before
          : new Parsed(document, NodeState.parse(document, this::sharingParts));
      now.put(name, parsed);
      nodes.add(parsed.state());
    });
    last = now;
    return nodes;
  }

  /** An equal pod whose parts are those of the first pod of its kind read. */
  private PendingPod sharingParts(PendingPod pod) {
    if (kinds.size() >= MAX_KINDS) {
      kinds.clear();
    }
    return kinds.computeIfAbsent(pod.kind(), kind -> kind).withName(pod.name());
  }
}
