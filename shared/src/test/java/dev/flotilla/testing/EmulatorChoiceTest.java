package dev.flotilla.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmulatorChoiceTest {

  @TempDir
  Path bin;

  @Test
  void endpointFromTheEnvironmentWinsOverEverything() {
    EmulatorChoice choice = EmulatorChoice.select(
        Map.of("AWS_ENDPOINT_URL", "http://127.0.0.1:4566", "PATH", ""), Map.of("aws.emulator", "localstack"));

    assertThat(choice).isEqualTo(new EmulatorChoice.External(URI.create("http://127.0.0.1:4566")));
  }

  @Test
  void motoIsTheDefaultWhenItIsOnThePath() throws IOException {
    Path moto = executable("moto_server");

    EmulatorChoice choice = EmulatorChoice.select(Map.of("PATH", "/nonexistent:" + bin), Map.of());

    assertThat(choice).isEqualTo(new EmulatorChoice.Moto(moto));
  }

  @Test
  void missingMotoFailsWithInstallInstructions() {
    assertThatThrownBy(() -> EmulatorChoice.select(Map.of("PATH", bin.toString()), Map.of()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("moto_server")
        .hasMessageContaining("pip install 'moto[server]'");
  }

  @Test
  void aNonExecutableFileIsNotMoto() throws IOException {
    Files.writeString(bin.resolve("moto_server"), "");

    assertThatThrownBy(() -> EmulatorChoice.select(Map.of("PATH", bin.toString()), Map.of()))
        .hasMessageContaining("not on the PATH");
  }

  @Test
  void localStackWhenAskedForWithItsImageAndToken() {
    EmulatorChoice choice = EmulatorChoice.select(
        Map.of("PATH", "", "LOCALSTACK_AUTH_TOKEN", "ls-token"),
        Map.of("aws.emulator", "localstack", "localstack.image", "localstack/localstack:4.3.0"));

    assertThat(choice).isInstanceOfSatisfying(EmulatorChoice.LocalStack.class, ls -> {
      assertThat(ls.image()).isEqualTo("localstack/localstack:4.3.0");
      assertThat(ls.authToken()).contains("ls-token");
    });
  }

  @Test
  void unknownEmulatorIsRejectedByName() {
    assertThatThrownBy(() -> EmulatorChoice.select(Map.of("PATH", ""), Map.of("aws.emulator", "dynalite")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("aws.emulator=dynalite");
  }

  private Path executable(String name) throws IOException {
    Path file = Files.writeString(bin.resolve(name), "#!/bin/sh\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }
}
