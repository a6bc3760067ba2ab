package dev.flotilla.catalog;

import java.util.List;
import java.util.Locale;

/**
 * One EC2 instance type as the catalog file describes it. Field names follow the catalog's JSON schema, so the same
 * record reads the bundled us-east-1 file, another region's, or a synthetic benchmark catalog.
 *
 * @param memoryMiB   nominal memory, before the hypervisor's share is taken off (see the scheduler's node model)
 * @param maxPods     the VPC CNI's ENI-limited pod count
 * @param neuronDevices AWS Neuron devices (Inferentia, Trainium); absent from the bundled file, so 0 there
 */
public record InstanceType(
    String name,
    String family,
    int vcpu,
    long memoryMiB,
    String arch,
    int gpus,
    long gpuMemoryMiB,
    int maxPods,
    double onDemandUsdPerHour,
    List<String> zones,
    boolean currentGeneration,
    boolean bareMetal,
    long localNvmeGiB,
    int neuronDevices) {

  public InstanceType {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("instance type: name is required");
    }
    zones = zones == null ? List.of() : List.copyOf(zones);
    if (family == null || family.isBlank()) {
      family = name.substring(0, Math.max(0, name.indexOf('.')));
    }
  }

  /** The letters before the generation digit: {@code m} for m7i, {@code x} for x2iedn, {@code inf} for inf2. */
  public String category() {
    int i = 0;
    while (i < family.length() && Character.isLetter(family.charAt(i))) {
      i++;
    }
    return family.substring(0, i).toLowerCase(Locale.ROOT);
  }

  /** The generation digits after the category: 7 for m7i; 0 when the family has none (e.g. u-6tb1). */
  public int generation() {
    int i = 0;
    while (i < family.length() && Character.isLetter(family.charAt(i))) {
      i++;
    }
    int start = i;
    while (i < family.length() && Character.isDigit(family.charAt(i))) {
      i++;
    }
    return start == i ? 0 : Integer.parseInt(family.substring(start, i));
  }

  /** The part after the dot: {@code 2xlarge}, {@code metal-24xl}. */
  public String size() {
    int dot = name.indexOf('.');
    return dot < 0 ? "" : name.substring(dot + 1);
  }
}
