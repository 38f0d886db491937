'use strict';
// The Node command lines and library against a live server this file starts: ClassifyService and the KServe v2
// service beside it. The stream tests also check the stream contract of the proto (one ClassifyStreamResponse
// per ClassifyStreamRequest echoing frame_id/capture_time_us, each with a real FrameStatus, then the final
// StreamSummary).

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');
const ms = require('../lib/mobiserve');
const { startServer, DIGITS } = require('./live-server');

const NODE_DIR = path.resolve(__dirname, '..');
const HELDOUT = path.join(DIGITS, 'heldout');
const STREAM_FRAMES = 30;

const MODEL = 'digits-mobilenetv3-small';

let server;
let client;
let kserve;
let tmp;
let streamRun;

function run(script, ...args) {
  return promisify(execFile)(process.execPath, [script, ...args], { cwd: NODE_DIR, timeout: 120_000 })
    .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }))
    .catch((err) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }));
}

function frameLines(stdout) {
  const lines = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith('server summary:') || line.startsWith('client:')) break;
    const m = /^(\d+) +(?:(DROPPED) +[\d.]+ ms|(ERROR) .*|(\S.*?) +(\d\.\d{4}) +([\d.]+) ms)$/.exec(line);
    assert.ok(m, `not a frame line: ${JSON.stringify(line)}`);
    lines.push(m);
  }
  return lines;
}

test.before(async () => {
  server = await startServer();
  client = ms.createClient(server.target);
  kserve = ms.createKServeClient(server.target);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mobiserve-node-'));
  streamRun = await run('stream.js', '--target', server.target, '--frames', String(STREAM_FRAMES), '--fps', '30');
});

test.after(async () => {
  if (client) client.close();
  if (kserve) kserve.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  if (server) await server.stop();
});

test('classify.js prints the top-k classes of each file', async () => {
  const r = await run('classify.js', '--target', server.target, '--top-k', '3',
    path.join(HELDOUT, '0000_2.png'), path.join(HELDOUT, '0001_5.png'));
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 8, r.stdout);
  assert.equal(lines[0], '0000_2.png');
  assert.equal(lines[4], '0001_5.png');
  for (const line of [...lines.slice(1, 4), ...lines.slice(5)]) assert.match(line, /^ {2}\S.* \d\.\d{4}$/);
  assert.equal(lines[1].trim().split(/\s+/)[0], '2');
  assert.equal(lines[5].trim().split(/\s+/)[0], '5');
});

test('Classify answers a batch in order with the ids and timings', async () => {
  const images = ['0002_1.png', '0000_2.png'].map((f) => ms.encodedImage(fs.readFileSync(path.join(HELDOUT, f)), f));
  const response = await ms.classify(client, images, 10);
  assert.deepEqual(response.results.map((r) => r.id), ['0002_1.png', '0000_2.png']);
  assert.deepEqual(response.results.map((r) => r.classes[0].label), ['1', '2']);
  for (const r of response.results) {
    assert.equal(r.classes.length, 10);
    assert.ok(Math.abs(r.classes.reduce((s, c) => s + c.probability, 0) - 1) < 1e-3);
    assert.ok(r.timings.batchSize >= 1);
  }
});

test('a truncated PNG is INVALID_ARGUMENT, naming the image', async () => {
  const png = fs.readFileSync(path.join(HELDOUT, '0000_2.png'));
  const truncated = png.subarray(0, png.length >> 1);
  await assert.rejects(ms.classify(client, [ms.encodedImage(truncated)]), (err) => {
    assert.equal(err.code, ms.grpc.status.INVALID_ARGUMENT);
    assert.match(err.details, /^image 0: /);
    return true;
  });
  const file = path.join(tmp, 'truncated.png');
  fs.writeFileSync(file, truncated);
  const r = await run('classify.js', '--target', server.target, file);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^error: INVALID_ARGUMENT: image 0: /);
});

test('GetModelInfo describes the served model', async () => {
  const info = await ms.getModelInfo(client);
  assert.equal(info.numClasses, 10);
  assert.equal(info.hasLabels, true);
  assert.deepEqual(info.inputShape.slice(1), [3, 64, 64]);
  assert.ok(info.limits.maxImagesPerRequest > 0);
  assert.equal(info.preprocessing.mean.length, 3);
});

test('stream.js: every frame classified, with the client summary', () => {
  const lines = frameLines(streamRun.stdout);
  assert.equal(lines.length, STREAM_FRAMES, streamRun.stdout.slice(-2000));
  for (const m of lines) assert.ok(m[4] !== undefined, m[0]);
  assert.match(streamRun.stdout,
    new RegExp(`^client: sent ${STREAM_FRAMES}, answered ${STREAM_FRAMES} \\(ok ${STREAM_FRAMES}, dropped 0, error 0\\) `
      + 'in [\\d.]+ s \\([\\d.]+ fps\\); capture-to-result latency ms p50 [\\d.]+, p90 [\\d.]+, p99 [\\d.]+, max [\\d.]+$', 'm'));
});

test('stream.js: frames in order, then the server summary', () => {
  assert.equal(streamRun.code, 0, streamRun.stderr);
  assert.equal(streamRun.stderr, '');
  assert.deepEqual(frameLines(streamRun.stdout).map((m) => Number(m[1])), [...Array(STREAM_FRAMES).keys()]);
  assert.match(streamRun.stdout, new RegExp(`^server summary: received ${STREAM_FRAMES}, classified ${STREAM_FRAMES}, `
    + 'dropped 0, failed 0; latency ms p50 [\\d.]+, p90 [\\d.]+, p99 [\\d.]+, max [\\d.]+$', 'm'));
});

test('ClassifyStream echoes frame_id and capture_time_us, then sends a StreamSummary', async () => {
  const call = client.classifyStream();
  const responses = [];
  const done = new Promise((resolve, reject) => {
    call.on('data', (r) => responses.push(r));
    call.on('end', resolve);
    call.on('error', reject);
  });
  const pixels = Buffer.alloc(64 * 48 * 3, 128);
  const sent = [0, 1, 2].map((i) => ms.frameRequest(ms.rawImage(pixels, 64, 48), 100 + i,
    { policy: i === 0 ? 'latest' : undefined, captureTimeUs: 1_700_000_000_000_000 + i }));
  for (const request of sent) call.write(request);
  call.end();
  await done;
  assert.equal(responses.length, sent.length + 1);
  assert.deepEqual(responses.slice(0, -1).map((r) => [r.frameId, r.captureTimeUs]), sent.map((s) => [s.frameId, s.captureTimeUs]));
  const summary = responses.at(-1).summary;
  assert.ok(summary, 'the last message carries the summary');
  assert.equal(summary.framesReceived, sent.length);
  assert.equal(summary.framesClassified + summary.framesDropped, sent.length);
});

/** Sends `requests` on one ClassifyStream; resolves with every response, the summary message last. */
function streamRequests(requests) {
  const call = client.classifyStream();
  const responses = [];
  const done = new Promise((resolve, reject) => {
    call.on('data', (r) => responses.push(r));
    call.on('end', () => resolve(responses));
    call.on('error', reject);
  });
  for (const request of requests) call.write(request);
  call.end();
  return done;
}

test('ClassifyStream answers every frame with a real status: OK for good frames, ERROR for a truncated PNG', async () => {
  const png = fs.readFileSync(path.join(HELDOUT, '0000_2.png'));
  const frames = [
    ms.rawImage(Buffer.alloc(64 * 48 * 3, 128), 64, 48),
    ms.encodedImage(png.subarray(0, png.length >> 1)),
    ms.encodedImage(png),
  ];
  const responses = await streamRequests(frames.map((image, i) => ms.frameRequest(image, i, { policy: i === 0 ? 'block' : undefined })));
  assert.equal(responses.length, frames.length + 1);
  const answered = responses.slice(0, -1);
  for (const r of answered) assert.equal(ms.frameViolation(r), null, JSON.stringify(r.status));
  assert.deepEqual(answered.map((r) => r.status), ['FRAME_STATUS_OK', 'FRAME_STATUS_ERROR', 'FRAME_STATUS_OK']);
  assert.deepEqual(answered.map((r) => r.frameId), [0, 1, 2]);
  assert.match(answered[1].error, /^image 0: /);
  assert.equal(answered[1].results.length, 0);
  assert.equal(answered[2].results[0].classes[0].label, '2');
  // Only the last message, the summary, has no status.
  const last = responses.at(-1);
  assert.equal(last.status, 'FRAME_STATUS_UNSPECIFIED');
  assert.deepEqual([last.summary.framesReceived, last.summary.framesClassified, last.summary.framesFailed], [3, 2, 1]);
});

test('KServe v2: ServerReady and ModelMetadata describe the served model', async () => {
  assert.equal(await kserve.serverReady(), true);
  const metadata = await kserve.modelMetadata(MODEL);
  assert.equal(metadata.name, (await ms.getModelInfo(client)).name);
  assert.deepEqual(metadata.inputs.map((t) => [t.name, t.datatype, t.shape]), [['input', 'FP32', [-1, 3, 64, 64]]]);
  assert.ok(metadata.outputs.some((t) => t.name === 'probabilities'), JSON.stringify(metadata.outputs));
});

test('KServe v2 infer: the top-k of probabilities equals Classify\'s top-k', async () => {
  const png = fs.readFileSync(path.join(HELDOUT, '0001_5.png'));
  const [kclasses] = await kserve.infer(MODEL, [png], 5);
  const [expected] = (await ms.classify(client, [ms.encodedImage(png)], 5)).results;
  assert.deepEqual(kclasses.map((c) => [c.index, c.label]), expected.classes.map((c) => [c.index, c.label]));
  for (const [i, c] of kclasses.entries()) {
    assert.ok(Math.abs(c.score - expected.classes[i].probability) < 1e-5, `${c.score} vs ${expected.classes[i].probability}`);
  }
  assert.equal(kclasses[0].label, '5');
});

test('KServe v2 infer: several images in order, by path; an unknown model is NOT_FOUND', async () => {
  const classes = await kserve.infer(MODEL, [path.join(HELDOUT, '0000_2.png'), path.join(HELDOUT, '0002_1.png')], 2);
  assert.deepEqual(classes.map((row) => row.length), [2, 2]);
  assert.deepEqual(classes.map((row) => row[0].label), ['2', '1']);
  assert.ok(classes[0][0].score >= classes[0][1].score);
  await assert.rejects(kserve.infer('resnet50', [path.join(HELDOUT, '0000_2.png')]),
    (err) => err.code === ms.grpc.status.NOT_FOUND);
});

test('classify.js --protocol kserve prints the classes Classify gives', async () => {
  const files = [path.join(HELDOUT, '0000_2.png'), path.join(HELDOUT, '0001_5.png')];
  const [viaClassify, viaKServe, named] = await Promise.all([
    run('classify.js', '--target', server.target, '--top-k', '3', ...files),
    run('classify.js', '--target', server.target, '--top-k', '3', '--protocol', 'kserve', ...files),
    run('classify.js', '--target', server.target, '--top-k', '1', '--protocol', 'kserve', '--model', MODEL, files[1]),
  ]);
  assert.equal(viaKServe.code, 0, viaKServe.stderr);
  const rows = (r) => r.stdout.trimEnd().split('\n').map((line) => line.trim().split(/\s+/));
  const a = rows(viaClassify);
  const b = rows(viaKServe);
  assert.equal(b.length, 8, viaKServe.stdout);
  assert.deepEqual(b.map((row) => row[0]), a.map((row) => row[0])); // file names and labels
  for (const [i, row] of b.entries()) {
    if (row.length === 2) assert.ok(Math.abs(Number(row[1]) - Number(a[i][1])) <= 1e-4, `${row} vs ${a[i]}`);
  }
  assert.equal(named.code, 0, named.stderr);
  assert.match(named.stdout, /^0001_5\.png\n {2}5 +\d\.\d{4}\n$/);
  const unknown = await run('classify.js', '--target', server.target, '--protocol', 'kserve', '--model', 'resnet50', files[0]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^error: NOT_FOUND: /);
});
