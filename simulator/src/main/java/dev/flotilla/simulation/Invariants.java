package dev.flotilla.simulation;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What must hold however AWS runs the functions, each checked by name as the run goes, the first moment it breaks
 * reported with what broke it (once per subject, so one stuck pod is one line, not one a tick).
 */
public final class Invariants {

  /** One broken invariant: which, when (seconds from the start), and what broke it. */
  @JsonPropertyOrder({"invariant", "at", "detail"})
  public record Violation(String invariant, long at, String detail) {}

  static final String ONE_RESERVATION = "a-one-reservation-per-pod";
  static final String ONE_CLAIM_PER_INSTANCE = "b-one-live-claim-per-instance";
  static final String DRAINED_BEFORE_TERMINATED = "c-drained-before-terminated";
  static final String NOTHING_FOREIGN = "d-nothing-foreign-touched";
  static final String SPOT_DRAIN_IN_TIME = "e-spot-drain-within-10s";
  static final String CONSOLIDATION_AS_VALIDATED = "f-consolidation-as-validated";
  static final String PODS_RUN = "g-pods-run-after-faults";
  static final String CLAIMS_SETTLE = "h-claims-settle-within-20m";
  static final String POOL_LIMITS = "i-pool-limits-hold";

  /** How long an instance no live claim owns may run: the collector's grace and two of its passes. */
  static final Duration ORPHAN_LIMIT = Duration.ofMinutes(6);
  static final Duration SPOT_DRAIN_LIMIT = Duration.ofSeconds(10);
  static final Duration CLAIM_SETTLE_LIMIT = Duration.ofMinutes(20);
  private static final Set<ClaimState> IN_FLIGHT = Set.of(ClaimState.Launching, ClaimState.Launched,
      ClaimState.Registered);
  private static final Set<ClaimState> TRANSITIONAL = Set.of(ClaimState.Launching, ClaimState.Launched,
      ClaimState.Registered, ClaimState.Draining);

  private final Instant start;
  private final List<Violation> violations = new ArrayList<>();
  private final Set<String> reported = new HashSet<>();
  private final Map<String, Instant> orphanSince = new HashMap<>();
  private final Set<String> countedInstances = new HashSet<>();

  Invariants(Instant start) {
    this.start = start;
  }

  List<Violation> violations() {
    return List.copyOf(violations);
  }

  void broken(String invariant, Instant at, String subject, String detail) {
    if (reported.add(invariant + " " + subject)) {
      violations.add(new Violation(invariant, Duration.between(start, at).toSeconds(), detail));
    }
  }

  /** (a) No pod is reserved by two claims in flight. */
  void oneReservationPerPod(List<Claim> claims, Instant now) {
    Map<String, String> holder = new HashMap<>();
    for (Claim c : claims) {
      if (IN_FLIGHT.contains(c.state())) {
        for (String pod : c.pods()) {
          String other = holder.putIfAbsent(pod, c.id());
          if (other != null) {
            broken(ONE_RESERVATION, now, pod, "pod " + pod + " is reserved by claims " + other + " and " + c.id());
          }
        }
      }
    }
  }

  /**
   * (b) Every running Flotilla instance belongs to exactly one live claim, or is terminated within the garbage
   * collector's grace (and its passes).
   */
  void oneLiveClaimPerInstance(List<String> runningOwned, List<Claim> claims, Instant now) {
    Map<String, List<String>> owners = new HashMap<>();
    for (Claim c : claims) {
      if (c.state().live() && c.instanceId() != null) {
        owners.computeIfAbsent(c.instanceId(), k -> new ArrayList<>()).add(c.id());
      }
    }
    Set<String> running = new HashSet<>(runningOwned);
    orphanSince.keySet().retainAll(running);
    for (String instance : runningOwned) {
      List<String> claimIds = owners.getOrDefault(instance, List.of());
      if (claimIds.size() > 1) {
        broken(ONE_CLAIM_PER_INSTANCE, now, instance, "instance " + instance + " is owned by live claims "
            + claimIds);
      } else if (claimIds.isEmpty()) {
        Instant since = orphanSince.computeIfAbsent(instance, k -> now);
        if (Duration.between(since, now).compareTo(ORPHAN_LIMIT) > 0) {
          broken(ONE_CLAIM_PER_INSTANCE, now, instance, "instance " + instance + " has run with no live claim since "
              + Duration.between(start, since).toSeconds() + " s");
        }
      } else {
        orphanSince.remove(instance);
      }
    }
  }

  /** (h) No claim stays in a state on its way somewhere for over 20 minutes. */
  void claimsSettle(List<Claim> claims, Instant now) {
    for (Claim c : claims) {
      Instant since = c.updatedAt() != null ? c.updatedAt() : c.createdAt();
      if (TRANSITIONAL.contains(c.state()) && since != null
          && Duration.between(since, now).compareTo(CLAIM_SETTLE_LIMIT) > 0) {
        broken(CLAIMS_SETTLE, now, c.id(), "claim " + c.id() + " has been " + c.state() + " since "
            + Duration.between(start, since).toSeconds() + " s");
      }
    }
  }

  /**
   * (i) No launch takes a NodePool past its limits, whatever types CreateFleet picked: {@code running} is, pool by
   * pool, what each instance running for one of its live claims holds at its launched type (those draining, or that a
   * running replacement stands in for, count nothing, as in Karpenter). Broken when instances counted for the first
   * time take a pool that was within its limits past them; an instance counted within {@code settling} of an edit of
   * its pool may have been launched for the limits before the edit, and nodes an edit leaves over the new limits are
   * not Flotilla's doing.
   */
  void poolLimitsHold(Map<String, dev.flotilla.nodepool.NodePool> pools,
      Map<String, Map<String, dev.flotilla.model.Resources>> running, Map<String, Instant> editedAt,
      Duration settling, Instant now) {
    for (Map.Entry<String, Map<String, dev.flotilla.model.Resources>> e : running.entrySet()) {
      dev.flotilla.model.Resources all = dev.flotilla.model.Resources.NONE;
      dev.flotilla.model.Resources before = dev.flotilla.model.Resources.NONE;
      List<String> fresh = new ArrayList<>();
      for (Map.Entry<String, dev.flotilla.model.Resources> instance : e.getValue().entrySet()) {
        all = all.plus(instance.getValue());
        if (countedInstances.add(instance.getKey())) {
          fresh.add(instance.getKey());
        } else {
          before = before.plus(instance.getValue());
        }
      }
      dev.flotilla.nodepool.NodePool pool = pools.get(e.getKey());
      Instant edited = editedAt.get(e.getKey());
      if (fresh.isEmpty() || pool == null || (edited != null && !now.isAfter(edited.plus(settling)))
          || pool.exceededLimit(before, dev.flotilla.model.Resources.NONE) != null) {
        continue;
      }
      String exceeded = pool.exceededLimit(all, dev.flotilla.model.Resources.NONE);
      if (exceeded != null) {
        broken(POOL_LIMITS, now, e.getKey() + " " + exceeded, "NodePool " + pool.name() + " holds "
            + dev.flotilla.model.Resources.format(exceeded, all.get(exceeded)) + " " + exceeded
            + " against its limit of " + dev.flotilla.model.Resources.format(exceeded, pool.limits().get(exceeded))
            + " once " + fresh.stream().sorted().toList() + " ran");
      }
    }
  }
}
