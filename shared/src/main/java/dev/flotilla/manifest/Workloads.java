package dev.flotilla.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flotilla.model.PendingPod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The pods that Kubernetes workloads ask for, read from manifests: Deployment, StatefulSet, ReplicaSet, Job, Pod;
 * and the DaemonSets whose pods will take room on every node they match. Pods of a workload are named
 * {@code <namespace>/<name>-<index>}; a bare Pod is {@code <namespace>/<name>}.
 */
public record Workloads(List<PendingPod> pods, List<PendingPod> daemonSets) {

  public Workloads {
    pods = List.copyOf(pods);
    daemonSets = List.copyOf(daemonSets);
  }

  public static Workloads read(List<Manifest> manifests) {
    List<PendingPod> pods = new ArrayList<>();
    List<PendingPod> daemonSets = new ArrayList<>();
    for (Manifest m : manifests) {
      switch (m.kind()) {
        case "Deployment", "StatefulSet", "ReplicaSet" -> pods.addAll(replicas(m, m.node().path("spec").path("replicas").asInt(1)));
        case "Job" -> pods.addAll(replicas(m, m.node().path("spec").path("parallelism").asInt(1)));
        case "Pod" -> {
          JsonNode node = m.node();
          PodSpecReader reader = new PodSpecReader(m.describe());
          if (!node.path("spec").path("nodeName").asText("").isEmpty()) {
            continue;
          }
          pods.add(reader.pod(m.namespace() + "/" + m.name(), m.namespace(),
              reader.stringMap(node.path("metadata").path("labels"), "metadata.labels"),
              reader.stringMap(node.path("metadata").path("annotations"), "metadata.annotations"),
              node.path("spec"), "spec", ""));
        }
        case "DaemonSet" -> daemonSets.add(template(m, m.namespace() + "/" + m.name(), "DaemonSet"));
        default -> { }
      }
    }
    return new Workloads(pods, daemonSets);
  }

  /** The pods of one workload with {@code count} replicas, all alike but for their names. */
  public static List<PendingPod> replicas(Manifest m, int count) {
    if (count < 0) {
      throw m.error("spec.replicas", "must not be negative");
    }
    if (count == 0) {
      return List.of();
    }
    PendingPod first = template(m, m.namespace() + "/" + m.name() + "-0", m.kind().equals("Deployment") ? "ReplicaSet" : m.kind());
    List<PendingPod> pods = new ArrayList<>(count);
    pods.add(first);
    for (int i = 1; i < count; i++) {
      pods.add(first.withName(m.namespace() + "/" + m.name() + "-" + i));
    }
    return pods;
  }

  private static PendingPod template(Manifest m, String name, String ownerKind) {
    JsonNode template = m.node().path("spec").path("template");
    if (!template.path("spec").path("containers").isArray()) {
      throw m.error("spec.template.spec.containers", "is required");
    }
    PodSpecReader reader = new PodSpecReader(m.describe());
    Map<String, String> labels = reader.stringMap(template.path("metadata").path("labels"), "spec.template.metadata.labels");
    Map<String, String> annotations =
        reader.stringMap(template.path("metadata").path("annotations"), "spec.template.metadata.annotations");
    return reader.pod(name, m.namespace(), labels, annotations, template.path("spec"), "spec.template.spec", ownerKind);
  }
}
