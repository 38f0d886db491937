#!/usr/bin/env node
'use strict';
// node stream.js --target HOST:PORT [--frames 90] [--fps 30] [--policy block|latest] [--size 640x480]
//                [--tls --tls-ca ... --token ...] (the connection's options are createClient's)
// Opens ClassifyStream, sends generated raw BGR frames (a moving colour gradient) as ClassifyStreamRequests
// paced at --fps by the wall clock, reads the ClassifyStreamResponses as they come and prints one line per frame
// (frame, top label, score, latency from capture to result), then the server's StreamSummary and the client's
// latency percentiles. Exit code 1 on a gRPC error or when the stream breaks the proto's contract (a response
// out of order, a frame answered with no status (FRAME_STATUS_UNSPECIFIED), a frame unanswered, no summary).

const { parseArgs } = require('node:util');
const ms = require('./lib/mobiserve');

function frameMaker(width, height) {
  // One row of a horizontal gradient twice as wide as the frame; frame i shows it shifted by 4i pixels.
  const period = width * 2;
  const row = Buffer.alloc(period * 3);
  for (let x = 0; x < period; x++) {
    const v = Math.round((255 * Math.abs(period / 2 - x)) / (period / 2));
    row[3 * x] = v; // B
    row[3 * x + 1] = 255 - v; // G
    row[3 * x + 2] = (x * 7) & 0xff; // R
  }
  return (i) => {
    const pixels = Buffer.allocUnsafe(width * height * 3);
    for (let y = 0; y < height; y++) {
      const shift = ((4 * i + y) % (period - width)) * 3;
      row.copy(pixels, y * width * 3, shift, shift + width * 3);
    }
    return pixels;
  };
}

const ms1 = (v) => (v === null || v === undefined ? '-' : v.toFixed(1));

async function main() {
  const { values } = parseArgs({
    options: {
      ...ms.CONNECTION_OPTIONS, frames: { type: 'string', default: '90' }, fps: { type: 'string', default: '30' },
      policy: { type: 'string', default: 'block' }, 'max-pending': { type: 'string', default: '0' },
      size: { type: 'string', default: '640x480' }, 'top-k': { type: 'string', default: '1' },
    },
  });
  if (!values.target || !['block', 'latest'].includes(values.policy)) {
    console.error('usage: node stream.js --target HOST:PORT [--frames 90] [--fps 30] [--policy block|latest] '
      + `[--size 640x480] ${ms.CONNECTION_USAGE}`);
    return 2;
  }
  const [width, height] = values.size.split('x').map(Number);
  const frames = Number(values.frames);
  const fps = Number(values.fps);
  const makeFrame = frameMaker(width, height);

  let client;
  try {
    client = ms.createClient(values.target, ms.connectionFromArgs(values));
  } catch (err) {
    if (!(err instanceof ms.ConfigurationError)) throw err;
    console.error(`error: ${err.message}`);
    return 2;
  }
  const call = client.classifyStream();
  const pending = []; // [frameId, captureTimeUs] of frames sent and not yet answered, in order
  const latencies = [];
  const counts = { OK: 0, DROPPED: 0, ERROR: 0 };
  const violations = [];
  let answered = 0;
  let summary = null;
  const started = performance.now();

  const finished = new Promise((resolve) => {
    call.on('data', (response) => {
      const receivedUs = ms.nowUs();
      if (response.summary) {
        if (summary) violations.push('a second StreamSummary message');
        summary = response.summary;
        return;
      }
      if (summary) violations.push(`frame ${response.frameId} answered after the StreamSummary`);
      const expected = pending.shift();
      if (!expected) {
        violations.push(`a response (frame_id ${response.frameId}) for no frame sent`);
      } else if (response.frameId !== expected[0] || response.captureTimeUs !== expected[1]) {
        violations.push(`response ${answered}: frame_id ${response.frameId} capture_time_us ${response.captureTimeUs}, `
          + `expected frame_id ${expected[0]} capture_time_us ${expected[1]}`);
      }
      const violation = ms.frameViolation(response);
      if (violation) violations.push(violation);
      answered++;
      const latencyMs = expected ? (receivedUs - expected[1]) / 1000 : null;
      const status = String(response.status).replace('FRAME_STATUS_', '');
      counts[status] = (counts[status] || 0) + 1;
      const id = String(response.frameId).padEnd(6);
      if (status === 'OK') {
        const top = response.results[0] && response.results[0].classes[0];
        const label = top ? top.label || `class ${top.index}` : '-';
        latencies.push(latencyMs);
        console.log(`${id} ${label.padEnd(24)} ${(top ? top.probability : 0).toFixed(4)} ${ms1(latencyMs).padStart(8)} ms`);
      } else if (status === 'DROPPED') {
        console.log(`${id} DROPPED ${ms1(latencyMs).padStart(8)} ms`);
      } else if (status === 'ERROR') {
        console.log(`${id} ERROR ${response.error}`);
      } else {
        console.log(`${id} ${status} (not a frame status)`);
      }
    });
    call.on('end', () => resolve(null));
    call.on('error', (err) => resolve(err));
  });

  // Send, paced by the wall clock, and held back by flow control: write() returning false means wait for 'drain'.
  let sendError = null;
  try {
    for (let i = 0; i < frames; i++) {
      const due = started + (fps > 0 ? (i * 1000) / fps : 0);
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const request = ms.frameRequest(ms.rawImage(makeFrame(i), width, height, 'BGR'), i, {
        topK: Number(values['top-k']),
        policy: i === 0 ? values.policy : undefined,
        maxPendingFrames: Number(values['max-pending']),
      });
      pending.push([request.frameId, request.captureTimeUs]);
      if (!call.write(request)) await new Promise((r) => call.once('drain', r));
    }
    call.end();
  } catch (err) {
    sendError = err;
  }
  const err = (await finished) || sendError;
  const elapsedS = (performance.now() - started) / 1000;
  client.close();

  if (summary) {
    const m = (us) => (Number(us) / 1000).toFixed(1);
    console.log(`server summary: received ${summary.framesReceived}, classified ${summary.framesClassified}, `
      + `dropped ${summary.framesDropped}, failed ${summary.framesFailed}; latency ms p50 ${m(summary.latencyP50Us)}, `
      + `p90 ${m(summary.latencyP90Us)}, p99 ${m(summary.latencyP99Us)}, max ${m(summary.latencyMaxUs)}`);
  } else {
    console.log('server summary: none (the server sent no StreamSummary)');
  }
  const p = (q) => ms1(ms.percentile(latencies, q));
  console.log(`client: sent ${frames}, answered ${answered} (ok ${counts.OK}, dropped ${counts.DROPPED}, error ${counts.ERROR}) `
    + `in ${elapsedS.toFixed(1)} s (${(answered / elapsedS).toFixed(1)} fps); capture-to-result latency ms `
    + `p50 ${p(50)}, p90 ${p(90)}, p99 ${p(99)}, max ${p(100)}`);

  if (err) {
    console.error(`error: ${err.code !== undefined ? ms.describeError(err) : err.message}`);
    return 1;
  }
  if (pending.length) violations.push(`${pending.length} frame(s) sent and never answered`);
  if (!summary) violations.push('the stream ended without a StreamSummary message');
  for (const v of violations.slice(0, 5)) console.error(`error: stream contract: ${v}`);
  if (violations.length > 5) console.error(`error: stream contract: ... and ${violations.length - 5} more`);
  return violations.length ? 1 : 0;
}

main().then((code) => { process.exitCode = code; });
