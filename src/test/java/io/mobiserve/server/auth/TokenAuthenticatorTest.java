package io.mobiserve.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.security.CredentialFileException;
import io.mobiserve.security.FileWatcher;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The token file's format, its refusals, and whose token a presented one is. */
class TokenAuthenticatorTest {
  @TempDir
  Path dir;

  private Path file(String content) throws Exception {
    return Files.writeString(dir.resolve("tokens"), content);
  }

  @Test
  void authenticate_namesTheCallerOfAPlainOrHashedToken_withCommentsAndBlankLines() throws Exception {
    String hash = HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest("camera-secret-0123456789".getBytes(StandardCharsets.UTF_8)));
    TokenAuthenticator tokens = TokenAuthenticator.fromFile(file("""
        # who may call
        batch-jobs:batch-secret-0123456789

        cameras:sha256:%s
        """.formatted(hash.toUpperCase())));

    assertThat(tokens.authenticate("Bearer batch-secret-0123456789")).contains("batch-jobs");
    assertThat(tokens.authenticate("bearer camera-secret-0123456789")).contains("cameras");
    assertThat(tokens.names()).containsExactly("batch-jobs", "cameras");
  }

  @Test
  void authenticate_refusesMissingMalformedAndUnknownTokensAlike() throws Exception {
    TokenAuthenticator tokens = TokenAuthenticator.fromFile(file("jobs:batch-secret-0123456789\n"));

    assertThat(tokens.authenticate(null)).isEmpty();
    assertThat(tokens.authenticate("")).isEmpty();
    assertThat(tokens.authenticate("Bearer ")).isEmpty();
    assertThat(tokens.authenticate("Basic batch-secret-0123456789")).isEmpty();
    assertThat(tokens.authenticate("batch-secret-0123456789")).isEmpty();
    assertThat(tokens.authenticate("Bearer batch-secret-012345678")).isEmpty();
    assertThat(tokens.authenticate("Bearer sha256:" + "0".repeat(64))).isEmpty();
  }

  @Test
  void fromFile_refusesEachMistakeNamingTheFileAndLine() throws Exception {
    assertRefused("just-a-token\n", "line 1: expected name:token or name:sha256:<hex>, found no ':'");
    assertRefused("# c\nbad name:x0123456789abcdef\n", "line 2: the name 'bad name' must be 1 to 64 letters, digits, '.', '_' or '-'");
    assertRefused("a:one-0123456789abcdef\na:two-0123456789abcdef\n", "line 2: the name 'a' is given twice");
    assertRefused("a:same-0123456789abcdef\nb:same-0123456789abcdef\n", "line 2: 'b' has the same token as 'a'");
    assertRefused("a:sha256:abc\n", "line 1: a sha256: token must be 64 hex digits (the SHA-256 of the token)");
    assertRefused("a:\n", "line 1: the token of 'a' is empty");
    assertRefused("# nobody\n\n", "no tokens in it: every call would be refused");
    assertThatThrownBy(() -> TokenAuthenticator.fromFile(dir.resolve("absent")))
        .hasMessage(dir.resolve("absent") + ": no such file");
  }

  @Test
  void aRefusalNeverShowsTheTokens() throws Exception {
    assertThatThrownBy(() -> TokenAuthenticator.fromFile(file("a:secret-one-0123456789\na:secret-two-0123456789\n")))
        .message().doesNotContain("secret");
  }

  @Test
  void watch_takesUpANewFile_andKeepsTheOldTokensWhenTheNewFileIsBad() throws Exception {
    Path file = file("old:old-secret-0123456789\n");
    TokenAuthenticator tokens = TokenAuthenticator.fromFile(file);
    try (FileWatcher watcher = FileWatcher.every(Duration.ofMillis(20))) {
      tokens.watch(watcher);

      Files.writeString(file, "new:new-secret-0123456789\n");
      awaitAuthenticated(tokens, "Bearer new-secret-0123456789", Optional.of("new"));
      Optional<String> old = tokens.authenticate("Bearer old-secret-0123456789");
      Files.writeString(file, "broken line\n");
      Thread.sleep(200);

      assertThat(old).isEmpty();
      assertThat(tokens.authenticate("Bearer new-secret-0123456789")).contains("new");
    }
  }

  private void assertRefused(String content, String problem) throws Exception {
    Path file = file(content);
    assertThatThrownBy(() -> TokenAuthenticator.fromFile(file))
        .isInstanceOf(CredentialFileException.class)
        .hasMessage(file + ": " + problem);
  }

  static void awaitAuthenticated(TokenAuthenticator tokens, String header, Optional<String> expected)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!tokens.authenticate(header).equals(expected)) {
      assertThat(System.nanoTime()).as("%s never authenticated as %s", header, expected).isLessThan(deadline);
      Thread.sleep(10);
    }
  }
}
