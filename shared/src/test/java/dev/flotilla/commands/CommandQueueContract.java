package dev.flotilla.commands;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What every command queue does, in memory or on SQS. */
public abstract class CommandQueueContract {

  /** The queue under test; its visibility timeout is {@link #VISIBILITY}. */
  protected abstract CommandQueue queue();

  protected static final Duration VISIBILITY = Duration.ofSeconds(2);

  /** Lets time pass, on the queue's clock. */
  protected abstract void elapse(Duration d);

  private List<CommandQueue.Received> drain(int expected) {
    List<CommandQueue.Received> all = new ArrayList<>();
    for (int i = 0; i < 5 && all.size() < expected; i++) {
      all.addAll(queue().receive(10, Duration.ofSeconds(1)));
    }
    return all;
  }

  @Test
  void sentCommandsAreReceivedAsVersionedJson() {
    List<Command> sent = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      sent.add(Command.of(Command.Kind.Drain, "ip-10-0-0-" + i, "claim-" + i,
          Instant.parse("2026-11-25T12:02:00Z"), "spot interruption"));
    }
    queue().send(sent);

    List<CommandQueue.Received> received = drain(12);
    assertThat(received).hasSize(12);
    assertThat(received.stream().map(r -> Command.parse(r.body())).toList())
        .containsExactlyInAnyOrderElementsOf(sent);
  }

  @Test
  void anUndeletedCommandComesBackAndADeletedOneDoesNot() {
    queue().send(List.of(Command.of(Command.Kind.Cordon, "a", null, null, null),
        Command.of(Command.Kind.DeleteNode, "b", null, null, null)));
    List<CommandQueue.Received> first = drain(2);
    assertThat(first).hasSize(2);
    CommandQueue.Received cordon = first.stream().filter(r -> r.body().contains("Cordon")).findFirst().orElseThrow();
    queue().delete(cordon.receipt());

    elapse(VISIBILITY.plusSeconds(1));

    List<CommandQueue.Received> again = drain(1);
    assertThat(again).singleElement().satisfies(r -> {
      assertThat(Command.parse(r.body()).kind()).isEqualTo(Command.Kind.DeleteNode);
      assertThat(r.receiveCount()).isEqualTo(2);
    });
  }

  @Test
  void extendingVisibilityKeepsACommandHidden() {
    queue().send(List.of(Command.of(Command.Kind.Drain, "slow", null, null, null)));
    CommandQueue.Received r = drain(1).getFirst();
    queue().extendVisibility(r.receipt(), Duration.ofSeconds(30));

    elapse(VISIBILITY.plusSeconds(1));

    assertThat(queue().receive(10, Duration.ofSeconds(1))).isEmpty();
  }

  @Test
  void extendingEveryMessageOfABatchKeepsThemAllHidden() {
    queue().send(List.of(Command.of(Command.Kind.Drain, "running", null, null, null),
        Command.of(Command.Kind.DeleteNode, "running", null, null, null),
        Command.of(Command.Kind.Drain, "waiting", null, null, null)));
    List<CommandQueue.Received> batch = drain(3);
    assertThat(batch).hasSize(3);
    batch.forEach(r -> queue().extendVisibility(r.receipt(), Duration.ofSeconds(30)));

    elapse(VISIBILITY.plusSeconds(1));

    assertThat(queue().receive(10, Duration.ofSeconds(1))).isEmpty();
  }

  @Test
  void aMessageGivenBackComesBackAtOnce() {
    queue().send(List.of(Command.of(Command.Kind.Drain, "handed-over", null, null, null)));
    CommandQueue.Received r = drain(1).getFirst();
    queue().extendVisibility(r.receipt(), Duration.ZERO);

    assertThat(drain(1)).singleElement().satisfies(again -> {
      assertThat(again.body()).isEqualTo(r.body());
      assertThat(again.receiveCount()).isEqualTo(2);
    });
  }

  @Test
  void extendingADeletedMessageNeverBringsItBack() {
    queue().send(List.of(Command.of(Command.Kind.Cordon, "done", null, null, null)));
    CommandQueue.Received r = drain(1).getFirst();
    queue().delete(r.receipt());
    try {
      queue().extendVisibility(r.receipt(), Duration.ofSeconds(30));
    } catch (RuntimeException refused) {
      // SQS refuses a receipt whose message is gone; either way the message stays gone
    }

    elapse(VISIBILITY.plusSeconds(1));

    assertThat(queue().receive(10, Duration.ofSeconds(1))).isEmpty();
  }

  @Test
  void failedProvisioningTravelsWithoutANodeInCommandsOfAtMost200Pods() {
    List<String> pods = new java.util.ArrayList<>();
    for (int i = 0; i < 450; i++) {
      pods.add("shop/huge-" + i);
    }
    List<Command> commands = Command.failedProvisioning(pods, "no instance type has 4000 cpu");
    queue().send(commands);

    List<Command> received = drain(3).stream().map(r -> Command.parse(r.body())).toList();

    assertThat(received).hasSize(3).allSatisfy(c -> {
      assertThat(c.kind()).isEqualTo(Command.Kind.FailedProvisioning);
      assertThat(c.node()).isNull();
      assertThat(c.reason()).isEqualTo("no instance type has 4000 cpu");
      assertThat(c.pods().size()).isLessThanOrEqualTo(Command.MAX_FAILED_PODS);
    });
    assertThat(received.stream().flatMap(c -> c.pods().stream())).containsExactlyInAnyOrderElementsOf(pods);
  }

  @Test
  void aNominateNamingNoPodsTravelsToLiftTheStartupTaintAlone() {
    queue().send(List.of(Command.nominate("ip-10-0-1-23.ec2.internal", "c1", List.of())));

    Command received = Command.parse(drain(1).getFirst().body());

    assertThat(received.kind()).isEqualTo(Command.Kind.Nominate);
    assertThat(received.node()).isEqualTo("ip-10-0-1-23.ec2.internal");
    assertThat(received.claimId()).isEqualTo("c1");
    assertThat(received.pods()).isEmpty();
  }

  @Test
  void malformedCommandsNameTheirField() {
    assertThatThrownBy(() -> Command.parse("{\"version\":1,\"id\":\"x\",\"kind\":\"Reboot\",\"node\":\"n\"}"))
        .hasMessage("command.kind: 'Reboot' is not Cordon, Drain, DeleteNode, Nominate or FailedProvisioning");
    assertThatThrownBy(() -> Command.parse("{\"version\":1,\"id\":\"x\",\"kind\":\"Drain\"}"))
        .hasMessage("command.node: is required");
    assertThatThrownBy(() -> Command.parse("{\"version\":2}")).hasMessageStartingWith("command.version");
    // FailedProvisioning acts on pods only: no node, but pods and a reason
    assertThatThrownBy(() -> Command.parse("{\"version\":1,\"id\":\"x\",\"kind\":\"FailedProvisioning\","
        + "\"reason\":\"r\"}")).hasMessage("command.pods: a FailedProvisioning command names at least one pod");
    assertThatThrownBy(() -> Command.parse("{\"version\":1,\"id\":\"x\",\"kind\":\"FailedProvisioning\","
        + "\"pods\":[\"shop/a\"]}")).hasMessage("command.reason: a FailedProvisioning command says why");
    assertThatThrownBy(() -> Command.parse("not json")).hasMessageStartingWith("command is not JSON");
  }
}
