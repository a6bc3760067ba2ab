package dev.flotilla.aws;

import dev.flotilla.cloud.NodeImages;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * The node images as the SSM parameters the stack's launch template uses name them now (AWS keeps
 * {@code /aws/service/eks/optimized-ami/<version>/amazon-linux-2023/<arch>/standard/recommended/image_id} pointing
 * at the newest EKS-optimised image). Each parameter is read again once its value is older than the refresh period,
 * so a function warm for days still sees a release; a read that fails keeps the last value, or the image the stack
 * resolved at deploy time, so that a Systems Manager outage drifts nothing.
 */
public final class SsmNodeImages implements NodeImages {

  /** How long a parameter's value is trusted before it is read again. */
  public static final Duration REFRESH = Duration.ofMinutes(5);
  private static final Logger LOG = LoggerFactory.getLogger(SsmNodeImages.class);

  private record Read(String image, Instant at) {}

  private final SsmClient ssm;
  private final Map<String, String> parameterByArch;
  private final Map<String, String> deployed;
  private final Clock clock;
  private final Duration refresh;
  private final Map<String, Read> reads = new HashMap<>();

  /**
   * @param parameterByArch the parameter name per architecture ({@code amd64}, {@code arm64})
   * @param deployed        the images the stack resolved when it deployed: what is used until a read succeeds
   */
  public SsmNodeImages(SsmClient ssm, Map<String, String> parameterByArch, Map<String, String> deployed, Clock clock,
      Duration refresh) {
    this.ssm = ssm;
    this.parameterByArch = Map.copyOf(parameterByArch);
    this.deployed = Map.copyOf(deployed);
    this.clock = clock;
    this.refresh = refresh;
  }

  @Override
  public synchronized Optional<String> current(String arch) {
    String parameter = parameterByArch.get(arch);
    if (parameter == null) {
      return Optional.ofNullable(deployed.get(arch));
    }
    Read last = reads.get(arch);
    Instant now = clock.instant();
    if (last != null && last.at().plus(refresh).isAfter(now)) {
      return Optional.of(last.image());
    }
    try {
      String image = ssm.getParameter(r -> r.name(parameter)).parameter().value();
      if (last != null && !last.image().equals(image)) {
        LOG.atInfo().setMessage("node image released").addKeyValue("arch", arch).addKeyValue("parameter", parameter)
            .addKeyValue("was", last.image()).addKeyValue("now", image).log();
      }
      reads.put(arch, new Read(image, now));
      return Optional.of(image);
    } catch (SdkException e) {
      LOG.atWarn().setMessage("node image parameter not read; the last known image stands")
          .addKeyValue("parameter", parameter).addKeyValue("error", e.getMessage()).log();
      return last != null ? Optional.of(last.image()) : Optional.ofNullable(deployed.get(arch));
    }
  }
}
