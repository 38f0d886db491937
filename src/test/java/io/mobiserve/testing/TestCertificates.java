package io.mobiserve.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * Certificate authorities and the certificates they issue, made in the test (never committed): a server's
 * for localhost and 127.0.0.1, a client's with a common name, written as PEM files the way cert-manager and
 * openssl write them.
 */
public final class TestCertificates {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  private TestCertificates() {}

  /** A key pair and its certificate. */
  public record Issued(KeyPair keys, X509Certificate certificate) {
    public String subject() {
      return certificate.getSubjectX500Principal().getName();
    }

    /** Writes the certificate as PEM. */
    public Path writeCertificate(Path file) throws IOException {
      Files.writeString(file, pem(certificate));
      return file;
    }

    /** Writes the private key as PKCS#8 ({@code BEGIN PRIVATE KEY}). */
    public Path writeKey(Path file) throws IOException {
      Files.writeString(file, pem(new PemObject("PRIVATE KEY", keys.getPrivate().getEncoded())));
      return file;
    }

    /**
     * Writes the private key in OpenSSL's traditional form, as cert-manager's default PKCS1 encoding does:
     * PKCS#1 for RSA, SEC1 with its curve and public key for EC.
     */
    public Path writeTraditionalKey(Path file) throws IOException {
      if (!keys.getPrivate().getAlgorithm().equals("EC")) {
        Files.writeString(file, pem(new JcaMiscPEMGenerator(keys.getPrivate()).generate()));
        return file;
      }
      // The JDK's PKCS#8 leaves the curve out of the inner SEC1 structure; openssl writes it there.
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(keys.getPrivate().getEncoded());
      ECPrivateKey inner = ECPrivateKey.getInstance(info.parsePrivateKey());
      ECPrivateKey sec1 = new ECPrivateKey(256, inner.getKey(),
          SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded()).getPublicKeyData(),
          info.getPrivateKeyAlgorithm().getParameters());
      Files.writeString(file, pem(new PemObject("EC PRIVATE KEY", sec1.getEncoded())));
      return file;
    }
  }

  /** A self-signed certificate authority, with an EC P-256 key. */
  public static Issued authority(String name) {
    KeyPair keys = ec();
    return new Issued(keys, sign(name, keys, name, keys.getPrivate(), true, Duration.ofDays(2), null));
  }

  /** A server certificate for localhost and 127.0.0.1 signed by {@code ca}, with an EC key. */
  public static Issued server(Issued ca, String name) {
    return server(ca, name, ec(), Duration.ofDays(1));
  }

  /** A server certificate with the given keys and lifetime (negative: expired). */
  public static Issued server(Issued ca, String name, KeyPair keys, Duration lifetime) {
    GeneralNames names = new GeneralNames(new GeneralName[] {
        new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")});
    return new Issued(keys, sign(name, keys, ca.subject(), ca.keys.getPrivate(), false, lifetime, names));
  }

  /** A client certificate with common name {@code commonName}, signed by {@code ca}. */
  public static Issued client(Issued ca, String commonName) {
    KeyPair keys = ec();
    return new Issued(keys, sign("CN=" + commonName, keys, ca.subject(), ca.keys.getPrivate(), false,
        Duration.ofDays(1), null));
  }

  public static KeyPair ec() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static KeyPair rsa() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String pem(Object object) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(object);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toString();
  }

  private static X509Certificate sign(String subject, KeyPair keys, String issuer, PrivateKey issuerKey,
      boolean authority, Duration lifetime, GeneralNames names) {
    Instant now = Instant.now();
    Instant from = lifetime.isNegative() ? now.plus(lifetime).minus(Duration.ofDays(1)) : now.minusSeconds(60);
    Instant to = lifetime.isNegative() ? now.plus(lifetime) : now.plus(lifetime);
    try {
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(issuer),
          BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(from), Date.from(to), new X500Name(subject),
          keys.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(authority));
      builder.addExtension(Extension.keyUsage, true, authority
          ? new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign)
          : new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      if (names != null) {
        builder.addExtension(Extension.subjectAlternativeName, false, names);
      }
      String algorithm = issuerKey.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
      ContentSigner signer = new JcaContentSignerBuilder(algorithm).build(issuerKey);
      return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }
}
