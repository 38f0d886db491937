'use strict';
// TLS, mutual TLS, tokens, round-robin and connection renewal, against real servers on loopback: the jar served
// with certificates this file makes with openssl (test/pki.js) and a token file, driven through createClient and
// the command lines.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');
const ms = require('../lib/mobiserve');
const pki = require('./pki');
const { startServer, DIGITS } = require('./live-server');

const NODE_DIR = path.resolve(__dirname, '..');
const DIGIT = path.join(DIGITS, 'heldout', '0000_2.png');
const TOKEN = 'node-token-0123456789abcdef';
const CLASSIFY = 'mobiserve.v1.ClassifyService/Classify';
const STREAM = 'mobiserve.v1.ClassifyService/ClassifyStream';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mobiserve-node-tls-'));
const files = {};
files.ca = pki.authority(tmp, 'ca');
files.otherCa = pki.authority(tmp, 'other-ca');
// The server's certificate names localhost only: a client dialling 127.0.0.1 must be told that name.
files.server = pki.issue(tmp, 'ca', 'server', { serverNames: ['localhost'] });
files.client = pki.issue(tmp, 'ca', 'node-client', { client: true });
files.stranger = pki.issue(tmp, 'other-ca', 'stranger', { client: true });
files.tokens = path.join(tmp, 'tokens');
fs.writeFileSync(files.tokens, `# who may call\nnode:${TOKEN}\n`);
files.tokenFile = path.join(tmp, 'my-token');
fs.writeFileSync(files.tokenFile, `# the token of node\n\n${TOKEN}\n`);

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs a command line of the package with `env` in place of the token variables. */
function run(script, args, env = {}) {
  const base = { ...process.env };
  delete base[ms.TOKEN_VARIABLE];
  delete base[ms.TOKEN_FILE_VARIABLE];
  return promisify(execFile)(process.execPath, [script, ...args.map(String)],
    { cwd: NODE_DIR, timeout: 120_000, env: { ...base, ...env } })
    .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }))
    .catch((err) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }));
}


/** The sum of the samples of `name` carrying every given label (0 when there is none). */
function sample(text, name, labels = {}) {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries([...(m[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) total += Number(m[3]);
  }
  return total;
}

async function topLabel(client) {
  const response = await ms.classify(client, [ms.encodedImage(fs.readFileSync(DIGIT), 'digit')], 1);
  return response.results[0].classes[0].label;
}

function topLabelOf(r) {
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], '0000_2.png');
  return lines[1].trim().split(/\s+/)[0];
}

/** A stream of `count` small frames: resolves with the responses, or rejects with the call's error. */
function streamFrames(client, count) {
  const call = client.classifyStream();
  const responses = [];
  const done = new Promise((resolve, reject) => {
    call.on('data', (r) => responses.push(r));
    call.on('end', () => resolve(responses));
    call.on('error', reject);
  });
  const pixels = Buffer.alloc(64 * 64 * 3, 128);
  for (let i = 0; i < count; i++) call.write(ms.frameRequest(ms.rawImage(pixels, 64, 64), i, { policy: i === 0 ? 'block' : undefined }));
  call.end();
  return done;
}

describe('TLS with tokens, connections renewed after 1 s', () => {
  let server;
  let byName;
  let byAddress;
  const clients = [];
  const client = (target, options) => {
    const c = ms.createClient(target, options);
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await startServer(['--tls-cert', files.server.cert, '--tls-key', files.server.key,
      '--auth-tokens', files.tokens, '--metrics-port', '0', '--max-connection-age', '1s']);
    const port = server.target.split(':').at(-1);
    byName = `localhost:${port}`;
    byAddress = `127.0.0.1:${port}`;
  });

  after(async () => {
    for (const c of clients) c.close();
    if (server) await server.stop();
  });

  it('createClient trusting the CA, with the token, classifies', async () => {
    assert.equal(await topLabel(client(byName, { ca: files.ca, token: TOKEN })), '2');
  });

  it('takes the CA as a Buffer as well as a path', async () => {
    assert.equal(await topLabel(client(byName, { ca: fs.readFileSync(files.ca), token: TOKEN })), '2');
  });

  it('classify.js with --tls-ca and --token-file classifies', async () => {
    const r = await run('classify.js', ['--target', byName, '--tls-ca', files.ca, '--token-file', files.tokenFile,
      '--top-k', '1', DIGIT]);
    assert.equal(topLabelOf(r), '2');
  });

  it('a certificate for another name fails unless the server name is given', async () => {
    const wrongName = await run('classify.js', ['--target', byAddress, '--tls-ca', files.ca, '--token', TOKEN,
      '--timeout', '10', DIGIT]);
    const named = await run('classify.js', ['--target', byAddress, '--tls-ca', files.ca, '--token', TOKEN,
      '--tls-server-name', 'localhost', DIGIT]);

    assert.equal(wrongName.code, 1);
    assert.match(wrongName.stderr, /^error: UNAVAILABLE: /m); // grpc-js may warn before it (TLS to an IP address)
    assert.equal(topLabelOf(named), '2');
    assert.equal(await topLabel(client(byAddress, { ca: files.ca, serverName: 'localhost', token: TOKEN })), '2');
  });

  it('a client trusting another CA fails with UNAVAILABLE', async () => {
    await assert.rejects(topLabel(client(byName, { ca: files.otherCa, token: TOKEN })),
      (err) => err.code === ms.grpc.status.UNAVAILABLE);
  });

  it('plaintext to the TLS port fails with UNAVAILABLE', async () => {
    await assert.rejects(topLabel(client(byName, { token: TOKEN })), (err) => err.code === ms.grpc.status.UNAVAILABLE);
  });

  it('without a token classify.js says UNAUTHENTICATED and exits 1; a wrong token is UNAUTHENTICATED', async () => {
    const r = await run('classify.js', ['--target', byName, '--tls-ca', files.ca, DIGIT]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: UNAUTHENTICATED: /);
    await assert.rejects(topLabel(client(byName, { ca: files.ca, token: `not-${TOKEN}` })),
      (err) => err.code === ms.grpc.status.UNAUTHENTICATED);
  });

  it('the token comes from --token, --token-file, MOBISERVE_TOKEN, MOBISERVE_TOKEN_FILE, in that order', async () => {
    const common = ['--target', byName, '--tls-ca', files.ca, '--top-k', '1'];
    const wrong = 'wrong-token-0123456789';
    const runs = await Promise.all([
      run('classify.js', [...common, DIGIT], { MOBISERVE_TOKEN: TOKEN }),
      run('classify.js', [...common, DIGIT], { MOBISERVE_TOKEN_FILE: files.tokenFile }),
      run('classify.js', [...common, '--token', TOKEN, DIGIT], { MOBISERVE_TOKEN: wrong }),
      run('classify.js', [...common, '--token-file', files.tokenFile, DIGIT], { MOBISERVE_TOKEN: wrong }),
      run('classify.js', [...common, DIGIT], { MOBISERVE_TOKEN: TOKEN, MOBISERVE_TOKEN_FILE: '/nonexistent/token' }),
    ]);
    for (const r of runs) assert.equal(topLabelOf(r), '2');
    const flagLoses = await run('classify.js', [...common, '--token', wrong, DIGIT], { MOBISERVE_TOKEN: TOKEN });
    assert.equal(flagLoses.code, 1);
    assert.match(flagLoses.stderr, /^error: UNAUTHENTICATED: /);
  });

  it('calls over 3.5 s survive the renewal of their connection, each renewal a new handshake', async () => {
    const before = sample(await server.metrics(), 'mobiserve_grpc_connections_opened_total');
    const c = client(byName, { ca: files.ca, token: TOKEN });
    let calls = 0;
    const end = Date.now() + 3500;
    while (Date.now() < end) {
      assert.equal(await topLabel(c), '2'); // a failed call rejects
      calls++;
      await new Promise((r) => setTimeout(r, 50));
    }
    const opened = sample(await server.metrics(), 'mobiserve_grpc_connections_opened_total') - before;
    assert.ok(calls > 20, `${calls} calls`);
    assert.ok(opened >= 2, `${opened} connections opened by one client over 3.5 s with a 1 s maximum age`);
  });

  it('KServe v2 over TLS with the token: createKServeClient and classify.js --protocol kserve', async () => {
    const k = ms.createKServeClient(byName, { ca: files.ca, token: TOKEN });
    const anonymous = ms.createKServeClient(byName, { ca: files.ca });
    try {
      assert.equal(await k.serverReady(), true);
      const [classes] = await k.infer('digits-mobilenetv3-small', [DIGIT], 1);
      assert.equal(classes[0].label, '2');
      await assert.rejects(anonymous.serverReady(), (err) => err.code === ms.grpc.status.UNAUTHENTICATED);
    } finally {
      k.close();
      anonymous.close();
    }
    const r = await run('classify.js', ['--target', byName, '--tls-ca', files.ca, '--protocol', 'kserve', '--top-k', '1',
      DIGIT], { MOBISERVE_TOKEN_FILE: files.tokenFile });
    assert.equal(topLabelOf(r), '2');
  });

  it('stream.js over TLS takes its token from MOBISERVE_TOKEN', async () => {
    const r = await run('stream.js', ['--target', byName, '--tls-ca', files.ca, '--frames', '5', '--fps', '0',
      '--size', '64x64'], { MOBISERVE_TOKEN: TOKEN });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^server summary: received 5, classified 5, dropped 0, failed 0;/m);
  });
});

describe('mutual TLS', () => {
  let server;
  let target;

  before(async () => {
    server = await startServer(['--tls-cert', files.server.cert, '--tls-key', files.server.key,
      '--tls-client-ca', files.ca, '--auth-tokens', files.tokens]);
    target = `localhost:${server.target.split(':').at(-1)}`;
  });

  after(async () => {
    if (server) await server.stop();
  });

  it('with a client certificate the CA signed, classify.js and stream.js are served', async () => {
    const tls = ['--tls-ca', files.ca, '--tls-cert', files.client.cert, '--tls-key', files.client.key];
    const classified = await run('classify.js', ['--target', target, ...tls, '--top-k', '1', DIGIT],
      { MOBISERVE_TOKEN: TOKEN });
    const streamed = await run('stream.js', ['--target', target, ...tls, '--frames', '3', '--fps', '0',
      '--size', '64x64'], { MOBISERVE_TOKEN_FILE: files.tokenFile });
    assert.equal(topLabelOf(classified), '2');
    assert.equal(streamed.code, 0, streamed.stderr);
  });

  it('without a client certificate, or with one another CA signed, the call fails', async () => {
    for (const extra of [[], ['--tls-cert', files.stranger.cert, '--tls-key', files.stranger.key]]) {
      const r = await run('classify.js', ['--target', target, '--tls-ca', files.ca, '--token', TOKEN,
        '--timeout', '10', ...extra, DIGIT]);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /^error: UNAVAILABLE: /m);
    }
  });

  it('a certificate without its key, or a CA file that is not there, is refused with exit code 2', async () => {
    const noKey = await run('classify.js', ['--target', target, '--tls-cert', files.client.cert, DIGIT]);
    const noCa = await run('classify.js', ['--target', target, '--tls-ca', '/nonexistent/ca.crt', DIGIT]);
    assert.equal(noKey.code, 2);
    assert.equal(noKey.stderr, 'error: --tls-cert needs --tls-key (its private key)\n');
    assert.equal(noCa.code, 2);
    assert.equal(noCa.stderr, 'error: --tls-ca: /nonexistent/ca.crt: no such file\n');
  });
});

describe('plaintext replicas with tokens', () => {
  const replicas = [];
  let both;
  const clients = [];
  const client = (target, options) => {
    const c = ms.createClient(target, options);
    clients.push(c);
    return c;
  };
  const counts = (name, labels) => Promise.all(replicas.map(async (r) => sample(await r.metrics(), name, labels)));

  before(async () => {
    for (let i = 0; i < 2; i++) {
      replicas.push(await startServer(['--auth-tokens', files.tokens, '--metrics-port', '0']));
    }
    both = `ipv4:${replicas.map((r) => r.target).join(',')}`;
  });

  after(async () => {
    for (const c of clients) c.close();
    for (const r of replicas) await r.stop();
  });

  it('the token goes on unary calls, on streams and on KServe v2 calls', async () => {
    const before = await counts('mobiserve_requests_total', { method: STREAM, caller: 'node', code: 'OK' });
    const c = client(replicas[0].target, { token: TOKEN });
    assert.equal(await topLabel(c), '2');
    const responses = await streamFrames(c, 3);
    assert.equal(responses.length, 4);
    assert.ok(responses.at(-1).summary);
    const after = await counts('mobiserve_requests_total', { method: STREAM, caller: 'node', code: 'OK' });
    assert.equal(after[0] - before[0], 1);
    const k = ms.createKServeClient(replicas[0].target, { token: TOKEN });
    try {
      assert.equal((await k.infer('digits-mobilenetv3-small', [DIGIT], 1))[0][0].label, '2');
    } finally {
      k.close();
    }
  });

  it('without a token, calls and streams are UNAUTHENTICATED', async () => {
    const c = client(replicas[0].target);
    await assert.rejects(topLabel(c), (err) => err.code === ms.grpc.status.UNAUTHENTICATED);
    await assert.rejects(streamFrames(c, 1), (err) => err.code === ms.grpc.status.UNAUTHENTICATED);
    const r = await run('classify.js', ['--target', replicas[0].target, DIGIT]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: UNAUTHENTICATED: /);
  });

  it('an ipv4: target naming both spreads the calls round-robin', async () => {
    const c = client(both, { token: TOKEN });
    // Round-robin picks among the connections that are ready; a replica's first connection can take a while (its
    // JVM loads the code for it), so wait until a call has reached each before counting. Without round-robin
    // (pick_first) the second never gets one.
    const start = await counts('mobiserve_requests_total', { method: CLASSIFY, code: 'OK' });
    const until = Date.now() + 20_000;
    for (let reached = [0, 0]; Math.min(...reached) === 0; ) {
      assert.ok(Date.now() < until, `calls reached the replicas ${reached} times in 20 s`);
      await topLabel(c);
      reached = (await counts('mobiserve_requests_total', { method: CLASSIFY, code: 'OK' })).map((n, i) => n - start[i]);
    }
    const before = await counts('mobiserve_requests_total', { method: CLASSIFY, code: 'OK' });
    for (let i = 0; i < 20; i++) await topLabel(c);
    const after = await counts('mobiserve_requests_total', { method: CLASSIFY, code: 'OK' });
    const served = after.map((a, i) => a - before[i]);
    assert.equal(served[0] + served[1], 20, String(served));
    assert.ok(Math.min(...served) >= 5, String(served));
  });
});

describe('tokens and targets, without a server', () => {
  it('a token file\'s token is its first line that is neither blank nor a comment', () => {
    assert.equal(ms.readTokenFile(files.tokenFile), TOKEN);
  });

  it('resolveToken: flag, file, variable, variable\'s file; refusals name the source', () => {
    const env = { MOBISERVE_TOKEN: 'from-variable', MOBISERVE_TOKEN_FILE: files.tokenFile };
    assert.equal(ms.resolveToken({ token: 'flag' }, env), 'flag');
    assert.equal(ms.resolveToken({ tokenFile: files.tokenFile }, env), TOKEN);
    assert.equal(ms.resolveToken({}, env), 'from-variable');
    assert.equal(ms.resolveToken({}, { MOBISERVE_TOKEN_FILE: files.tokenFile }), TOKEN);
    assert.equal(ms.resolveToken({}, { MOBISERVE_TOKEN: '  ' }), undefined);
    assert.throws(() => ms.resolveToken({ token: 'a', tokenFile: files.tokenFile }, {}), /not both/);
    assert.throws(() => ms.resolveToken({ token: 'two words' }, {}), /printable ASCII without spaces/);
    const empty = path.join(tmp, 'empty-token');
    fs.writeFileSync(empty, '# nothing\n\n');
    assert.throws(() => ms.resolveToken({ tokenFile: empty }, {}), /no token in it/);
  });

  it('round-robin for dns: and ipv4: targets only', () => {
    assert.equal(ms.roundRobin('dns:///mobiserve:8500'), true);
    assert.equal(ms.roundRobin('ipv4:10.0.0.1:1,10.0.0.2:1'), true);
    assert.equal(ms.roundRobin('mobiserve:8500'), false);
  });
});
