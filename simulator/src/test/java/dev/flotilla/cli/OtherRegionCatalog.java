package dev.flotilla.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.InstanceType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A catalog file of another region, eu-west-1, as a user would give one: the bundled types in that region's zones,
 * each at a tenth above its us-east-1 price, so that a plan over it shows whose prices it used.
 */
final class OtherRegionCatalog {

  static final String REGION = "eu-west-1";
  static final List<String> ZONES = List.of("eu-west-1a", "eu-west-1b", "eu-west-1c");
  static final double MARKUP = 1.1;

  private OtherRegionCatalog() {}

  static Path write(Path dir) throws IOException {
    CatalogFile bundled = CatalogFile.bundled();
    List<InstanceType> types = bundled.instanceTypes().stream().map(t -> new InstanceType(t.name(), t.family(),
        t.vcpu(), t.memoryMiB(), t.arch(), t.gpus(), t.gpuMemoryMiB(), t.maxPods(),
        Math.round(t.onDemandUsdPerHour() * MARKUP * 1e6) / 1e6, ZONES, t.currentGeneration(), t.bareMetal(),
        t.localNvmeGiB(), t.neuronDevices())).toList();
    Path file = dir.resolve("eu-west-1.json");
    new ObjectMapper().writeValue(file.toFile(), Map.of("region", REGION,
        "sources", List.of("test: the bundled types at a tenth above their us-east-1 prices"), "zones", ZONES,
        "instanceTypes", types));
    return file;
  }

  static Path bundledCopy(Path dir) throws IOException {
    Path file = dir.resolve("us-east-1.json");
    try (var in = CatalogFile.class.getResourceAsStream(CatalogFile.BUNDLED_RESOURCE)) {
      Files.copy(in, file);
    }
    return file;
  }
}
