package dev.flotilla.simulation.karpenter;

import dev.flotilla.contracts.InterruptionEvent;
import dev.flotilla.disruption.ConsolidationService;
import dev.flotilla.functions.FlotillaServices;
import dev.flotilla.interruption.InterruptionService;
import dev.flotilla.lifecycle.GarbageCollector;
import dev.flotilla.lifecycle.Lifecycle;
import dev.flotilla.model.PendingPod;
import dev.flotilla.provisioning.LaunchRecords;
import dev.flotilla.provisioning.Provisioner;
import dev.flotilla.simulation.Autoscaler;
import java.time.Duration;
import java.util.List;

/**
 * Karpenter v1's decisions behind the simulator's ports: its provisioning, disruption and interruption handling in
 * place of Flotilla's, over the same claim store, EC2 and command queue, so that a run differs from Flotilla's in the
 * decisions only. Claims stand for NodeClaims; node lifecycle (registration, initialization, launch timeout) and
 * garbage collection are the shared bookkeeping both autoscalers have.
 */
public final class KarpenterAutoscaler implements Autoscaler {

  private final KarpenterProvisioner provisioner;
  private final KarpenterDisruption disruption;
  private final KarpenterInterruption interruption;
  private final Lifecycle lifecycle;
  private final GarbageCollector collector;

  private KarpenterAutoscaler(Ports ports) {
    FlotillaServices shared = new FlotillaServices(ports.config(), ports.store(), ports.cloud(), ports.offerings(),
        ports.commands(), ports.clock(), ports.claimIds());
    ClaimLauncher launcher = new ClaimLauncher(ports.store(), ports.cloud(), ports.clock(), ports.claimIds());
    this.provisioner = new KarpenterProvisioner(ports.store(), ports.offerings(), ports::pools, ports.daemonSets(),
        ports.clock(), launcher);
    this.disruption = new KarpenterDisruption(ports.store(), ports.commands(), ports.offerings(), ports::pools,
        ports.daemonSets(), ports.clock(), launcher, ports.cluster());
    this.interruption = new KarpenterInterruption(ports.store(), ports.commands(),
        new LaunchRecords(ports.store(), ports.cloud(), ports.clock()), ports.clock());
    this.lifecycle = shared.lifecycle();
    this.collector = shared.collector();
  }

  /** The factory a run is given. */
  public static Factory factory() {
    return new Factory() {
      @Override
      public String name() {
        return "karpenter";
      }

      @Override
      public Autoscaler build(Ports ports) {
        return new KarpenterAutoscaler(ports);
      }
    };
  }

  @Override
  public Provisioner.Decision provision(String eventId, List<PendingPod> pending) {
    return provisioner.provision(eventId, pending);
  }

  @Override
  public ConsolidationService.Begun disrupt(String eventId) {
    return ConsolidationService.Begun.done(disruption.run(eventId));
  }

  @Override
  public InterruptionService.Outcome interruption(InterruptionEvent event) {
    return interruption.handle(event);
  }

  @Override
  public Lifecycle lifecycle() {
    return lifecycle;
  }

  @Override
  public GarbageCollector collector() {
    return collector;
  }

  @Override
  public Duration disruptionEvery() {
    return KarpenterDisruption.PASS_EVERY;
  }
}
