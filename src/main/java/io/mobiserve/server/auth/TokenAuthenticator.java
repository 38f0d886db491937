package io.mobiserve.server.auth;

import io.mobiserve.security.CredentialFileException;
import io.mobiserve.security.FileWatcher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks bearer tokens against a token file, and says whose token it is. It knows nothing of gRPC: the gRPC
 * server calls it from {@link CallerAuthentication}; an HTTP server calls {@link #authenticate} with its
 * request's {@code Authorization} header in the same way.
 *
 * <p>The file has one token per line, {@code name:token} or {@code name:sha256:<64 hex digits>} (the SHA-256
 * of the token, so that the file need not hold the token itself); {@code #} starts a comment line, blank lines
 * are skipped. A name is letters, digits, {@code . _ -} (at most 64): it becomes the caller's name for fairness
 * between callers and a metrics label. Names and tokens must be unique. Only hashes are kept in memory, and a
 * presented token is compared with every one of them in constant time ({@link MessageDigest#isEqual}), so
 * neither the answer's timing nor its content tells which part was wrong.
 *
 * <p>Thread-safe: {@link #authenticate} reads an immutable list that a reload replaces whole.
 */
public final class TokenAuthenticator {
  private static final Logger log = LoggerFactory.getLogger(TokenAuthenticator.class);
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern HASH = Pattern.compile("sha256:([0-9a-fA-F]{64})");
  private static final String BEARER = "bearer ";
  private static final int SHORT_TOKEN = 16;

  private record Entry(String name, byte[] hash) {}

  private final Path file;
  private volatile List<Entry> entries;

  private TokenAuthenticator(Path file, List<Entry> entries) {
    this.file = file;
    this.entries = entries;
  }

  /**
   * Reads the token file.
   *
   * @throws CredentialFileException naming the file, the line and what is wrong with it
   */
  public static TokenAuthenticator fromFile(Path file) throws CredentialFileException {
    return new TokenAuthenticator(file, read(file));
  }

  /**
   * Reads the file again whenever it changes; a file that does not parse is logged and the tokens read before
   * stay in force.
   */
  public void watch(FileWatcher watcher) {
    watcher.watch("token file", List.of(file), () -> entries = read(file));
  }

  /**
   * The name of the caller whose token this is.
   *
   * @param authorization the {@code authorization} header's value, {@code Bearer <token>}, or null when absent
   * @return the token's name, or empty when the header is absent, malformed or names no token here
   */
  public Optional<String> authenticate(String authorization) {
    if (authorization == null || authorization.length() <= BEARER.length()
        || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return Optional.empty();
    }
    byte[] presented = sha256(authorization.substring(BEARER.length()).strip());
    String match = null;
    // Every entry is compared, whichever matches, so that the time taken does not depend on which did.
    for (Entry entry : entries) {
      if (MessageDigest.isEqual(entry.hash, presented)) {
        match = entry.name;
      }
    }
    return Optional.ofNullable(match);
  }

  /** The names of the tokens in force, for the log. */
  public List<String> names() {
    return entries.stream().map(Entry::name).toList();
  }

  private static List<Entry> read(Path file) throws CredentialFileException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new CredentialFileException(file, "no such file");
    } catch (IOException e) {
      throw new CredentialFileException(file, "cannot be read: " + e);
    }
    List<Entry> entries = new ArrayList<>();
    Set<String> names = new HashSet<>();
    List<String> shortTokens = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int number = i + 1;
      int colon = line.indexOf(':');
      if (colon < 0) {
        throw problem(file, number, "expected name:token or name:sha256:<hex>, found no ':'");
      }
      String name = line.substring(0, colon).strip();
      String secret = line.substring(colon + 1).strip();
      if (!NAME.matcher(name).matches()) {
        throw problem(file, number, "the name '" + name + "' must be 1 to 64 letters, digits, '.', '_' or '-'");
      }
      if (!names.add(name)) {
        throw problem(file, number, "the name '" + name + "' is given twice");
      }
      byte[] hash;
      var hashed = HASH.matcher(secret);
      if (hashed.matches()) {
        hash = HexFormat.of().parseHex(hashed.group(1).toLowerCase(Locale.ROOT));
      } else if (secret.toLowerCase(Locale.ROOT).startsWith("sha256:")) {
        throw problem(file, number, "a sha256: token must be 64 hex digits (the SHA-256 of the token)");
      } else if (secret.isEmpty()) {
        throw problem(file, number, "the token of '" + name + "' is empty");
      } else {
        hash = sha256(secret);
        if (secret.length() < SHORT_TOKEN) {
          shortTokens.add(name);
        }
      }
      for (Entry entry : entries) {
        if (MessageDigest.isEqual(entry.hash, hash)) {
          throw problem(file, number, "'" + name + "' has the same token as '" + entry.name + "'");
        }
      }
      entries.add(new Entry(name, hash));
    }
    if (entries.isEmpty()) {
      throw new CredentialFileException(file, "no tokens in it: every call would be refused");
    }
    if (!shortTokens.isEmpty()) {
      log.warn("{}: the tokens of {} are shorter than {} characters: easy to guess", file, shortTokens, SHORT_TOKEN);
    }
    return List.copyOf(entries);
  }

  private static CredentialFileException problem(Path file, int line, String problem) {
    return new CredentialFileException(file, "line " + line + ": " + problem);
  }

  private static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return "tokens from " + file;
  }
}
