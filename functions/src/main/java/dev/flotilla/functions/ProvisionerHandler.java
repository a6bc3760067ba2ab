package dev.flotilla.functions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.flotilla.contracts.Envelope;
import dev.flotilla.contracts.PodsPending;
import dev.flotilla.provisioning.Provisioner;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/** {@code Pods Pending} → reserve and launch nodes for them. */
public final class ProvisionerHandler implements RequestStreamHandler {

  private final Provisioner provisioner;
  private final DecisionReport report;

  public ProvisionerHandler() {
    this(FlotillaServices.forDecisions());
  }

  public ProvisionerHandler(FlotillaServices services) {
    this.provisioner = services.provisioner;
    this.report = new DecisionReport("provisioner", services.config.cluster());
  }

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context) {
    Envelope event = Invocation.read(input, report);
    PodsPending pending = Invocation.parse(event, PodsPending::from, report);
    Provisioner.Decision decision = provisioner.provision(event.id(), pending.pods());
    report.provisioned(event, decision);
    Invocation.write(output, Map.of(
        "eventId", event.id(),
        "podsReceived", decision.received(),
        "podsAlreadyReserved", decision.alreadyReserved(),
        "claims", decision.launched().stream().map(c -> c.id()).toList(),
        "instances", decision.launched().stream().map(c -> c.instanceId()).toList(),
        "addedToInFlight", decision.addedToInFlight().size(),
        "unschedulable", decision.unschedulable().size(),
        "waitingForLeavingNodes", decision.waitingForLeavingNodes().size(),
        "failures", decision.failures()));
  }
}
