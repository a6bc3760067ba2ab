package dev.flotilla.catalog;

import java.util.List;
import java.util.Locale;

/**
 * One EC2 instance type as the catalog file describes it. Field names follow the catalog's JSON schema, so the same
 * record reads the bundled us-east-1 file, another region's, or a synthetic benchmark catalog.
 *
 * @param memoryMiB   nominal memory, before the hypervisor's share is taken off (see the scheduler's node model)
 * @param maxPods     the VPC CNI's ENI-limited pod count
 * @param neuronDevices AWS Neuron devices (Inferentia, Trainium), which pods request as aws.amazon.com/neuron
 * @param hypervisor  nitro or xen; empty for bare metal. A catalog without it is read as nitro (every current
 *                    family), bare metal as empty
 * @param cpuManufacturer intel, amd, aws or apple; a catalog without it is read from the arch and the family's name
 * @param networkBandwidthMbps the baseline network bandwidth; 0 when not known
 * @param ebsBandwidthMbps the maximum EBS bandwidth; 0 when not known
 * @param gpuName     the GPU's model in lower case (t4, a10g, h100); empty without GPUs or when not known
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
    int neuronDevices,
    String hypervisor,
    String cpuManufacturer,
    int networkBandwidthMbps,
    int ebsBandwidthMbps,
    boolean encryptionInTransit,
    String gpuName,
    String gpuManufacturer) {

  public InstanceType {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("instance type: name is required");
    }
    zones = zones == null ? List.of() : List.copyOf(zones);
    if (family == null || family.isBlank()) {
      family = name.substring(0, Math.max(0, name.indexOf('.')));
    }
    if (hypervisor == null) {
      hypervisor = bareMetal ? "" : "nitro";
    }
    if (cpuManufacturer == null || cpuManufacturer.isBlank()) {
      // Graviton is arm64; an "a" after the generation (m5a, c6a, r7a, hpc6a) marks AMD
      cpuManufacturer = "arm64".equals(arch) ? "aws"
          : family.replaceFirst("^[a-z]+\\d+", "").contains("a") ? "amd" : "intel";
    }
    gpuName = gpuName == null ? "" : gpuName;
    gpuManufacturer = gpuManufacturer == null ? "" : gpuManufacturer;
  }

  /** A type described by the fields every catalog has; the rest are derived or unknown. */
  public InstanceType(String name, String family, int vcpu, long memoryMiB, String arch, int gpus, long gpuMemoryMiB,
      int maxPods, double onDemandUsdPerHour, List<String> zones, boolean currentGeneration, boolean bareMetal,
      long localNvmeGiB, int neuronDevices) {
    this(name, family, vcpu, memoryMiB, arch, gpus, gpuMemoryMiB, maxPods, onDemandUsdPerHour, zones,
        currentGeneration, bareMetal, localNvmeGiB, neuronDevices, null, null, 0, 0, false, null, null);
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
