package dev.flotilla.forwarder;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.flotilla.model.Taint;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.PodResource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code Nominate} command: points the pods planned onto a node that has just become Ready at it, then lifts the
 * node's startup taint ({@link Taint#INITIALIZING}).
 *
 * <p>Each pod still pending (not bound, not terminating, not nominated to another node the cluster has) gets {@code status.nominatedNodeName} (kube-scheduler tries
 * a pod's nominated node first, and counts the pods nominated to a node, of equal or higher priority, as using its
 * room when it places others) and a {@code Nominated} Event, as Karpenter records one. The status patch carries the
 * resource version read, so a pod bound meanwhile is read again and left alone. Only then is the taint lifted: while
 * it holds, kube-scheduler places nothing on the node, so no other pod takes the planned pods' room first.
 *
 * <p>The taint is lifted whatever became of the nominations, when they are done, when one fails, and when they take
 * longer than {@link #WINDOW}: a node is never held back. Only a taint that cannot be lifted fails the command, which
 * the queue then hands out again.
 */
final class Nominations {

  /** How long nominating may take before the taint is lifted anyway. */
  static final Duration WINDOW = Duration.ofSeconds(30);
  private static final Logger LOG = LoggerFactory.getLogger(Nominations.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int TAINT_ATTEMPTS = 3;

  /** What one nomination came to. */
  record Result(List<String> nominated, List<String> leftAlone, List<String> failed, boolean cutShort,
      boolean taintLifted) {}

  private final KubernetesClient client;
  private final PodEvents events;
  private final Duration window;
  private final Duration firstBackoff;
  private final ExecutorService work = Executors.newCachedThreadPool(
      r -> Thread.ofPlatform().name("nominate").daemon().unstarted(r));

  Nominations(KubernetesClient client, PodEvents events, Duration window, Duration firstBackoff) {
    this.client = client;
    this.events = events;
    this.window = window;
    this.firstBackoff = firstBackoff;
  }

  Result nominate(String node, String claimId, List<String> pods) {
    List<String> nominated = new CopyOnWriteArrayList<>();
    List<String> leftAlone = new CopyOnWriteArrayList<>();
    List<String> failed = new CopyOnWriteArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    Future<?> run = work.submit(() -> {
      for (String pod : pods) {
        if (stop.get() || Thread.currentThread().isInterrupted()) {
          return;
        }
        try {
          (nominateOne(node, claimId, pod) ? nominated : leftAlone).add(pod);
        } catch (KubernetesClientException e) {
          failed.add(pod);
          LOG.atWarn().setMessage("pod not nominated").addKeyValue("pod", pod).addKeyValue("node", node)
              .addKeyValue("code", e.getCode()).addKeyValue("error", e.getMessage()).log();
        }
      }
    });
    boolean cutShort = false;
    try {
      run.get(window.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      cutShort = true;
      LOG.atWarn().setMessage("nominating took too long; the node's startup taint is lifted anyway")
          .addKeyValue("node", node).addKeyValue("window", window).addKeyValue("nominated", nominated.size())
          .addKeyValue("pods", pods.size()).log();
    } catch (ExecutionException e) {
      cutShort = true;
      LOG.atWarn().setMessage("nominating failed; the node's startup taint is lifted anyway").addKeyValue("node", node)
          .addKeyValue("error", String.valueOf(e.getCause())).log();
    } catch (InterruptedException e) {
      // the executor is closing: lift the taint before giving up the command, as any other end of nominating
      cutShort = true;
      Thread.interrupted();
      stop.set(true);
      run.cancel(true);
      boolean lifted = liftTaint(node);
      Thread.currentThread().interrupt();
      return new Result(List.copyOf(nominated), List.copyOf(leftAlone), List.copyOf(failed), true, lifted);
    } finally {
      stop.set(true);
      run.cancel(true);
    }
    return new Result(List.copyOf(nominated), List.copyOf(leftAlone), List.copyOf(failed), cutShort,
        liftTaint(node));
  }

  /**
   * Nominates one pod; false when there is nothing to nominate (gone, bound, terminating) or when kube-scheduler
   * nominated it to another node itself (preempting pods there for it), which Flotilla does not overrule. A
   * nomination to a node the cluster no longer has holds nothing and is overruled. A pod with {@code
   * preemptionPolicy: Never} gets the Event only, and any nomination it carries is taken back: kube-scheduler clears a
   * nomination when the pod fits nowhere only for a pod that may preempt ({@code DefaultPreemption}'s eligibility
   * check comes first), so such a pod's would outlive a plan that did not hold, keeping its room on the node from the
   * pods of equal or lower priority and the pod itself waiting there.
   */
  private boolean nominateOne(String node, String claimId, String name) {
    int slash = name.indexOf('/');
    PodResource resource = client.pods().inNamespace(name.substring(0, slash)).withName(name.substring(slash + 1));
    for (int attempt = 1; ; attempt++) {
      Pod pod = resource.get();
      if (pod == null || pod.getMetadata().getDeletionTimestamp() != null || bound(pod)) {
        return false;
      }
      String already = pod.getStatus() == null || pod.getStatus().getNominatedNodeName() == null
          || pod.getStatus().getNominatedNodeName().isEmpty() ? null : pod.getStatus().getNominatedNodeName();
      // kube-scheduler never clears the nomination of a pod that may not preempt (nor makes one), so such a pod gets
      // none, and one it carries is taken back wherever it points
      boolean mayPreempt = PodFacts.mayPreempt(pod);
      if (mayPreempt && already != null && !already.equals(node) && client.nodes().withName(already).get() != null) {
        return false;
      }
      String target = mayPreempt ? node : null;
      if (!java.util.Objects.equals(target, already)) {
        ObjectNode patch = JSON.createObjectNode();
        patch.putObject("metadata").put("resourceVersion", pod.getMetadata().getResourceVersion());
        patch.putObject("status").put("nominatedNodeName", target);
        try {
          resource.subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
        } catch (KubernetesClientException e) {
          if (e.getCode() == 409 && attempt < 3) {
            continue; // changed since read: read again (a pod bound meanwhile is then left alone)
          }
          throw e;
        }
      }
      events.record(pod, "Normal", "Nominated", "Pod should schedule on: node/" + node
          + (claimId == null ? "" : " (claim " + claimId + ")"), node);
      return true;
    }
  }

  private static boolean bound(Pod pod) {
    return pod.getSpec() != null && pod.getSpec().getNodeName() != null && !pod.getSpec().getNodeName().isEmpty();
  }

  /**
   * Removes the startup taint; true if this call removed it. The JSON patch tests the taint at its index before
   * removing it, so a taint list changed meanwhile is read again rather than the wrong taint removed.
   */
  boolean liftTaint(String nodeName) {
    Duration backoff = firstBackoff;
    for (int attempt = 1; ; attempt++) {
      Node node = client.nodes().withName(nodeName).get();
      if (node == null || node.getSpec() == null || node.getSpec().getTaints() == null) {
        return false;
      }
      List<io.fabric8.kubernetes.api.model.Taint> taints = node.getSpec().getTaints();
      int at = -1;
      for (int i = 0; i < taints.size(); i++) {
        if (Taint.INITIALIZING.key().equals(taints.get(i).getKey())
            && Taint.INITIALIZING.effect().equals(taints.get(i).getEffect())) {
          at = i;
          break;
        }
      }
      if (at < 0) {
        return false;
      }
      ArrayNode patch = JSON.createArrayNode();
      try {
        patch.addObject().put("op", "test").put("path", "/spec/taints/" + at)
            .set("value", JSON.readTree(Serialization.asJson(taints.get(at))));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException("a taint did not serialise", e);
      }
      patch.addObject().put("op", "remove").put("path", "/spec/taints/" + at);
      try {
        client.nodes().withName(nodeName).patch(PatchContext.of(PatchType.JSON), patch.toString());
        return true;
      } catch (KubernetesClientException e) {
        boolean again = e.getCode() == 0 || e.getCode() == 409 || e.getCode() == 422 || e.getCode() == 429
            || e.getCode() >= 500;
        if (!again || attempt >= TAINT_ATTEMPTS) {
          throw e;
        }
        LOG.atInfo().setMessage("startup taint not lifted yet; trying again").addKeyValue("node", nodeName)
            .addKeyValue("code", e.getCode()).log();
        try {
          Thread.sleep(backoff.toMillis());
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
        backoff = backoff.multipliedBy(2);
      }
    }
  }

  void close() {
    work.shutdownNow();
  }
}
