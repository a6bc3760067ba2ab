package dev.flotilla.disruption;

import static dev.flotilla.disruption.RunningCluster.pod;
import static dev.flotilla.disruption.RunningCluster.running;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.flotilla.claims.Claim;
import dev.flotilla.disruption.ConsolidationPlan.Action;
import dev.flotilla.model.PendingPod;
import dev.flotilla.scheduling.Scheduler;
import dev.flotilla.scheduling.SchedulingInput;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A multi-node group whose shards (one to a node) already need more new nodes than the one allowed is refused without
 * scheduling its pods against the cluster, and the floor steps the search down as a plan's count would.
 */
class MultiNodeFloorTest {

  private final RunningCluster cluster = new RunningCluster();

  @Test
  void aGroupWhoseShardsNeedSeveralNewNodesIsRefusedUnscheduledAndTheSearchFindsTheNodesThatGo() {
    cluster.consolidateAtOnce(20);
    // eight nodes of a shard each, on the cheapest type for it (no replacement is cheaper), and two nodes of one small
    // pod each, the least used, whose pods fit beside the shards
    PendingPod first = RunningCluster.shard(0, 1000, 2048);
    String shardType = new Scheduler().schedule(new SchedulingInput(List.of(first), cluster.pools, cluster.catalog))
        .nodeClaims().getFirst().instanceTypes().getFirst().name();
    for (int i = 0; i < 8; i++) {
      cluster.node("shard-node-" + i, shardType, List.of(running(RunningCluster.shard(i, 1000, 2048))));
    }
    List<Claim> idle = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      idle.add(cluster.node("web-node-" + i, "m7i.xlarge", List.of(running(pod("web-" + i, 50, 64)))));
    }

    ListAppender<ILoggingEvent> log = new ListAppender<>();
    Logger logger = (Logger) LoggerFactory.getLogger(Consolidator.class);
    Level level = logger.getLevel();
    logger.setLevel(Level.DEBUG);
    log.start();
    logger.addAppender(log);
    ConsolidationPlan plan;
    try {
      plan = new Consolidator().plan(cluster.view(), EnumSet.of(Action.MULTI_NODE));
    } finally {
      logger.detachAppender(log);
      logger.setLevel(level);
    }

    assertThat(plan.action()).as(plan.reason()).isEqualTo(Action.MULTI_NODE);
    assertThat(plan.claimIds()).containsExactlyInAnyOrderElementsOf(idle.stream().map(Claim::id).toList());
    assertThat(plan.replacements()).isEmpty();
    List<String> refusals = log.list.stream().filter(e -> e.getFormattedMessage().contains("candidate refused"))
        .map(e -> String.valueOf(e.getKeyValuePairs().stream().filter(kv -> kv.key.equals("why")).findFirst()
            .orElseThrow().value)).toList();
    assertThat(refusals).as("the whole group of ten, refused by its eight shards' floor before any scheduling")
        .first().asString().startsWith("at least 8 new nodes needed");
  }
}
