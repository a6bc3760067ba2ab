package dev.flotilla.infra;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import io.github.cdklabs.cdknag.AwsSolutionsChecks;
import io.github.cdklabs.cdknag.NagPackProps;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Aspects;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.Tags;

/**
 * The CDK app: one {@link FlotillaStack} per cluster, named {@code Flotilla-<cluster>}, with cdk-nag's AwsSolutions
 * checks. {@code cdk synth|deploy} runs it through {@code cdk.json}; without the CDK CLI, {@code ./app.sh -c key=value
 * ...} synthesises into {@code cdk.out}.
 */
public final class FlotillaApp {

  private FlotillaApp() {}

  public static void main(String[] args) {
    App app = new App(AppProps.builder().context(context(args))
        // run by the CLI, the assembly goes where it says; run alone, into cdk.out beside cdk.json
        .outdir(System.getenv().getOrDefault("CDK_OUTDIR", "cdk.out")).build());
    stack(app, Path.of("target", "function-bundle"));
    app.synth();
  }

  /** The cluster's stack in {@code app}, read from the app's context, with the nag checks applied to it. */
  public static FlotillaStack stack(App app, Path bundleDirectory) {
    StackSettings settings = StackSettings.from(app.getNode()::tryGetContext);
    String account = System.getenv("CDK_DEFAULT_ACCOUNT");
    String region = System.getenv().getOrDefault("CDK_DEFAULT_REGION", "us-east-1");
    FlotillaStack stack = new FlotillaStack(app, "Flotilla-" + settings.clusterName(), StackProps.builder()
        .description("Flotilla node autoscaler for EKS cluster " + settings.clusterName())
        .env(Environment.builder().account(account).region(region).build())
        .build(), settings, bundleDirectory);
    Tags.of(stack).add("flotilla.dev/stack", settings.clusterName());
    AcceptedFindings.applyTo(stack);
    Aspects.of(app).add(new AwsSolutionsChecks(NagPackProps.builder().verbose(true).build()));
    return stack;
  }

  /** {@code -c key=value} pairs, as the CDK CLI takes them. */
  static Map<String, Object> context(String[] args) {
    Map<String, Object> context = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if ((arg.equals("-c") || arg.equals("--context")) && i + 1 < args.length) {
        String[] kv = args[++i].split("=", 2);
        if (kv.length != 2) {
          throw new IllegalArgumentException("-c " + args[i] + ": expected key=value");
        }
        context.put(kv[0], kv[1]);
      } else {
        throw new IllegalArgumentException("unknown argument " + arg + "; expected -c key=value");
      }
    }
    return context;
  }
}
