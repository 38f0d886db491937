'use strict';
// mobiserve's ClassifyService for Node: the proto is loaded at run time with @grpc/proto-loader, and called
// with @grpc/grpc-js. The proto comes from MOBISERVE_PROTO_DIR, else the package's own proto/ (an installed
// package: `npm pack` copies it in), else the repository's proto/ (a clone).

const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PACKAGED_PROTO_DIR = path.resolve(__dirname, '..', 'proto');
const PROTO_DIR = process.env.MOBISERVE_PROTO_DIR
  || (fs.existsSync(path.join(PACKAGED_PROTO_DIR, 'mobiserve', 'v1', 'classify.proto'))
    ? PACKAGED_PROTO_DIR : path.resolve(__dirname, '..', '..', '..', 'proto'));
const PROTO_FILE = 'mobiserve/v1/classify.proto';

// camelCase field names (frameId, captureTimeUs), int64/uint64 as JavaScript numbers (frame ids and
// microsecond timestamps stay far below 2^53), enums as their names, unset fields as their defaults.
const definition = protoLoader.loadSync(PROTO_FILE, {
  includeDirs: [PROTO_DIR],
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
});
const api = grpc.loadPackageDefinition(definition).mobiserve.v1;

const CHANNEL_OPTIONS = {
  'grpc.max_receive_message_length': 64 << 20,
  'grpc.max_send_message_length': 64 << 20,
};

function createClient(target) {
  return new api.ClassifyService(target, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
}

function deadline(seconds) {
  return new Date(Date.now() + seconds * 1000);
}

function unary(client, method, request, timeoutSeconds = 30) {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: deadline(timeoutSeconds) }, (err, response) =>
      err ? reject(err) : resolve(response));
  });
}

/** Classify(images, topK): resolves with the ClassifyResponse; rejects with a grpc error (err.code). */
function classify(client, images, topK = 0, timeoutSeconds = 30) {
  return unary(client, 'classify', { images, topK }, timeoutSeconds);
}

function getModelInfo(client, timeoutSeconds = 30) {
  return unary(client, 'getModelInfo', {}, timeoutSeconds);
}

/** An Image holding a JPEG or PNG file's bytes. */
function encodedImage(data, id = '') {
  return { id, encoded: { data } };
}

/** An Image of raw uint8 pixels, height x width x 3, in 'BGR' or 'RGB' order. */
function rawImage(pixels, width, height, order = 'BGR', id = '') {
  return {
    id,
    raw: { pixels, width, height, channelOrder: order === 'RGB' ? 'CHANNEL_ORDER_RGB' : 'CHANNEL_ORDER_BGR' },
  };
}

/** A ClassifyStream message carrying one frame; give `policy` ('block' or 'latest') on the first. */
function frameRequest(image, frameId, { captureTimeUs = nowUs(), topK = 0, policy, maxPendingFrames = 0 } = {}) {
  const request = { images: [image], topK, frameId, captureTimeUs };
  if (policy) {
    request.streamOptions = {
      policy: policy.toLowerCase() === 'latest' ? 'STREAM_POLICY_LATEST' : 'STREAM_POLICY_BLOCK',
      maxPendingFrames,
    };
  }
  return request;
}

function nowUs() {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** "CODE_NAME: description" for a grpc-js error, as the Java and Python command lines print it. */
function describeError(err) {
  const name = Object.keys(grpc.status).find((key) => grpc.status[key] === err.code) || 'UNKNOWN';
  return `${name}: ${err.details || err.message}`;
}

/** Nearest-rank percentile (null when empty). */
function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((sorted.length * p) / 100)) - 1];
}

module.exports = {
  grpc, api, PROTO_DIR, createClient, classify, getModelInfo, encodedImage, rawImage, frameRequest,
  nowUs, describeError, percentile,
};
