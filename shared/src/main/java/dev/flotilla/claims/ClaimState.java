package dev.flotilla.claims;

import java.util.EnumSet;
import java.util.Set;

/** Where a claim is in its life, and where it may go next. */
public enum ClaimState {
  /** Written with its reservations; CreateFleet not yet answered. */
  Launching,
  /** An instance exists for it. */
  Launched,
  /** Its node joined the cluster. */
  Registered,
  /** Its node is Ready. */
  Initialized,
  /** Its node is being drained before termination. */
  Draining,
  /** Gone; its reservations are released. */
  Terminated;

  public Set<ClaimState> next() {
    return switch (this) {
      case Launching -> EnumSet.of(Launched, Terminated);
      case Launched -> EnumSet.of(Registered, Initialized, Draining, Terminated);
      case Registered -> EnumSet.of(Initialized, Draining, Terminated);
      case Initialized -> EnumSet.of(Draining, Terminated);
      case Draining -> EnumSet.of(Terminated);
      case Terminated -> EnumSet.noneOf(ClaimState.class);
    };
  }

  public boolean live() {
    return this != Terminated;
  }
}
