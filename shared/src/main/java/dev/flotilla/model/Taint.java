package dev.flotilla.model;

/** A node taint. Effects: NoSchedule, PreferNoSchedule, NoExecute. */
public record Taint(String key, String value, String effect) {

  /**
   * The taint every node Flotilla launches registers with (kubelet {@code --register-with-taints}). It keeps
   * kube-scheduler from placing pods on the node before the forwarder has nominated the pods planned there, and the
   * forwarder lifts it then, or 30 s after the node is Ready whatever happened. Pods never tolerate it.
   */
  public static final Taint INITIALIZING = new Taint("flotilla.dev/initializing", "true", "NoSchedule");

  public Taint {
    if (key == null || key.isBlank()) {
      throw new IllegalArgumentException("taint: key is required");
    }
    value = value == null ? "" : value;
    if (!"NoSchedule".equals(effect) && !"PreferNoSchedule".equals(effect) && !"NoExecute".equals(effect)) {
      throw new IllegalArgumentException("taint " + key + ": effect must be NoSchedule, PreferNoSchedule or NoExecute, not " + effect);
    }
  }

  /** PreferNoSchedule is only a preference: it never keeps a pod off a node. */
  public boolean blocksScheduling() {
    return !"PreferNoSchedule".equals(effect);
  }

  /** Whether this is the same taint as {@code other} as the API server keys taints: by key and effect. */
  public boolean sameAs(Taint other) {
    return key.equals(other.key) && effect.equals(other.effect);
  }

  @Override
  public String toString() {
    return key + (value.isEmpty() ? "" : "=" + value) + ":" + effect;
  }
}
