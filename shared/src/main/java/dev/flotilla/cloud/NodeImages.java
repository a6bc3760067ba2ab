package dev.flotilla.cloud;

import java.util.Map;
import java.util.Optional;

/**
 * The node image a new node of each architecture gets now (the EKS-optimised image the stack's SSM parameter points
 * at): what a claim records at launch, and what image drift compares it with.
 */
public interface NodeImages {

  /** No image known: nothing drifts for its image. */
  NodeImages NONE = arch -> Optional.empty();

  /** The image for {@code arch} ({@code amd64}, {@code arm64}), when known. */
  Optional<String> current(String arch);

  /** Fixed images by architecture. */
  static NodeImages of(Map<String, String> byArch) {
    Map<String, String> copy = Map.copyOf(byArch);
    return arch -> Optional.ofNullable(copy.get(arch));
  }
}
