package dev.flotilla.forwarder;

import dev.flotilla.model.WellKnownLabels;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * An informer's store that keeps each object as the UTF-8 JSON of only the fields the forwarder reads, and rebuilds
 * the object when asked for it. A pod held as fabric8's object graph costs several kilobytes even when it is small
 * (every model object carries its own maps and lists); the same pod as trimmed JSON is a few hundred bytes, so ten
 * thousand pods fit in a few megabytes. Rebuilding costs microseconds, and the forwarder reads the store only for a
 * changed node, a drain or a resync. fabric8's {@code ReducedStateItemStore} keeps the values as maps and lists,
 * which is hardly smaller than the objects.
 *
 * <p>What is kept is a keep-list, {@link #POD} and {@link #NODE}: whatever the scheduling facts, the node mirror, the
 * drain and the node events read. A field not on it reads as absent from objects out of the store; objects handed to
 * the event handlers as they arrive are whole.
 *
 * <p>{@link #values()} yields each object's identity only: an object with nothing but its name and namespace. fabric8
 * collects every value into one list after each list call (to find deletions) and on every resync (to hand each object
 * to the handlers again); rebuilding every pod at once there would bring back, for a moment, the memory this store
 * saves. A resync therefore reaches the handlers as {@code onUpdate(identity, identity)}, the same object twice, and
 * they read the whole object with {@link #get(String)}; {@link #get(String)} and the informer's indexes always give
 * whole objects. A deletion that a relist finds (after a lost watch) also reaches the handlers as an identity, so the
 * node such a pod left is mirrored again at the next resync rather than at once.
 */
final class CompactItemStore<T extends HasMetadata> implements ItemStore<T> {

  /** Keep the whole value. */
  private static final Map<String, Object> ALL = Map.of();

  /** The parts of a pod the forwarder reads: scheduling facts, ownership, disruption annotations, status. */
  static final Map<String, Object> POD = Map.of(
      "apiVersion", ALL, "kind", ALL,
      "metadata", Map.of("name", ALL, "namespace", ALL, "uid", ALL, "resourceVersion", ALL,
          "creationTimestamp", ALL, "deletionTimestamp", ALL, "labels", ALL, "ownerReferences", ALL,
          "annotations", Map.of(WellKnownLabels.DO_NOT_DISRUPT, ALL, WellKnownLabels.KARPENTER_DO_NOT_DISRUPT, ALL,
              "kubernetes.io/config.mirror", ALL)),
      "spec", Map.ofEntries(Map.entry("nodeName", ALL), Map.entry("nodeSelector", ALL),
          Map.entry("affinity", ALL), Map.entry("tolerations", ALL), Map.entry("topologySpreadConstraints", ALL),
          Map.entry("overhead", ALL), Map.entry("priority", ALL), Map.entry("priorityClassName", ALL),
          Map.entry("preemptionPolicy", ALL),
          // on the host's network a container port is a host port (PodSpecReader)
          Map.entry("hostNetwork", ALL),
          // the claims its volumes are bound through: their volumes' zones hold the pod (VolumeZones)
          Map.entry("volumes", Map.of("name", ALL, "persistentVolumeClaim", ALL)),
          Map.entry("containers", Map.of("name", ALL, "resources", ALL, "ports", ALL)),
          Map.entry("initContainers", Map.of("name", ALL, "resources", ALL, "ports", ALL, "restartPolicy", ALL))),
      "status", Map.of("phase", ALL, "nominatedNodeName", ALL,
          "conditions", Map.of("type", ALL, "status", ALL, "reason", ALL)));

  /** The parts of a node the forwarder reads; not its image list, which alone can be tens of kilobytes. */
  static final Map<String, Object> NODE = Map.of(
      "apiVersion", ALL, "kind", ALL,
      "metadata", Map.of("name", ALL, "uid", ALL, "resourceVersion", ALL, "creationTimestamp", ALL,
          "deletionTimestamp", ALL, "labels", ALL, "annotations", ALL, "ownerReferences", ALL),
      "spec", Map.of("providerID", ALL, "taints", ALL, "unschedulable", ALL),
      // a condition's last transition, not its heartbeat: repair needs how long a node has not been Ready
      "status", Map.of("allocatable", ALL, "capacity", ALL, "conditions", Map.of("type", ALL, "status", ALL,
          "reason", ALL, "lastTransitionTime", ALL)));

  private final KubernetesSerialization serialization;
  private final Class<T> type;
  private final Map<String, Object> keep;
  private final Map<String, byte[]> items = new ConcurrentHashMap<>();

  CompactItemStore(KubernetesSerialization serialization, Class<T> type, Map<String, Object> keep) {
    this.serialization = serialization;
    this.type = type;
    this.keep = keep;
  }

  static CompactItemStore<Pod> pods(KubernetesSerialization serialization) {
    return new CompactItemStore<>(serialization, Pod.class, POD);
  }

  static CompactItemStore<Node> nodes(KubernetesSerialization serialization) {
    return new CompactItemStore<>(serialization, Node.class, NODE);
  }

  @Override
  public String getKey(T obj) {
    return Cache.metaNamespaceKeyFunc(obj);
  }

  @Override
  public T put(String key, T obj) {
    return restore(items.put(key, compact(obj)));
  }

  @Override
  public T remove(String key) {
    return restore(items.remove(key));
  }

  @Override
  public Stream<String> keySet() {
    return items.keySet().stream();
  }

  /** Each object's identity only: see the class comment. */
  @Override
  public Stream<T> values() {
    return items.keySet().stream().map(this::identity);
  }

  /**
   * False, so that fabric8 hands each object of a list to the handlers as it arrives, whole. For a store that says it
   * is whole, fabric8 holds the adds of a first list back and, once the list ends, reads every one of them from the
   * store at once: ten thousand pods rebuilt together.
   */
  @Override
  public boolean isFullState() {
    return false;
  }

  @Override
  public int size() {
    return items.size();
  }

  @Override
  public T get(String key) {
    return restore(items.get(key));
  }

  byte[] compact(T obj) {
    @SuppressWarnings("unchecked")
    Map<String, Object> tree = serialization.convertValue(obj, Map.class);
    return serialization.asJson(trim(tree, keep)).getBytes(StandardCharsets.UTF_8);
  }

  private T identity(String key) {
    int slash = key.indexOf('/');
    T obj;
    try {
      obj = type.getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(type + " has no public no-argument constructor", e);
    }
    obj.setMetadata(new ObjectMetaBuilder().withNamespace(slash < 0 ? null : key.substring(0, slash))
        .withName(key.substring(slash + 1)).build());
    return obj;
  }

  private T restore(byte[] json) {
    return json == null ? null : serialization.unmarshal(new String(json, StandardCharsets.UTF_8), type);
  }

  @SuppressWarnings("unchecked")
  private static Object trim(Object value, Map<String, Object> keep) {
    if (keep.isEmpty()) {
      return value;
    }
    if (value instanceof List<?> list) {
      List<Object> kept = new ArrayList<>(list.size());
      list.forEach(element -> kept.add(trim(element, keep)));
      return kept;
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> kept = new LinkedHashMap<>();
      map.forEach((k, v) -> {
        Object rule = keep.get(k);
        if (rule != null && v != null) {
          kept.put((String) k, trim(v, (Map<String, Object>) rule));
        }
      });
      return kept;
    }
    return value;
  }
}
