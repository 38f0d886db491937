package io.mobiserve.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.testing.TestCertificates;
import io.mobiserve.testing.TestCertificates.Issued;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Certificates and keys as cert-manager, kubectl and openssl write them, and every way a file can be wrong. */
class PemFilesTest {
  private static final Issued CA = TestCertificates.authority("CN=Test CA");

  @TempDir
  Path dir;

  @Test
  void certifiedKey_readsAnEcKeyInEachEncoding() throws Exception {
    Issued server = TestCertificates.server(CA, "CN=server");
    Path cert = server.writeCertificate(dir.resolve("tls.crt"));

    PemFiles.CertifiedKey pkcs8 = PemFiles.certifiedKey(cert, server.writeKey(dir.resolve("pkcs8.key")));
    PemFiles.CertifiedKey sec1 = PemFiles.certifiedKey(cert, server.writeTraditionalKey(dir.resolve("sec1.key")));

    assertThat(Files.readString(dir.resolve("sec1.key"))).startsWith("-----BEGIN EC PRIVATE KEY-----");
    assertThat(pkcs8.key().getEncoded()).isEqualTo(server.keys().getPrivate().getEncoded());
    assertThat(sec1.key().getAlgorithm()).isEqualTo("EC");
    assertThat(sec1.chain()).containsExactly(server.certificate());
  }

  @Test
  void certifiedKey_readsAnRsaKeyInPkcs1AsCertManagerWritesItByDefault() throws Exception {
    Issued server = TestCertificates.server(CA, "CN=server", TestCertificates.rsa(), Duration.ofDays(1));
    Path key = server.writeTraditionalKey(dir.resolve("tls.key"));

    PemFiles.CertifiedKey read = PemFiles.certifiedKey(server.writeCertificate(dir.resolve("tls.crt")), key);

    assertThat(Files.readString(key)).startsWith("-----BEGIN RSA PRIVATE KEY-----");
    assertThat(read.key().getEncoded()).isEqualTo(server.keys().getPrivate().getEncoded());
  }

  @Test
  void certificates_readsAChainInFileOrder() throws Exception {
    Issued server = TestCertificates.server(CA, "CN=server");
    Path chain = dir.resolve("chain.pem");
    Files.writeString(chain, TestCertificates.pem(server.certificate()) + TestCertificates.pem(CA.certificate()));

    assertThat(PemFiles.certificates(chain)).containsExactly(server.certificate(), CA.certificate());
  }

  @Test
  void certifiedKey_refusesAKeyOfAnotherCertificateNamingBothFiles() throws Exception {
    Issued server = TestCertificates.server(CA, "CN=server");
    Issued other = TestCertificates.server(CA, "CN=other");
    Path cert = server.writeCertificate(dir.resolve("tls.crt"));
    Path key = other.writeKey(dir.resolve("tls.key"));

    assertThatThrownBy(() -> PemFiles.certifiedKey(cert, key))
        .isInstanceOf(CredentialFileException.class)
        .hasMessage(key + ": this private key does not belong to the certificate in " + cert + " (CN=server)");
  }

  @Test
  void certifiedKey_refusesAnExpiredCertificate() throws Exception {
    Issued expired = TestCertificates.server(CA, "CN=old", TestCertificates.ec(), Duration.ofHours(-1));
    Path cert = expired.writeCertificate(dir.resolve("tls.crt"));

    assertThatThrownBy(() -> PemFiles.certifiedKey(cert, expired.writeKey(dir.resolve("tls.key"))))
        .hasMessageStartingWith(cert + ": the certificate (CN=old) expired on ");
  }

  @Test
  void privateKey_refusesEncryptedKeysAndFilesWithoutAKey() throws Exception {
    Path encrypted = dir.resolve("encrypted.key");
    Files.writeString(encrypted, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjAp\n"
        + "-----END ENCRYPTED PRIVATE KEY-----\n");
    Path legacyEncrypted = dir.resolve("legacy.key");
    Files.writeString(legacyEncrypted, "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
        + "DEK-Info: AES-128-CBC,0123456789ABCDEF0123456789ABCDEF\n\nMIIBvTBXBgkqhkiG9w0BBQ0wSjAp\n"
        + "-----END RSA PRIVATE KEY-----\n");
    Path certificate = CA.writeCertificate(dir.resolve("ca.crt"));

    assertThatThrownBy(() -> PemFiles.privateKey(encrypted)).hasMessageContaining("the private key is encrypted");
    assertThatThrownBy(() -> PemFiles.privateKey(legacyEncrypted)).hasMessageContaining("the private key is encrypted");
    assertThatThrownBy(() -> PemFiles.privateKey(certificate))
        .hasMessage(certificate + ": no private key in it (no -----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or"
            + " EC PRIVATE KEY block; it holds CERTIFICATE)");
  }

  @Test
  void certificates_refusesMissingEmptyAndNonPemFilesAndCorruptCertificates() throws Exception {
    Path missing = dir.resolve("missing.crt");
    Path empty = Files.writeString(dir.resolve("empty.crt"), "");
    Path der = Files.write(dir.resolve("der.crt"), CA.certificate().getEncoded());
    Path key = CA.writeKey(dir.resolve("ca.key"));
    Path corrupt = Files.writeString(dir.resolve("corrupt.crt"),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");

    assertThatThrownBy(() -> PemFiles.certificates(missing)).hasMessage(missing + ": no such file");
    assertThatThrownBy(() -> PemFiles.certificates(empty)).hasMessage(empty + ": the file is empty");
    assertThatThrownBy(() -> PemFiles.certificates(der))
        .hasMessage(der + ": not a PEM file (no -----BEGIN ...----- / -----END ...----- block)");
    assertThatThrownBy(() -> PemFiles.certificates(key))
        .hasMessage(key + ": no certificate in it (no -----BEGIN CERTIFICATE----- block; it holds PRIVATE KEY)");
    assertThatThrownBy(() -> PemFiles.certificates(corrupt))
        .hasMessageStartingWith(corrupt + ": certificate 1 is not a valid X.509 certificate");
  }
}
