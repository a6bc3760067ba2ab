package dev.flotilla.simulation.karpenter;

import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.TopologySpread;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A pod as Karpenter schedules it at one step of relaxing its preferences (kubernetes-sigs/karpenter
 * {@code provisioning/scheduling/preferences.go}). At first only the first of several required node affinity terms
 * counts, the heaviest preferred node affinity term is required with it, ScheduleAnyway topology spreads are enforced,
 * and PreferNoSchedule taints repel. Each relaxation gives up one of these, in Karpenter's order: the first required
 * term (to try the next), the heaviest preferred term, a ScheduleAnyway spread, and finally PreferNoSchedule taints are
 * tolerated.
 *
 * @param requiredFrom       index of the required term in force
 * @param preferredDropped   how many of the heaviest preferred terms were given up
 * @param anywayDropped      how many ScheduleAnyway spreads were given up
 * @param toleratesPreferNoSchedule whether PreferNoSchedule taints are tolerated
 */
record Preferences(PendingPod original, int requiredFrom, int preferredDropped, int anywayDropped,
    boolean toleratesPreferNoSchedule) {

  static Preferences strict(PendingPod pod) {
    return new Preferences(pod, 0, 0, 0, false);
  }

  /** The next relaxation, or null when nothing is left to give up. */
  Preferences relax() {
    if (original.requiredTerms().size() - requiredFrom > 1) {
      return new Preferences(original, requiredFrom + 1, preferredDropped, anywayDropped, toleratesPreferNoSchedule);
    }
    if (preferredDropped < original.preferredTerms().size()) {
      return new Preferences(original, requiredFrom, preferredDropped + 1, anywayDropped, toleratesPreferNoSchedule);
    }
    if (anywayDropped < anyway().size()) {
      return new Preferences(original, requiredFrom, preferredDropped, anywayDropped + 1, toleratesPreferNoSchedule);
    }
    if (!toleratesPreferNoSchedule) {
      return new Preferences(original, requiredFrom, preferredDropped, anywayDropped, true);
    }
    return null;
  }

  /** The node requirements in force: one required term, with the heaviest preference not yet given up. */
  List<Requirement> requirements() {
    List<Requirement> all = new ArrayList<>();
    if (!original.requiredTerms().isEmpty()) {
      all.addAll(original.requiredTerms().get(requiredFrom));
    }
    List<PendingPod.PreferredTerm> preferred = original.preferredTerms().stream()
        .sorted(Comparator.comparingInt(PendingPod.PreferredTerm::weight).reversed()).toList();
    if (preferredDropped < preferred.size()) {
      all.addAll(preferred.get(preferredDropped).requirements());
    }
    return all;
  }

  /** The topology spreads in force: every DoNotSchedule one, and the ScheduleAnyway ones not given up. */
  List<TopologySpread> spreads() {
    List<TopologySpread> kept = new ArrayList<>(original.spreads().stream().filter(TopologySpread::required).toList());
    List<TopologySpread> anyway = anyway();
    kept.addAll(anyway.subList(anywayDropped, anyway.size()));
    return kept;
  }

  private List<TopologySpread> anyway() {
    return original.spreads().stream().filter(s -> !s.required()).toList();
  }
}
