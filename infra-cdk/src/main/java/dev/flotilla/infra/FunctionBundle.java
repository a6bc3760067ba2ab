package dev.flotilla.infra;

import dev.flotilla.manifest.Manifest;
import dev.flotilla.manifest.ManifestException;
import dev.flotilla.manifest.NodePoolReader;
import dev.flotilla.nodepool.NodePool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;

/**
 * The functions' deployment package: the shaded jar under {@code lib/} (on the Java runtime's classpath) and, when
 * the cluster has NodePools, their YAML at the package root, where the functions read it
 * ({@code FLOTILLA_NODEPOOLS_FILE}). A file rather than an environment variable because Lambda caps all variables
 * together at 4 KB. The YAML is checked here with the functions' own reader, so a bad file fails the synth.
 */
public record FunctionBundle(Path directory, List<NodePool> nodePools) {

  /** Where the NodePools file lies inside a running function. */
  public static final String NODEPOOLS_PATH = "/var/task/nodepools.yaml";

  public static FunctionBundle stage(StackSettings settings, Path directory) {
    List<NodePool> pools = settings.nodePoolsFile().map(FunctionBundle::validated).orElse(List.of());
    try {
      Files.createDirectories(directory.resolve("lib"));
      Path jar = directory.resolve("lib").resolve("flotilla-functions.jar");
      if (!Files.exists(jar) || Files.mismatch(jar, settings.functionsJar()) != -1) {
        Files.copy(settings.functionsJar(), jar, StandardCopyOption.REPLACE_EXISTING);
      }
      Path yaml = directory.resolve("nodepools.yaml");
      Optional<Path> source = settings.nodePoolsFile();
      if (source.isPresent()) {
        Files.copy(source.get(), yaml, StandardCopyOption.REPLACE_EXISTING);
      } else {
        Files.deleteIfExists(yaml);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("staging the functions' package in " + directory, e);
    }
    return new FunctionBundle(directory, pools);
  }

  public boolean hasNodePools() {
    return Files.exists(directory.resolve("nodepools.yaml"));
  }

  static List<NodePool> validated(Path file) {
    try {
      List<NodePool> pools = NodePoolReader.read(Manifest.parse(file.toString(), Files.readString(file)));
      if (pools.isEmpty()) {
        throw new IllegalArgumentException("context nodePoolsFile: " + file
            + " holds no NodePool (apiVersion flotilla.dev/v1 or karpenter.sh/v1, kind NodePool)");
      }
      return pools;
    } catch (ManifestException e) {
      throw new IllegalArgumentException("context nodePoolsFile: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException("context nodePoolsFile: cannot read " + file, e);
    }
  }
}
