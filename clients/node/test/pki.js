'use strict';
// Certificate authorities and the certificates they sign, made in the test with the openssl command (never
// committed): EC P-256 keys, PEM files as openssl and cert-manager write them.

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

function openssl(dir, ...args) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
}

/** NAME.crt and NAME.key in `dir`: a self-signed CA. */
function authority(dir, name) {
  openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`);
  return path.join(dir, `${name}.crt`);
}

/**
 * NAME.crt and NAME.key in `dir`, signed by the CA named `ca`: a server's certificate for `serverNames` (DNS names
 * and IP addresses), or with `client` a client's (common name NAME).
 */
function issue(dir, ca, name, { serverNames = [], client = false } = {}) {
  openssl(dir, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`,
    '-keyout', `${name}.key`, '-out', `${name}.csr`);
  const extensions = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${client ? 'clientAuth' : 'serverAuth'}`];
  if (serverNames.length) {
    extensions.push(`subjectAltName=${serverNames.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',')}`);
  }
  fs.writeFileSync(path.join(dir, `${name}.ext`), `${extensions.join('\n')}\n`);
  openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial',
    '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
  return { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
}

module.exports = { authority, issue };
