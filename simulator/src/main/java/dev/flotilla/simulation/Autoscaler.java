package dev.flotilla.simulation;

import dev.flotilla.catalog.OfferingSource;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.cloud.CloudProvider;
import dev.flotilla.commands.CommandQueue;
import dev.flotilla.contracts.InterruptionEvent;
import dev.flotilla.disruption.ConsolidationService;
import dev.flotilla.functions.FlotillaServices;
import dev.flotilla.functions.FunctionConfig;
import dev.flotilla.interruption.InterruptionService;
import dev.flotilla.lifecycle.GarbageCollector;
import dev.flotilla.lifecycle.Lifecycle;
import dev.flotilla.model.PendingPod;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.provisioning.Provisioner;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * The decisions a run is made with, behind the ports of the simulated world: which nodes to launch for pending pods,
 * which to remove or replace, what to do on an interruption. Flotilla's own services are the default; another
 * autoscaler's decisions can be put in their place, so that a comparison differs in the decisions and nothing else.
 * Node lifecycle and garbage collection keep claims and instances in step and are the same for every autoscaler.
 */
public interface Autoscaler {

  /** The simulated world's ports and the cluster's configuration, as the functions' composition root gets them. */
  record Ports(FunctionConfig config, ClaimStore store, CloudProvider cloud, OfferingSource offerings,
      CommandQueue commands, Clock clock, Supplier<String> claimIds, Supplier<List<PendingPod>> daemonSets,
      dev.flotilla.cloud.NodeImages images, dev.flotilla.nodepool.NodePoolStore nodePools,
      List<NodePool> pools, ClusterNodes cluster) {
  }

  /**
   * The cluster's nodes as a controller with its own access to the API server changes them: Karpenter taints the
   * nodes it disrupts itself, where Flotilla's functions send commands to the forwarder.
   */
  interface ClusterNodes {
    /** Puts {@code taint} on the node, or takes it off; a node the cluster no longer has is left alone. */
    void taint(String node, dev.flotilla.model.Taint taint, boolean on);
  }

  /** Builds an autoscaler over a run's ports. */
  interface Factory {
    String name();

    Autoscaler build(Ports ports);
  }

  Provisioner.Decision provision(String eventId, List<PendingPod> pending);

  /**
   * One pass of the scheduled disruption (consolidation) loop, or its first half when its command waits to be
   * checked again ({@link ConsolidationService#VALIDATION_DELAY} later, by {@link #finishDisruption}).
   */
  ConsolidationService.Begun disrupt(String eventId);

  /** The second half of a pass whose command waited. */
  default ConsolidationService.Pass finishDisruption(ConsolidationService.Begun begun) {
    return begun.pass();
  }

  InterruptionService.Outcome interruption(InterruptionEvent event);

  Lifecycle lifecycle();

  GarbageCollector collector();

  /** How often {@link #disrupt} runs. */
  Duration disruptionEvery();

  /** Flotilla's services, as the functions' composition root builds them. */
  static Factory flotilla() {
    return new Factory() {
      @Override
      public String name() {
        return "flotilla";
      }

      @Override
      public Autoscaler build(Ports ports) {
        // Lambda runs a decision's independent claim writes, launches and records side by side; here they run one
        // after another on the invocation's own thread, in the order Lambda's would be applied, because the
        // interleaving of concurrent invocations hands over at each port call of that thread. The code is the same
        // and each of those calls stands alone (its own claim, its own client token), so what a concurrent run can
        // leave behind when it dies is, claim by claim, what a sequential run cut short leaves
        FlotillaServices services = new FlotillaServices(ports.config(), ports.store(),
            ports.nodePools(), ports.cloud(), ports.offerings(), ports.commands(),
            ports.clock(), ports.claimIds(), dev.flotilla.provisioning.Fanout.SEQUENTIAL, ports.images());
        return new Autoscaler() {
          @Override
          public Provisioner.Decision provision(String eventId, List<PendingPod> pending) {
            return services.provisioner().provision(eventId, pending);
          }

          @Override
          public ConsolidationService.Begun disrupt(String eventId) {
            return services.consolidation().begin(eventId);
          }

          @Override
          public ConsolidationService.Pass finishDisruption(ConsolidationService.Begun begun) {
            return services.consolidation().finish(begun);
          }

          @Override
          public InterruptionService.Outcome interruption(InterruptionEvent event) {
            return services.interruption().handle(event);
          }

          @Override
          public Lifecycle lifecycle() {
            return services.lifecycle();
          }

          @Override
          public GarbageCollector collector() {
            return services.collector();
          }

          @Override
          public Duration disruptionEvery() {
            return Simulation.CONSOLIDATION_EVERY;
          }
        };
      }
    };
  }
}
