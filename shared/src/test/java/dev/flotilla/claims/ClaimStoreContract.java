package dev.flotilla.claims;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.catalog.Offering;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.Resources;
import dev.flotilla.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** What every claim store does, in memory or in DynamoDB. */
public abstract class ClaimStoreContract {

  protected final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));

  protected abstract ClaimStore store();

  protected static Claim claim(String id, List<String> pods) {
    return Claim.launching(id, "default", List.of("m7g.large", "m7i.large"), List.of("us-east-1a", "us-east-1b"),
        CapacityType.ON_DEMAND, pods, Resources.of(500L * pods.size(), (1L << 30) * pods.size()), 0.0816,
        Instant.parse("2026-11-25T12:00:00Z"));
  }

  protected static List<String> pods(String prefix, int n) {
    return IntStream.range(0, n).mapToObj(i -> prefix + "-" + i).toList();
  }

  @Test
  void createWritesTheClaimAndReservesEveryPod() {
    ClaimStore.Creation created = store().create(claim("c1", List.of("shop/web-0", "shop/web-1")));

    assertThat(created).isInstanceOf(ClaimStore.Created.class);
    assertThat(store().claim("c1")).hasValueSatisfying(c -> {
      assertThat(c.state()).isEqualTo(ClaimState.Launching);
      assertThat(c.pods()).containsExactly("shop/web-0", "shop/web-1");
      assertThat(c.instanceTypes()).containsExactly("m7g.large", "m7i.large");
    });
    assertThat(store().reservations(List.of("shop/web-0", "shop/web-1", "shop/other")))
        .containsExactlyInAnyOrderEntriesOf(Map.of("shop/web-0", "c1", "shop/web-1", "c1"));
  }

  @Test
  void claimsAreReadTogetherByIdAndMissingOnesAreLeftOut() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 130; i++) {
      store().create(claim("many-" + i, List.of("shop/many-" + i)));
      ids.add("many-" + i);
    }
    ids.add("none");
    ids.add("many-7");

    Map<String, Claim> read = store().claims(ids);

    // more than one BatchGetItem's 100 keys, a duplicate and an id with no claim
    assertThat(read).hasSize(130).doesNotContainKey("none");
    assertThat(read.get("many-129").pods()).containsExactly("shop/many-129");
    assertThat(read.get("many-7")).isEqualTo(store().claim("many-7").orElseThrow());
    assertThat(store().claims(List.of())).isEmpty();
  }

  @Test
  void overlappingClaimConflictsNamesThePodsAndWritesNothing() {
    store().create(claim("c1", List.of("a", "b")));

    ClaimStore.Creation second = store().create(claim("c2", List.of("b", "c")));

    assertThat(second).isEqualTo(new ClaimStore.Conflict(java.util.Set.of("b")));
    assertThat(store().claim("c2")).isEmpty();
    assertThat(store().reservations(List.of("a", "b", "c"))).isEqualTo(Map.of("a", "c1", "b", "c1"));
  }

  @Test
  void theSameClaimTwiceIsAConflict() {
    store().create(claim("c1", List.of("a")));
    assertThat(store().create(claim("c1", List.of("z")))).isInstanceOf(ClaimStore.Conflict.class);
    assertThat(store().reservations(List.of("z"))).isEmpty();
  }

  @Test
  void aClaimLargerThanOneTransactionIsWrittenWholeOrNotAtAll() {
    List<String> many = pods("big", 250);
    assertThat(store().create(claim("big", many))).isInstanceOf(ClaimStore.Created.class);
    assertThat(store().reservations(many)).hasSize(250).containsValue("big");

    store().create(claim("blocker", List.of("late-240")));
    List<String> late = pods("late", 250);
    ClaimStore.Creation creation = store().create(claim("late", late));

    assertThat(creation).isEqualTo(new ClaimStore.Conflict(java.util.Set.of("late-240")));
    assertThat(store().claim("late")).isEmpty();
    assertThat(store().reservations(late)).isEqualTo(Map.of("late-240", "blocker"));
  }

  @Test
  void transitionsAreConditionalOnStateAndVersion() {
    Claim launching = ((ClaimStore.Created) store().create(claim("c1", List.of("a")))).claim();

    Claim launched = store().transition(launching,
        launching.launched("i-0abc", "m7g.large", "us-east-1b", CapacityType.ON_DEMAND, 0.0816, clock.instant()));

    assertThat(launched.state()).isEqualTo(ClaimState.Launched);
    assertThat(launched.version()).isEqualTo(launching.version() + 1);
    assertThat(store().claimByInstance("i-0abc")).hasValueSatisfying(c -> {
      assertThat(c.id()).isEqualTo("c1");
      assertThat(c.zone()).isEqualTo("us-east-1b");
      assertThat(c.version()).isEqualTo(launched.version());
    });
    assertThatThrownBy(() -> store().transition(launching, launching.moved(ClaimState.Terminated, clock.instant())))
        .isInstanceOf(ClaimStore.StaleClaimException.class);
    assertThatThrownBy(() -> store().transition(launched, launched.moved(ClaimState.Launching, clock.instant())))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot go from Launched to Launching");
  }

  @Test
  void aClaimKeepsThePodFactsItIsForThroughCreateAndExtend() {
    dev.flotilla.model.PendingPod web = dev.flotilla.model.PendingPod.builder("shop/web-0")
        .labels(Map.of("app", "web")).hostPorts(java.util.Set.of("TCP/8080")).requests(Resources.of(500, 1L << 30))
        .build();
    List<PodKind> kinds = PodKind.of(List.of(web, web.withName("shop/web-1")));
    Claim c = ((ClaimStore.Created) store().create(claim("k1", List.of("shop/web-0", "shop/web-1"))
        .withKinds(kinds))).claim();
    assertThat(store().claim("k1")).hasValueSatisfying(s -> assertThat(s.kinds()).isEqualTo(kinds)
        .singleElement().satisfies(k -> assertThat(k.count()).isEqualTo(2)));

    List<PodKind> more = PodKind.merge(kinds, PodKind.of(List.of(web.withName("shop/web-2"))));
    store().extend(c.withKinds(more), List.of("shop/web-2"), web.requests());

    assertThat(store().claim("k1")).hasValueSatisfying(s -> {
      assertThat(s.kinds()).singleElement().satisfies(k -> assertThat(k.count()).isEqualTo(3));
      assertThat(s.kinds().getFirst().pod().hostPorts()).containsExactly("TCP/8080");
      assertThat(s.pods()).containsExactly("shop/web-0", "shop/web-1", "shop/web-2");
    });
  }

  @Test
  void extendingAClaimReservesMorePodsAndAddsTheirLoad() {
    Claim c = ((ClaimStore.Created) store().create(claim("c1", List.of("a")))).claim();
    store().create(claim("c2", List.of("taken")));

    ClaimStore.Creation extended = store().extend(c, List.of("b", "c"), Resources.of(1000, 2L << 30));

    assertThat(extended).isInstanceOfSatisfying(ClaimStore.Created.class, e -> {
      assertThat(e.claim().pods()).containsExactly("a", "b", "c");
      assertThat(e.claim().load().cpuMillis()).isEqualTo(1500);
      assertThat(e.claim().version()).isEqualTo(c.version() + 1);
    });
    assertThat(store().claim("c1")).hasValueSatisfying(s -> assertThat(s.pods()).containsExactly("a", "b", "c"));
    assertThat(store().reservations(List.of("b", "c"))).containsOnly(Map.entry("b", "c1"), Map.entry("c", "c1"));

    Claim current = store().claim("c1").orElseThrow();
    assertThat(store().extend(current, List.of("d", "taken"), Resources.of(100, 1)))
        .isEqualTo(new ClaimStore.Conflict(java.util.Set.of("taken")));
    assertThat(store().reservations(List.of("d"))).isEmpty();
    assertThatThrownBy(() -> store().extend(c, List.of("e"), Resources.of(100, 1)))
        .isInstanceOf(ClaimStore.StaleClaimException.class);
  }

  @Test
  void terminatingReleasesTheReservations() {
    Claim c = ((ClaimStore.Created) store().create(claim("c1", List.of("a", "b")))).claim();

    store().transition(c, c.moved(ClaimState.Terminated, clock.instant()));

    assertThat(store().reservations(List.of("a", "b"))).isEmpty();
    assertThat(store().create(claim("c2", List.of("a", "b")))).isInstanceOf(ClaimStore.Created.class);
    assertThat(store().claims()).extracting(Claim::id).containsExactlyInAnyOrder("c1", "c2");
  }

  @Test
  void aTerminatedClaimIsKeptWithoutWhatItWasFor() {
    dev.flotilla.model.PendingPod web = dev.flotilla.model.PendingPod.builder("shop/web-0")
        .labels(Map.of("app", "web")).requests(Resources.of(500, 1L << 30)).build();
    List<String> many = pods("shop/web", 120);
    Claim c = ((ClaimStore.Created) store().create(claim("c1", many).replacing(List.of("old-1"))
        .withKinds(PodKind.of(many.stream().map(web::withName).toList())))).claim();
    Claim launched = store().transition(c, c.launched("i-0abc", "m7g.large", "us-east-1b", CapacityType.SPOT, 0.03,
        clock.instant()).withNode("ip-10-0-0-1.ec2.internal"));

    Claim moved = store().transition(launched, launched.moved(ClaimState.Terminated, clock.instant()));

    // the caller gets the claim as it moved it
    assertThat(moved.pods()).hasSize(120);
    assertThat(store().claim("c1")).hasValueSatisfying(k -> {
      assertThat(k.state()).isEqualTo(ClaimState.Terminated);
      assertThat(k.version()).isEqualTo(moved.version());
      assertThat(k.pods()).isEmpty();
      assertThat(k.kinds()).isEmpty();
      assertThat(k.load()).isEqualTo(Resources.NONE);
      assertThat(k.instanceTypes()).containsExactly("m7g.large");
      assertThat(k.instanceId()).isEqualTo("i-0abc");
      assertThat(k.nodeName()).isEqualTo("ip-10-0-0-1.ec2.internal");
      assertThat(k.replaces()).containsExactly("old-1");
      assertThat(k.nodePool()).isEqualTo("default");
    });
    assertThat(store().claims()).singleElement().isEqualTo(store().claim("c1").orElseThrow());
  }

  @Test
  void terminatingALargeClaimReleasesEveryPod() {
    List<String> many = pods("big", 250);
    Claim c = ((ClaimStore.Created) store().create(claim("big", many))).claim();

    store().transition(c, c.moved(ClaimState.Terminated, clock.instant()));

    assertThat(store().reservations(many)).isEmpty();
    assertThat(store().claim("big")).hasValueSatisfying(k -> assertThat(k.state()).isEqualTo(ClaimState.Terminated));
  }

  @Test
  void terminatingLeavesAPodAnotherClaimReservedSince() {
    Claim c = ((ClaimStore.Created) store().create(claim("c1", List.of("a", "b")))).claim();
    clock.advance(ClaimStore.RESERVATION_TTL.plusSeconds(1));
    store().create(claim("c2", List.of("b")));

    store().transition(c, c.moved(ClaimState.Terminated, clock.instant()));

    assertThat(store().reservations(List.of("a", "b"))).isEqualTo(Map.of("b", "c2"));
    assertThat(store().claim("c1")).hasValueSatisfying(k -> assertThat(k.state()).isEqualTo(ClaimState.Terminated));
  }

  @Test
  void releasingFreesTheReservationsAndKeepsTheClaim() {
    Claim c = ((ClaimStore.Created) store().create(claim("c1", List.of("a", "b")))).claim();
    store().create(claim("other", List.of("z")));

    store().release(c);
    store().release(c);

    assertThat(store().reservations(List.of("a", "b", "z"))).containsExactly(java.util.Map.entry("z", "other"));
    assertThat(store().claim("c1")).hasValueSatisfying(k -> assertThat(k.state()).isEqualTo(c.state()));
    assertThat(store().create(claim("c2", List.of("a")))).isInstanceOf(ClaimStore.Created.class);
  }

  @Test
  void releasingSomePodsKeepsTheClaimsOtherReservations() {
    Claim c = ((ClaimStore.Created) store().create(claim("c1", List.of("a", "b", "c")))).claim();
    store().create(claim("other", List.of("z")));

    store().release(c, List.of("a", "z"));
    store().release(c, List.of("a", "z"));

    assertThat(store().reservations(List.of("a", "b", "c", "z")))
        .isEqualTo(Map.of("b", "c1", "c", "c1", "z", "other"));
  }

  @Test
  void anExpiredReservationDoesNotHoldItsPod() {
    store().create(claim("old", List.of("db/pg-0", "db/pg-1")));
    ClaimStore.Creation early = store().create(claim("early", List.of("db/pg-0", "web-0")));
    assertThat(early).isEqualTo(new ClaimStore.Conflict(java.util.Set.of("db/pg-0")));

    clock.advance(ClaimStore.RESERVATION_TTL.plusSeconds(1));

    assertThat(store().reservations(List.of("db/pg-0", "db/pg-1"))).isEmpty();
    // a StatefulSet's pod comes back under the same name, packed with others: all of them are reserved again
    assertThat(store().create(claim("again", List.of("db/pg-0", "web-0")))).isInstanceOf(ClaimStore.Created.class);
    assertThat(store().reservations(List.of("db/pg-0", "web-0")))
        .isEqualTo(Map.of("db/pg-0", "again", "web-0", "again"));
    Claim in = store().claim("again").orElseThrow();
    assertThat(store().extend(in, List.of("db/pg-1"), Resources.of(100, 1)))
        .isInstanceOf(ClaimStore.Created.class);
    assertThat(store().reservations(List.of("db/pg-1"))).isEqualTo(Map.of("db/pg-1", "again"));
  }

  @Test
  void aReservationHoldsItsPodUntilItExpires() {
    store().create(claim("c1", List.of("a")));

    clock.advance(ClaimStore.RESERVATION_TTL.minusSeconds(1));

    assertThat(store().reservations(List.of("a"))).isEqualTo(Map.of("a", "c1"));
    assertThat(store().create(claim("c2", List.of("a")))).isEqualTo(new ClaimStore.Conflict(java.util.Set.of("a")));
  }

  @Test
  void unavailableOfferingsExpire() {
    Offering.Key key = new Offering.Key("m7g.large", "us-east-1a", CapacityType.SPOT);
    store().markUnavailable(key, "InsufficientInstanceCapacity", Duration.ofMinutes(3));
    assertThat(store().unavailable()).containsExactly(key);

    clock.advance(Duration.ofMinutes(3).plusSeconds(1));
    assertThat(store().unavailable()).isEmpty();
  }

  @Test
  void aLeaseIsHeldByOneHolderUntilItEndsIt() {
    var first = store().tryLease("consolidation", Duration.ofMinutes(1));
    assertThat(first).isPresent();
    assertThat(store().tryLease("consolidation", Duration.ofMinutes(1))).isEmpty();
    assertThat(store().tryLease("garbage-collection", Duration.ofMinutes(1))).isPresent();

    store().endLease(first.get());

    var second = store().tryLease("consolidation", Duration.ofMinutes(1));
    assertThat(second).isPresent();
    assertThat(second.get().holder()).isNotEqualTo(first.get().holder());
    // the first holder ending its lease again leaves the second's alone
    store().endLease(first.get());
    assertThat(store().tryLease("consolidation", Duration.ofMinutes(1))).isEmpty();
  }

  @Test
  void aLeaseNoOneEndedExpiresOnItsOwn() {
    var abandoned = store().tryLease("garbage-collection", Duration.ofMinutes(2));
    assertThat(abandoned).isPresent();

    clock.advance(Duration.ofMinutes(1));
    assertThat(store().tryLease("garbage-collection", Duration.ofMinutes(2))).isEmpty();

    clock.advance(Duration.ofMinutes(1).plusSeconds(1));
    var next = store().tryLease("garbage-collection", Duration.ofMinutes(2));
    assertThat(next).isPresent();
    store().endLease(abandoned.get());
    assertThat(store().tryLease("garbage-collection", Duration.ofMinutes(2))).isEmpty();
  }

  @Test
  void nodeStatesAreMirrored() {
    store().putNodeState("ip-10-0-1-5", "{\"pods\":1}");
    store().putNodeState("ip-10-0-1-5", "{\"pods\":1}");
    store().putNodeState("ip-10-0-1-6", "{\"pods\":2}");
    assertThat(store().nodeStates()).containsExactlyEntriesOf(
        new java.util.TreeMap<>(Map.of("ip-10-0-1-5", "{\"pods\":1}", "ip-10-0-1-6", "{\"pods\":2}")));

    store().deleteNodeState("ip-10-0-1-5");
    assertThat(store().nodeStates()).containsOnlyKeys("ip-10-0-1-6");
  }

  @Test
  void theDaemonSetsDocumentIsMirroredBesideTheNodesAndIsNotOne() {
    assertThat(store().daemonSets()).isEmpty();
    store().putNodeState("ip-10-0-1-5", "{\"pods\":1}");

    store().putDaemonSets("[{\"name\":\"kube-system/aws-node\"}]");
    store().putDaemonSets("[{\"name\":\"kube-system/aws-node\"}]");
    assertThat(store().daemonSets()).contains("[{\"name\":\"kube-system/aws-node\"}]");

    store().putDaemonSets("[]");
    assertThat(store().daemonSets()).contains("[]");
    assertThat(store().nodeStates()).containsOnlyKeys("ip-10-0-1-5");
  }

  @Test
  void thePendingPodsDocumentIsMirroredBesideTheNodesApartFromTheDaemonSets() {
    assertThat(store().pendingPods()).isEmpty();
    store().putNodeState("ip-10-0-1-5", "{\"pods\":1}");
    store().putDaemonSets("[]");

    store().putPendingPods("{\"kinds\":[1]}");
    store().putPendingPods("{\"kinds\":[1]}");
    assertThat(store().pendingPods()).contains("{\"kinds\":[1]}");

    store().putPendingPods("{\"kinds\":[]}");
    assertThat(store().pendingPods()).contains("{\"kinds\":[]}");
    assertThat(store().daemonSets()).contains("[]");
    assertThat(store().nodeStates()).containsOnlyKeys("ip-10-0-1-5");
  }

  @Test
  void racingClaimsOverOverlappingPodsReserveEachPodExactlyOnce() throws Exception {
    int threads = 8;
    List<String> pool = pods("race", 40);
    ExecutorService executor = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<ClaimStore.Creation>> results = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        // each thread claims a window of 16 pods; neighbouring windows overlap by 12
        List<String> window = pool.subList(t * 3, t * 3 + 16);
        String id = "racer-" + t;
        results.add(executor.submit(() -> {
          start.await();
          return store().create(claim(id, window));
        }));
      }
      start.countDown();
      List<Claim> winners = new ArrayList<>();
      for (Future<ClaimStore.Creation> f : results) {
        if (f.get() instanceof ClaimStore.Created created) {
          winners.add(created.claim());
        }
      }
      assertThat(winners).isNotEmpty();
      Map<String, String> owner = new HashMap<>();
      for (Claim w : winners) {
        for (String pod : w.pods()) {
          assertThat(owner.put(pod, w.id())).as("pod %s reserved twice", pod).isNull();
        }
      }
      assertThat(store().reservations(pool)).isEqualTo(owner);
      assertThat(Collections.frequency(store().claims().stream().map(Claim::id).toList(), "racer-0"))
          .isLessThanOrEqualTo(1);
    } finally {
      executor.shutdownNow();
    }
  }
}
