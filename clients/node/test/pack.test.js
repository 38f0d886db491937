'use strict';
// The package as a user gets it: `npm pack`, installed from the tarball into an empty directory outside
// the repository, its mobiserve-classify command run against a live server, through ClassifyService and
// through KServe v2. Proves the protos travel inside the package and that it is not private.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');
const { startServer, DIGITS } = require('./live-server');

const run = promisify(execFile);
const NODE_DIR = path.resolve(__dirname, '..');
let server;
let tmp;

test.before(async () => {
  server = await startServer();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mobiserve-node-pack-'));
});

test.after(async () => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  if (server) await server.stop();
});

test('npm pack gives a package that classifies from outside the repository', async () => {
  const packed = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: NODE_DIR, timeout: 120_000 });
  const [info] = JSON.parse(packed.stdout);
  const files = info.files.map((f) => f.path);
  assert.ok(files.includes('proto/mobiserve/v1/classify.proto'), files.join(', '));
  assert.ok(files.includes('proto/inference/grpc_service.proto'), files.join(', '));
  const app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), '{"name": "app", "version": "1.0.0", "private": true}');
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(tmp, info.filename)],
    { cwd: app, timeout: 300_000 });

  const { stdout } = await run(path.join(app, 'node_modules', '.bin', 'mobiserve-classify'),
    ['--target', server.target, '--top-k', '1', path.join(DIGITS, 'heldout', '0001_5.png')],
    { cwd: app, timeout: 60_000, env: { ...process.env, MOBISERVE_PROTO_DIR: '' } });
  assert.match(stdout, /^0001_5\.png\n {2}5 +\d\.\d{4}\n$/);
  const kserve = await run(path.join(app, 'node_modules', '.bin', 'mobiserve-classify'),
    ['--target', server.target, '--protocol', 'kserve', '--top-k', '1', path.join(DIGITS, 'heldout', '0001_5.png')],
    { cwd: app, timeout: 60_000, env: { ...process.env, MOBISERVE_PROTO_DIR: '' } });
  assert.match(kserve.stdout, /^0001_5\.png\n {2}5 +\d\.\d{4}\n$/);
  assert.ok(fs.existsSync(path.join(app, 'node_modules', 'mobiserve-client', 'proto', 'mobiserve', 'v1', 'classify.proto')));
});
