'use strict';
// The client's side of ClassifyStream's contract, without mobiserve: stream.js against a stand-in ClassifyService
// (grpc-js, in this process) that answers frames the way a test tells it to, the ClassifyStream messages the loaded
// proto names, and parsing the KServe classification extension's strings.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { promisify } = require('node:util');
const ms = require('../lib/mobiserve');

const NODE_DIR = path.resolve(__dirname, '..');

/**
 * A ClassifyService whose ClassifyStream answers each frame with `answer(request)` merged over the echo of its
 * frame_id and capture_time_us, then sends a StreamSummary. Resolves with { target, stop() }.
 */
async function standIn(answer) {
  const server = new ms.grpc.Server();
  server.addService(ms.api.ClassifyService.service, {
    classify: (call, callback) => callback({ code: ms.grpc.status.UNIMPLEMENTED }),
    getModelInfo: (call, callback) => callback({ code: ms.grpc.status.UNIMPLEMENTED }),
    classifyStream(call) {
      let received = 0;
      call.on('data', (request) => {
        received++;
        call.write({ frameId: request.frameId, captureTimeUs: request.captureTimeUs, ...answer(request) });
      });
      call.on('end', () => {
        call.write({ summary: { framesReceived: received } });
        call.end();
      });
    },
  });
  const port = await new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0',
    ms.grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { target: `127.0.0.1:${port}`, stop: () => new Promise((resolve) => server.tryShutdown(resolve)) };
}

function runStream(target) {
  return promisify(execFile)(process.execPath,
    ['stream.js', '--target', target, '--frames', '3', '--fps', '0', '--size', '16x16'], { cwd: NODE_DIR, timeout: 60_000 })
    .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }))
    .catch((err) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }));
}

const OK = { status: 'FRAME_STATUS_OK', results: [{ classes: [{ index: 3, label: 'three', probability: 0.5 }] }] };

test('ClassifyStream carries ClassifyStreamRequest and ClassifyStreamResponse', () => {
  const method = ms.api.ClassifyService.service.ClassifyStream;
  assert.equal(method.requestStream && method.responseStream, true);
  assert.equal(method.requestType.type.name, 'ClassifyStreamRequest');
  assert.equal(method.responseType.type.name, 'ClassifyStreamResponse');
  assert.equal(ms.api.ClassifyService.service.Classify.requestType.type.name, 'ClassifyRequest');
});

test('frameViolation: a frame with FRAME_STATUS_UNSPECIFIED or an unknown status breaks the contract', () => {
  for (const status of ['FRAME_STATUS_OK', 'FRAME_STATUS_DROPPED', 'FRAME_STATUS_ERROR']) {
    assert.equal(ms.frameViolation({ frameId: 7, status }), null);
  }
  assert.equal(ms.frameViolation({ frameId: 7, status: 'FRAME_STATUS_UNSPECIFIED' }),
    'frame 7 answered with no status (FRAME_STATUS_UNSPECIFIED)');
  assert.equal(ms.frameViolation({ frameId: 7, status: 9 }), 'frame 7 answered with an unknown status 9');
});

test('stream.js accepts frames answered FRAME_STATUS_OK', async () => {
  const server = await standIn(() => OK);
  try {
    const r = await runStream(server.target);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^client: sent 3, answered 3 \(ok 3, dropped 0, error 0\) /m);
  } finally {
    await server.stop();
  }
});

test('stream.js exits 1 when a frame is answered with no status (FRAME_STATUS_UNSPECIFIED)', async () => {
  const server = await standIn((request) => (request.frameId === 1 ? { results: OK.results } : OK));
  try {
    const r = await runStream(server.target);
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.stderr, 'error: stream contract: frame 1 answered with no status (FRAME_STATUS_UNSPECIFIED)\n');
    assert.match(r.stdout, /^1 +UNSPECIFIED \(not a frame status\)$/m);
    assert.match(r.stdout, /^server summary: received 3,/m);
  } finally {
    await server.stop();
  }
});

test('parseClassification reads "value:index[:label]", a label keeping its colons', () => {
  assert.deepEqual(ms.parseClassification('0.918700:3'), { score: 0.9187, index: 3, label: '' });
  assert.deepEqual(ms.parseClassification(Buffer.from('0.000012:10:a:b')), { score: 0.000012, index: 10, label: 'a:b' });
  assert.throws(() => ms.parseClassification('nonsense'), /not a classification string/);
});
