package dev.flotilla.disruption;

/**
 * Why a node is disrupted. The first three are voluntary and limited by the NodePool's budgets (a budget's
 * {@code reasons} name them); expiry and repair go whatever the budgets say, as in Karpenter.
 */
public enum DisruptionReason {
  Empty, Underutilized, Drifted, Expired, Unhealthy;

  /** Whether the pool's disruption budgets limit disruptions for this reason. */
  public boolean budgeted() {
    return this == Empty || this == Underutilized || this == Drifted;
  }
}
