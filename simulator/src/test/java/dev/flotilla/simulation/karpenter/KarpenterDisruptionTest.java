package dev.flotilla.simulation.karpenter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.InstanceType;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.commands.Command;
import dev.flotilla.commands.CommandQueue;
import dev.flotilla.commands.InMemoryCommandQueue;
import dev.flotilla.disruption.ConsolidationService;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.scheduling.InstanceTypeOption;
import dev.flotilla.time.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Karpenter's consolidation rules on hand-worked cases: the 15-type spot rule and the 15 s validation. */
class KarpenterDisruptionTest {

  private static final Instant T0 = Instant.parse("2026-01-05T08:00:00Z");
  /** 8 vCPU, $1.00 on-demand, $0.30 spot: the node to consolidate. */
  private static final InstanceType BIG = SmallWorld.type("r9.2xlarge", 8, 1.00);

  /** The big type and {@code n} 2-vCPU types, each cheaper than it on-demand and spot. */
  private static OfferingCatalog catalog(int cheaperTypes) {
    List<InstanceType> types = new ArrayList<>(List.of(BIG));
    IntStream.range(0, cheaperTypes).forEach(i -> types.add(SmallWorld.type("c" + (10 + i) + ".large", 2,
        0.10 + 0.01 * i)));
    return SmallWorld.catalog(types, 0.3);
  }

  /** A single node of the big type running one 1-CPU pod, bought as {@code capacityType}. */
  private static Optional<DisruptionCommand> consolidate(int cheaperTypes, CapacityType capacityType) {
    ManualClock clock = new ManualClock(T0);
    InMemoryClaimStore store = new InMemoryClaimStore(clock);
    OfferingCatalog catalog = catalog(cheaperTypes);
    NodePool pool = SmallWorld.pool("general", 0, capacityType.label());
    double price = catalog.price(BIG.name(), SmallWorld.ZONE, capacityType);
    Claim node = SmallWorld.readyNode(store, "big", BIG, capacityType, price, "general", T0,
        List.of(SmallWorld.pod("web", 1000, 1)));
    Consolidation.Snapshot snapshot = new Consolidation.Snapshot(store.claims(),
        ClusterView.parse(store.nodeStates()), List.of(pool),
        catalog, List.of(), T0);
    DisruptionCandidate candidate = new DisruptionCandidate(node, SmallWorld.state(node, BIG,
        List.of(SmallWorld.pod("web", 1000, 1))), pool);
    return new Consolidation().singleNode(snapshot, List.of(candidate));
  }

  @Test
  void aSpotNodeIsNotReplacedWithFewerThanFifteenCheaperSpotTypes() {
    assertThat(consolidate(14, CapacityType.SPOT)).isEmpty();
  }

  @Test
  void aSpotNodeIsReplacedByTheFifteenCheapestOfFifteenOrMoreCheaperTypes() {
    Optional<DisruptionCommand> cmd = consolidate(20, CapacityType.SPOT);

    assertThat(cmd).isPresent();
    assertThat(cmd.get().replacement().capacityType()).isEqualTo(CapacityType.SPOT);
    assertThat(cmd.get().replacement().instanceTypes()).hasSize(Consolidation.SPOT_TO_SPOT_MIN_TYPES)
        .extracting(InstanceTypeOption::name).startsWith("c10.large").endsWith("c24.large");
  }

  @Test
  void anOnDemandNodeIsReplacedByOneCheaperType() {
    Optional<DisruptionCommand> cmd = consolidate(1, CapacityType.ON_DEMAND);

    assertThat(cmd).isPresent();
    assertThat(cmd.get().replacement().instanceTypes()).extracting(InstanceTypeOption::name)
        .containsExactly("c10.large");
    assertThat(cmd.get().replacement().pricePerHour()).isLessThan(1.00);
  }

  /** A disruption loop over one empty ready node, its pass run every {@code step}. */
  private static final class Loop {
    final ManualClock clock = new ManualClock(T0);
    final InMemoryClaimStore store = new InMemoryClaimStore(clock);
    final CommandQueue commands = new InMemoryCommandQueue(clock, Duration.ofMinutes(6));
    final OfferingCatalog catalog = catalog(3);
    final Claim node;
    final dev.flotilla.cloud.InMemoryCloud cloud = new dev.flotilla.cloud.InMemoryCloud("test", catalog, store, clock);
    /** The taints the model put on each node, as the cluster's API server would hold them. */
    final java.util.Map<String, List<dev.flotilla.model.Taint>> taints = new java.util.HashMap<>();
    final KarpenterDisruption disruption;
    private int replacements;

    Loop() {
      this(List.of());
    }

    /** The node, of the big type, running {@code pods}. */
    Loop(List<PendingPod> pods) {
      node = SmallWorld.readyNode(store, pods.isEmpty() ? "empty" : "busy", BIG, CapacityType.ON_DEMAND, 1.00,
          "general", T0.minus(Duration.ofMinutes(10)), pods);
      disruption = new KarpenterDisruption(store, commands, () -> catalog,
          () -> List.of(SmallWorld.pool("general", 0, "on-demand")), List::of, clock,
          new ClaimLauncher(store, cloud, clock, () -> "replacement-" + (++replacements)), (name, taint, on) -> {
            List<dev.flotilla.model.Taint> held = taints.computeIfAbsent(name, k -> new ArrayList<>());
            held.removeIf(taint::sameAs);
            if (on) {
              held.add(taint);
            }
          });
    }

    ConsolidationService.Pass passAfter(Duration step) {
      clock.advance(step);
      return disruption.run("pass");
    }

    List<Command> drains() {
      return commands.receive(10, Duration.ZERO).stream().map(r -> Command.parse(r.body()))
          .filter(c -> c.kind() == Command.Kind.Drain).toList();
    }
  }

  @Test
  void aCommandIsCarriedOutOnlyOnceItStillHoldsFifteenSecondsLater() {
    Loop loop = new Loop();

    ConsolidationService.Pass found = loop.passAfter(Duration.ZERO);
    assertThat(found.started()).isFalse();
    assertThat(found.plan().claimIds()).containsExactly(loop.node.id());
    assertThat(loop.passAfter(Duration.ofSeconds(14)).started()).isFalse();
    assertThat(loop.drains()).isEmpty();

    ConsolidationService.Pass validated = loop.passAfter(Duration.ofSeconds(1));

    assertThat(validated.started()).isTrue();
    assertThat(loop.drains()).extracting(Command::node).containsExactly("node-empty");
  }

  @Test
  void aReplacesCandidateIsTaintedFromItsReplacementsLaunchAndUntaintedWhenTheReplacementFails() {
    Loop loop = new Loop(List.of(SmallWorld.pod("web", 1000, 1)));
    assertThat(loop.passAfter(Duration.ZERO).plan().claimIds()).containsExactly(loop.node.id());
    assertThat(loop.taints.getOrDefault("node-busy", List.of())).isEmpty();

    ConsolidationService.Pass started = loop.passAfter(Duration.ofSeconds(15));

    assertThat(started.started()).as(started.outcome()).isTrue();
    assertThat(started.replacementClaims()).hasSize(1);
    assertThat(loop.taints.get("node-busy")).containsExactly(KarpenterDisruption.DISRUPTED);
    // the replacement never joins: its NodeClaim is deleted, and the node stays, open to pods again
    Claim replacement = loop.store.claim(started.replacementClaims().getFirst()).orElseThrow();
    loop.store.transition(replacement, replacement.moved(dev.flotilla.claims.ClaimState.Terminated,
        loop.clock.instant()));

    loop.passAfter(Duration.ofSeconds(15));

    assertThat(loop.taints.get("node-busy")).isEmpty();
    assertThat(loop.drains()).isEmpty();
  }

  @Test
  void aNodeReplacedAgainAfterAFailedReplacementDrainsOnceTheNewOneIsReady() {
    Loop loop = new Loop(List.of(SmallWorld.pod("web", 1000, 1)));
    loop.passAfter(Duration.ZERO);
    Claim failed = loop.store.claim(loop.passAfter(Duration.ofSeconds(15)).replacementClaims().getFirst())
        .orElseThrow();
    loop.store.transition(failed, failed.moved(dev.flotilla.claims.ClaimState.Terminated, loop.clock.instant()));
    // the failed NodeClaim is kept, still naming the node; the node is found again and replaced again
    assertThat(loop.passAfter(Duration.ofSeconds(15)).plan().claimIds()).containsExactly(loop.node.id());
    ConsolidationService.Pass again = loop.passAfter(Duration.ofSeconds(15));
    assertThat(again.started()).as(again.outcome()).isTrue();
    assertThat(loop.taints.get("node-busy")).containsExactly(KarpenterDisruption.DISRUPTED);
    Claim second = loop.store.claim(again.replacementClaims().getFirst()).orElseThrow();
    loop.store.transition(second, second.withNode("node-second").moved(dev.flotilla.claims.ClaimState.Initialized,
        loop.clock.instant()));

    loop.passAfter(Duration.ofSeconds(15));

    assertThat(loop.drains()).extracting(Command::node).containsExactly("node-busy");
  }

  @Test
  void aReplaceWhoseLaunchFailsLeavesItsCandidateUntainted() {
    Loop loop = new Loop(List.of(SmallWorld.pod("web", 1000, 1)));
    assertThat(loop.passAfter(Duration.ZERO).plan().claimIds()).containsExactly(loop.node.id());
    loop.catalog.types().forEach(t -> loop.catalog.offerings(t).forEach(o -> loop.cloud.exhaust(o.key())));

    ConsolidationService.Pass validated = loop.passAfter(Duration.ofSeconds(15));

    assertThat(validated.started()).as(validated.outcome()).isFalse();
    assertThat(validated.outcome()).contains("not launched");
    assertThat(loop.taints.get("node-busy")).isEmpty();
  }

  @Test
  void aCommandTheClusterOutgrewInTheFifteenSecondsIsAbandoned() {
    Loop loop = new Loop();
    assertThat(loop.passAfter(Duration.ZERO).plan().claimIds()).containsExactly(loop.node.id());
    // a pod lands on the empty node meanwhile
    PendingPod arrived = SmallWorld.pod("late", 500, 1);
    loop.store.putNodeState("node-empty", SmallWorld.state(loop.node, BIG, List.of(arrived)).toJson());

    ConsolidationService.Pass validated = loop.passAfter(Duration.ofSeconds(15));

    assertThat(validated.started()).isFalse();
    assertThat(validated.outcome()).contains("abandoned");
    assertThat(loop.drains()).isEmpty();
  }
}
