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
}
