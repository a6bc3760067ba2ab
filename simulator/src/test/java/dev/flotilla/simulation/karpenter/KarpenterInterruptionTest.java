package dev.flotilla.simulation.karpenter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.InstanceType;
import dev.flotilla.catalog.Offering;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.cloud.InMemoryCloud;
import dev.flotilla.commands.Command;
import dev.flotilla.commands.InMemoryCommandQueue;
import dev.flotilla.contracts.InterruptionEvent;
import dev.flotilla.interruption.InterruptionService;
import dev.flotilla.model.CapacityType;
import dev.flotilla.provisioning.LaunchRecords;
import dev.flotilla.time.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Karpenter's handling of a spot warning: the node goes, and nothing is launched ahead of its pods' eviction. */
class KarpenterInterruptionTest {

  @Test
  void aSpotWarningDrainsTheNodeAndLaunchesNothingAhead() {
    Instant t0 = Instant.parse("2026-01-05T08:00:00Z");
    ManualClock clock = new ManualClock(t0);
    InMemoryClaimStore store = new InMemoryClaimStore(clock);
    InMemoryCommandQueue commands = new InMemoryCommandQueue(clock, Duration.ofMinutes(6));
    InstanceType type = SmallWorld.type("m9.xlarge", 4, 0.20);
    Claim node = SmallWorld.readyNode(store, "spot", type, CapacityType.SPOT, 0.06, "general", t0,
        List.of(SmallWorld.pod("web", 1000, 1)));
    KarpenterInterruption interruption = new KarpenterInterruption(store, commands,
        new LaunchRecords(store, new InMemoryCloud("test", SmallWorld.catalog(List.of(type), 0.3), store, clock),
            clock), clock);

    InterruptionService.Outcome outcome = interruption.handle(new InterruptionEvent.SpotInterruption("warning",
        node.instanceId(), t0.plusSeconds(120)));

    assertThat(outcome.handled()).singleElement().satisfies(h -> {
      assertThat(h.action()).isEqualTo("drain");
      assertThat(h.replacementClaims()).isEmpty();
    });
    assertThat(commands.receive(10, Duration.ZERO)).extracting(r -> Command.parse(r.body()))
        .extracting(Command::kind, Command::node).containsExactly(org.assertj.core.groups.Tuple.tuple(
            Command.Kind.Drain, "node-spot"));
    assertThat(store.claims()).singleElement().extracting(Claim::state).isEqualTo(ClaimState.Draining);
    assertThat(store.unavailable()).contains(new Offering.Key("m9.xlarge", SmallWorld.ZONE, CapacityType.SPOT));
  }
}
