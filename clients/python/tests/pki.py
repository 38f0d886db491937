"""Certificate authorities and the certificates they sign, made in the test with the openssl command (never
committed): EC P-256 keys, PEM files as openssl and cert-manager write them."""

import pathlib
import subprocess


def _openssl(*args, cwd):
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed:\n{result.stderr}")


class Pki:
    """Writes into `directory`: `authority(name)` a self-signed CA, `issue(...)` a certificate it signs."""

    def __init__(self, directory):
        self.dir = pathlib.Path(directory)

    def authority(self, name):
        """NAME.crt and NAME.key: a self-signed CA."""
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                 "-subj", f"/CN={name}", "-keyout", f"{name}.key", "-out", f"{name}.crt", cwd=self.dir)
        return self.dir / f"{name}.crt"

    def issue(self, ca, name, server_names=(), client=False):
        """NAME.crt and NAME.key signed by the CA `ca` (a name given to authority): a server's certificate for
        `server_names` (DNS names and IP addresses), or a client's (common name NAME)."""
        _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", f"/CN={name}",
                 "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=self.dir)
        extensions = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment",
                      "extendedKeyUsage=" + ("clientAuth" if client else "serverAuth")]
        if server_names:
            extensions.append("subjectAltName=" + ",".join(
                ("IP:" if n.replace(".", "").isdigit() else "DNS:") + n for n in server_names))
        (self.dir / f"{name}.ext").write_text("\n".join(extensions) + "\n")
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key", "-CAcreateserial",
                 "-days", "1", "-extfile", f"{name}.ext", "-out", f"{name}.crt", cwd=self.dir)
        return self.dir / f"{name}.crt", self.dir / f"{name}.key"
