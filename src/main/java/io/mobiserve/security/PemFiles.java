package io.mobiserve.security;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Certificates and private keys from PEM files, as cert-manager, {@code kubectl create secret tls} and
 * openssl write them, with errors that name the file and say what is wrong in it.
 *
 * <p>Private keys may be PKCS#8 ({@code BEGIN PRIVATE KEY}: RSA, EC, Ed25519), PKCS#1 ({@code BEGIN RSA
 * PRIVATE KEY}, cert-manager's default encoding) or SEC1 ({@code BEGIN EC PRIVATE KEY}); the JDK reads only
 * the first, so the other two are rewrapped as PKCS#8 here. Encrypted keys are refused: nothing could give
 * the server their password. Stateless and thread-safe.
 */
public final class PemFiles {
  private static final Pattern BLOCK = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----\\R(.*?)-----END \\1-----", Pattern.DOTALL);
  private static final Pattern HEADERS = Pattern.compile("\\R\\s*\\R");
  /** rsaEncryption, 1.2.840.113549.1.1.1, with its NULL parameters, as PKCS#8 names the algorithm. */
  private static final byte[] RSA_ALGORITHM = hex("300d06092a864886f70d0101010500");
  /** id-ecPublicKey, 1.2.840.10045.2.1, DER-encoded; the curve follows it in the algorithm identifier. */
  private static final byte[] EC_PUBLIC_KEY_OID = hex("06072a8648ce3d0201");
  private static final Map<String, String> SIGNATURES = Map.of(
      "RSA", "SHA256withRSA", "EC", "SHA256withECDSA", "Ed25519", "Ed25519", "Ed448", "Ed448", "EdDSA", "EdDSA");

  private PemFiles() {}

  /** A certificate chain, the server's (or client's) own first, and the private key of that first one. */
  public record CertifiedKey(X509Certificate[] chain, PrivateKey key) {}

  /**
   * Reads a certificate chain and its private key, and checks that they belong together and that the
   * certificate has not expired.
   *
   * @throws CredentialFileException naming the file at fault and why
   */
  public static CertifiedKey certifiedKey(Path certificateFile, Path keyFile) throws CredentialFileException {
    X509Certificate[] chain = certificates(certificateFile);
    PrivateKey key = privateKey(keyFile);
    checkValid(chain[0], certificateFile);
    if (!belongTogether(chain[0].getPublicKey(), key)) {
      throw new CredentialFileException(keyFile, "this private key does not belong to the certificate in "
          + certificateFile + " (" + subject(chain[0]) + ")");
    }
    return new CertifiedKey(chain, key);
  }

  /**
   * Every certificate in a PEM file (a chain, or a bundle of CAs), in file order; at least one.
   *
   * @throws CredentialFileException when the file cannot be read or holds no valid certificate
   */
  public static X509Certificate[] certificates(Path file) throws CredentialFileException {
    String text = read(file);
    List<X509Certificate> certificates = new ArrayList<>();
    List<String> others = new ArrayList<>();
    for (Block block : blocks(file, text)) {
      if (!block.type.equals("CERTIFICATE")) {
        others.add(block.type);
        continue;
      }
      try {
        certificates.add((X509Certificate) CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(block.der)));
      } catch (CertificateException e) {
        throw new CredentialFileException(file, "certificate " + (certificates.size() + 1) + " is not a valid X.509"
            + " certificate: " + e.getMessage());
      }
    }
    if (certificates.isEmpty()) {
      throw new CredentialFileException(file, "no certificate in it (no -----BEGIN CERTIFICATE----- block"
          + (others.isEmpty() ? "" : "; it holds " + String.join(", ", others)) + ")");
    }
    return certificates.toArray(X509Certificate[]::new);
  }

  /**
   * The one private key in a PEM file: PKCS#8, PKCS#1 (RSA) or SEC1 (EC), unencrypted.
   *
   * @throws CredentialFileException when the file cannot be read or holds no usable key
   */
  public static PrivateKey privateKey(Path file) throws CredentialFileException {
    String text = read(file);
    List<String> others = new ArrayList<>();
    for (Block block : blocks(file, text)) {
      switch (block.type) {
        case "PRIVATE KEY":
          return pkcs8(file, block.der);
        case "RSA PRIVATE KEY":
          if (block.encrypted) {
            throw encrypted(file);
          }
          return pkcs8(file, sequence(new byte[] {2, 1, 0}, RSA_ALGORITHM, octetString(block.der)));
        case "EC PRIVATE KEY":
          if (block.encrypted) {
            throw encrypted(file);
          }
          return pkcs8(file, sequence(new byte[] {2, 1, 0}, sequence(EC_PUBLIC_KEY_OID, sec1Curve(file, block.der)),
              octetString(block.der)));
        case "ENCRYPTED PRIVATE KEY":
          throw encrypted(file);
        default:
          others.add(block.type);
      }
    }
    throw new CredentialFileException(file, "no private key in it (no -----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or"
        + " EC PRIVATE KEY block" + (others.isEmpty() ? "" : "; it holds " + String.join(", ", others)) + ")");
  }

  /** The certificate's subject, as a person reads it. */
  public static String subject(X509Certificate certificate) {
    return certificate.getSubjectX500Principal().getName();
  }

  private static void checkValid(X509Certificate certificate, Path file) throws CredentialFileException {
    try {
      certificate.checkValidity();
    } catch (CertificateExpiredException e) {
      throw new CredentialFileException(file, "the certificate (" + subject(certificate) + ") expired on "
          + certificate.getNotAfter().toInstant());
    } catch (CertificateNotYetValidException e) {
      throw new CredentialFileException(file, "the certificate (" + subject(certificate) + ") is not valid before "
          + certificate.getNotBefore().toInstant() + " (is this machine's clock right?)");
    }
  }

  /** Signs with the private key and verifies with the certificate's public key. */
  private static boolean belongTogether(PublicKey certified, PrivateKey key) {
    if (!key.getAlgorithm().equals(certified.getAlgorithm())) {
      return false;
    }
    String algorithm = SIGNATURES.get(key.getAlgorithm());
    if (algorithm == null) {
      return true; // no plain signature to test with (RSASSA-PSS): the handshake will tell
    }
    try {
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certified);
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static PrivateKey pkcs8(Path file, byte[] der) throws CredentialFileException {
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (GeneralSecurityException e) {
        // not this algorithm; try the next
      }
    }
    throw new CredentialFileException(file, "the private key is not an RSA, EC or Ed25519 key this JVM can read");
  }

  /** The named curve of a SEC1 ECPrivateKey: its [0] field, which openssl and cert-manager always write. */
  private static byte[] sec1Curve(Path file, byte[] der) throws CredentialFileException {
    try {
      Der key = new Der(der, 0);
      int at = key.contentStart;
      while (at < key.end) {
        Der field = new Der(der, at);
        if ((der[at] & 0xff) == 0xa0) {
          Der curve = new Der(der, field.contentStart);
          return java.util.Arrays.copyOfRange(der, field.contentStart, curve.end);
        }
        at = field.end;
      }
    } catch (IndexOutOfBoundsException e) {
      throw new CredentialFileException(file, "the EC private key is not valid DER");
    }
    throw new CredentialFileException(file, "the EC private key does not name its curve (no parameters field)");
  }

  private static CredentialFileException encrypted(Path file) {
    return new CredentialFileException(file, "the private key is encrypted; give the server an unencrypted key"
        + " (openssl pkey -in KEY -out PLAIN) and protect the file instead (a Kubernetes Secret, mode 0400)");
  }

  private static String read(Path file) throws CredentialFileException {
    try {
      return Files.readString(file, StandardCharsets.ISO_8859_1);
    } catch (NoSuchFileException e) {
      throw new CredentialFileException(file, "no such file");
    } catch (IOException e) {
      throw new CredentialFileException(file, "cannot be read: " + e);
    }
  }

  private record Block(String type, byte[] der, boolean encrypted) {}

  private static List<Block> blocks(Path file, String text) throws CredentialFileException {
    List<Block> blocks = new ArrayList<>();
    Matcher matcher = BLOCK.matcher(text);
    while (matcher.find()) {
      String body = matcher.group(2);
      boolean encrypted = body.contains("Proc-Type: 4,ENCRYPTED");
      // RFC 1421 headers (Proc-Type, DEK-Info) end at a blank line; only the base64 after it is the DER.
      String[] parts = body.contains(":") ? HEADERS.split(body, 2) : new String[] {body};
      String base64 = parts[parts.length - 1].replaceAll("\\s", "");
      try {
        blocks.add(new Block(matcher.group(1), Base64.getDecoder().decode(base64), encrypted));
      } catch (IllegalArgumentException e) {
        throw new CredentialFileException(file, "its " + matcher.group(1) + " block is not valid base64");
      }
    }
    if (blocks.isEmpty()) {
      throw new CredentialFileException(file, text.isBlank() ? "the file is empty"
          : "not a PEM file (no -----BEGIN ...----- / -----END ...----- block)");
    }
    return blocks;
  }

  /** One DER element's extent: where its content starts and where the element ends. */
  private static final class Der {
    final int contentStart;
    final int end;

    Der(byte[] der, int at) {
      int length = der[at + 1] & 0xff;
      int start = at + 2;
      if (length > 0x80) {
        int bytes = length - 0x80;
        length = 0;
        for (int i = 0; i < bytes; i++) {
          length = (length << 8) | (der[start + i] & 0xff);
        }
        start += bytes;
      }
      if (start + length > der.length) {
        throw new IndexOutOfBoundsException();
      }
      this.contentStart = start;
      this.end = start + length;
    }
  }

  private static byte[] sequence(byte[]... parts) {
    return element(0x30, parts);
  }

  private static byte[] octetString(byte[] content) {
    return element(0x04, content);
  }

  private static byte[] element(int tag, byte[]... parts) {
    ByteArrayOutputStream content = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      content.writeBytes(part);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(tag);
    int length = content.size();
    if (length < 0x80) {
      out.write(length);
    } else {
      int bytes = length > 0xffffff ? 4 : length > 0xffff ? 3 : length > 0xff ? 2 : 1;
      out.write(0x80 + bytes);
      for (int i = bytes - 1; i >= 0; i--) {
        out.write(length >>> (8 * i));
      }
    }
    out.writeBytes(content.toByteArray());
    return out.toByteArray();
  }

  private static byte[] hex(String text) {
    return java.util.HexFormat.of().parseHex(text);
  }
}
