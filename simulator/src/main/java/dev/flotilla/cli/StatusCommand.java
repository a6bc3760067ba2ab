package dev.flotilla.cli;

import dev.flotilla.aws.AwsClients;
import dev.flotilla.aws.DynamoClaimStore;
import dev.flotilla.aws.DynamoNodePoolStore;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flotilla status}: the NodePools, claims, nodes and fleet price, from the cluster or from the table. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Prints the NodePools, the claims by state, the nodes Flotilla launched and what the fleet costs an "
        + "hour: from a cluster (--kubeconfig: the NodePools' status and the nodes' labels the forwarder writes) or "
        + "from Flotilla's own records (--table, with AWS credentials and region from the environment).")
public final class StatusCommand implements Callable<Integer> {

  static final ResourceDefinitionContext NODEPOOLS = new ResourceDefinitionContext.Builder()
      .withGroup("flotilla.dev").withVersion("v1").withKind("NodePool").withPlural("nodepools")
      .withNamespaced(false).build();

  @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Read the cluster this kubeconfig names.")
  Path kubeconfig;

  @Option(names = "--context", paramLabel = "NAME", description = "The kubeconfig context (default: its current).")
  String context;

  @Option(names = "--table", paramLabel = "NAME", description = "Read the DynamoDB table of the stack instead.")
  String table;

  @Option(names = "--cluster", paramLabel = "NAME", description = "The cluster whose records to read (with --table).")
  String cluster;

  @Override
  public Integer call() {
    if ((kubeconfig == null) == (table == null)) {
      throw new CommandFailure.UsageException("give either --kubeconfig FILE or --table NAME --cluster NAME");
    }
    FleetStatus status;
    if (kubeconfig != null) {
      try (KubernetesClient client = new KubernetesClientBuilder()
          .withConfig(Config.fromKubeconfig(context, kubeconfig.toFile())).build()) {
        List<GenericKubernetesResource> pools;
        try {
          pools = client.genericKubernetesResources(NODEPOOLS).list().getItems();
        } catch (KubernetesClientException e) {
          if (e.getCode() != 404) {
            throw e;
          }
          // no CRD: no NodePools in the cluster yet
          pools = List.of();
        }
        List<io.fabric8.kubernetes.api.model.Node> nodes = client.nodes().withLabel("flotilla.dev/claim").list()
            .getItems();
        dev.flotilla.forwarder.LiveCluster cluster = dev.flotilla.forwarder.LiveCluster.read(client);
        java.util.Set<String> names = new java.util.HashSet<>();
        nodes.forEach(n -> names.add(n.getMetadata().getName()));
        status = FleetStatus.fromCluster(pools, nodes, FleetBound.of(
            dev.flotilla.forwarder.LiveCluster.podsOn(client, names), cluster.nodePools(), cluster.daemonSets()));
      }
    } else {
      if (cluster == null || cluster.isBlank()) {
        throw new CommandFailure.UsageException("--table needs --cluster NAME");
      }
      try (AwsClients aws = AwsClients.fromEnvironment()) {
        DynamoClaimStore claims = new DynamoClaimStore(aws.dynamo(), table, cluster, Clock.systemUTC());
        dev.flotilla.nodepool.NodePoolStore.Stored stored = new DynamoNodePoolStore(aws.dynamo(), table, cluster)
            .read();
        status = FleetStatus.fromRecords(stored, claims.claims(), FleetBound.of(FleetStatus.running(claims),
            FleetStatus.pools(stored), FleetStatus.daemonSets(claims)));
      }
    }
    status.print(System.out);
    return 0;
  }
}
