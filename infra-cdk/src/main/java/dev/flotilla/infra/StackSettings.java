package dev.flotilla.infra;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One cluster's stack settings, read from CDK context ({@code cdk deploy -c clusterName=prod ...}, or
 * {@code cdk.json}). Every error names the context key and says what it expects.
 *
 * @param clusterName the EKS cluster; names the stack, the bus, the table, and the ownership tag's value
 * @param subnetByZone where nodes go, {@code zone=subnet-id,...}
 * @param securityGroups the node security groups (the cluster security group at least)
 * @param clusterEndpoint the API server URL nodeadm joins nodes to
 * @param certificateAuthority the cluster's base64 CA bundle, for nodeadm
 * @param serviceCidr the cluster's service CIDR, for nodeadm
 * @param kubernetesVersion picks the EKS-optimised AL2023 image from its public SSM parameter
 * @param nodePoolsFile the NodePools YAML shipped to the functions, when given
 * @param functionsJar the functions module's shaded jar
 * @param oidcProviderArn the cluster's IAM OIDC provider for IRSA; without it the forwarder uses EKS Pod Identity
 * @param forwarderNamespace the forwarder's namespace
 * @param forwarderServiceAccount the forwarder's service account
 * @param schedulerScoring how the cluster's scheduler ranks the nodes a pod fits: {@code LeastAllocated}
 *     (kube-scheduler's default, and EKS's) or {@code MostAllocated} (a bin-packing profile); consolidation's check
 *     and the provisioner place pods as that scheduler does
 */
public record StackSettings(String clusterName, Map<String, String> subnetByZone, List<String> securityGroups,
    String clusterEndpoint, String certificateAuthority, String serviceCidr, String kubernetesVersion,
    Optional<Path> nodePoolsFile, Path functionsJar, Optional<String> oidcProviderArn, String forwarderNamespace,
    String forwarderServiceAccount, String schedulerScoring) {

  private static final Pattern CLUSTER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-_]{0,99}");
  private static final Pattern SUBNET = Pattern.compile("subnet-[0-9a-f]+");
  private static final Pattern SECURITY_GROUP = Pattern.compile("sg-[0-9a-f]+");
  private static final Pattern OIDC_PROVIDER = Pattern.compile("arn:aws[a-z-]*:iam::\\d{12}:oidc-provider/.+");

  public StackSettings {
    subnetByZone = Map.copyOf(subnetByZone);
    securityGroups = List.copyOf(securityGroups);
  }

  /** Reads the settings through {@code context} (a CDK node's {@code tryGetContext}). */
  public static StackSettings from(Function<String, Object> context) {
    String cluster = required(context, "clusterName");
    if (!CLUSTER_NAME.matcher(cluster).matches()) {
      throw new IllegalArgumentException("context clusterName: '" + cluster
          + "' is not an EKS cluster name (letters, digits, '-' and '_', at most 100)");
    }
    String endpoint = required(context, "clusterEndpoint");
    if (!endpoint.startsWith("https://")) {
      throw new IllegalArgumentException("context clusterEndpoint: '" + endpoint + "' is not an https:// URL");
    }
    String jar = optional(context, "functionsJar").orElseGet(StackSettings::builtFunctionsJar);
    Path functionsJar = Path.of(jar);
    if (!Files.isRegularFile(functionsJar)) {
      throw new IllegalArgumentException("context functionsJar: " + functionsJar.toAbsolutePath()
          + " does not exist; build it with ./mvnw -pl functions -am package");
    }
    Optional<Path> pools = optional(context, "nodePoolsFile").map(Path::of);
    pools.filter(p -> !Files.isRegularFile(p)).ifPresent(p -> {
      throw new IllegalArgumentException("context nodePoolsFile: " + p.toAbsolutePath() + " does not exist");
    });
    Optional<String> oidc = optional(context, "oidcProviderArn");
    oidc.filter(a -> !OIDC_PROVIDER.matcher(a).matches()).ifPresent(a -> {
      throw new IllegalArgumentException("context oidcProviderArn: '" + a + "' is not an IAM OIDC provider ARN");
    });
    return new StackSettings(cluster, subnets(required(context, "subnets")),
        securityGroups(required(context, "securityGroups")), endpoint,
        required(context, "clusterCertificateAuthority"),
        optional(context, "serviceCidr").orElse("10.100.0.0/16"),
        optional(context, "kubernetesVersion").orElse("1.33"), pools, functionsJar, oidc,
        optional(context, "forwarderNamespace").orElse("flotilla"),
        optional(context, "forwarderServiceAccount").orElse("flotilla-forwarder"),
        scoring(optional(context, "schedulerScoring").orElse("LeastAllocated")));
  }

  static String scoring(String text) {
    return dev.flotilla.binding.ScoringProfile.named(text).orElseThrow(() -> new IllegalArgumentException(
        "context schedulerScoring: '" + text + "' is not LeastAllocated or MostAllocated")).name();
  }

  /** The functions' {@code FLOTILLA_SUBNETS} value. */
  public String subnetsValue() {
    StringBuilder sb = new StringBuilder();
    subnetByZone.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(e -> sb.append(sb.isEmpty() ? "" : ",").append(e.getKey()).append('=').append(e.getValue()));
    return sb.toString();
  }

  static Map<String, String> subnets(String text) {
    Map<String, String> result = new LinkedHashMap<>();
    for (String pair : text.split(",")) {
      String[] kv = pair.trim().split("=", 2);
      if (kv.length != 2 || !kv[0].trim().matches("[a-z]{2}(-[a-z]+)+-\\d[a-z]")
          || !SUBNET.matcher(kv[1].trim()).matches()) {
        throw new IllegalArgumentException("context subnets: '" + pair.trim()
            + "' is not zone=subnet-id (for example us-east-1a=subnet-0abc)");
      }
      if (result.put(kv[0].trim(), kv[1].trim()) != null) {
        throw new IllegalArgumentException("context subnets: zone " + kv[0].trim() + " is given twice");
      }
    }
    return result;
  }

  static List<String> securityGroups(String text) {
    List<String> result = new ArrayList<>();
    for (String id : text.split(",")) {
      if (!SECURITY_GROUP.matcher(id.trim()).matches()) {
        throw new IllegalArgumentException("context securityGroups: '" + id.trim() + "' is not a security group id");
      }
      result.add(id.trim());
    }
    return result;
  }

  private static String builtFunctionsJar() {
    Path target = Path.of("..", "functions", "target");
    try (Stream<Path> files = Files.isDirectory(target) ? Files.list(target) : Stream.empty()) {
      return files.filter(p -> p.getFileName().toString().matches("flotilla-functions-.*-lambda\\.jar"))
          .map(Path::toString).findFirst().orElse(target.resolve("flotilla-functions-lambda.jar").toString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String required(Function<String, Object> context, String key) {
    return optional(context, key).orElseThrow(() -> new IllegalArgumentException("context " + key
        + " is required: cdk deploy -c " + key + "=... (see the README's deploy section)"));
  }

  private static Optional<String> optional(Function<String, Object> context, String key) {
    Object v = context.apply(key);
    return v == null || v.toString().isBlank() ? Optional.empty() : Optional.of(v.toString().trim());
  }
}
