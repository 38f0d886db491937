'use strict';
// mobiserve's ClassifyService for Node, and its KServe v2 (Open Inference Protocol) service
// inference.GRPCInferenceService: the protos are loaded at run time with @grpc/proto-loader, and called with
// @grpc/grpc-js. They come from MOBISERVE_PROTO_DIR, else the package's own proto/ (an installed package:
// `npm pack` copies them in), else the repository's proto/ (a clone).

const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PACKAGED_PROTO_DIR = path.resolve(__dirname, '..', 'proto');
const PROTO_DIR = process.env.MOBISERVE_PROTO_DIR
  || (fs.existsSync(path.join(PACKAGED_PROTO_DIR, 'mobiserve', 'v1', 'classify.proto'))
    ? PACKAGED_PROTO_DIR : path.resolve(__dirname, '..', '..', '..', 'proto'));
const PROTO_FILE = 'mobiserve/v1/classify.proto';
const INFERENCE_PROTO_FILE = 'inference/grpc_service.proto';

// camelCase field names (frameId, captureTimeUs), int64/uint64 as JavaScript numbers (frame ids and
// microsecond timestamps stay far below 2^53), enums as their names, unset fields as their defaults.
const LOADER_OPTIONS = {
  includeDirs: [PROTO_DIR],
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};
const api = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO_FILE, LOADER_OPTIONS)).mobiserve.v1;

let inferenceApi = null;
/** The KServe v2 package `inference`, loaded on first use (a MOBISERVE_PROTO_DIR may hold classify.proto only). */
function inference() {
  if (!inferenceApi) {
    inferenceApi = grpc.loadPackageDefinition(protoLoader.loadSync(INFERENCE_PROTO_FILE, LOADER_OPTIONS)).inference;
  }
  return inferenceApi;
}

const CHANNEL_OPTIONS = {
  'grpc.max_receive_message_length': 64 << 20,
  'grpc.max_send_message_length': 64 << 20,
};

const TOKEN_VARIABLE = 'MOBISERVE_TOKEN';
const TOKEN_FILE_VARIABLE = 'MOBISERVE_TOKEN_FILE';

/** A connection setting that cannot be used; the message names the setting (its command-line option). */
class ConfigurationError extends Error {}

/** Whether calls to `target` are spread round-robin over every address it resolves to. */
function roundRobin(target) {
  return /^(dns|ipv4):/i.test(target);
}

/**
 * A ClassifyService client for `target`. Options, all optional:
 *   tls         TLS even without `ca` (the server's certificate checked against Node's default roots)
 *   ca          the CA certificates that sign the server's certificate: a PEM file's path or a Buffer; implies TLS
 *   cert, key   the client's certificate chain and private key, for mutual TLS (paths or Buffers); imply TLS
 *   serverName  the name to check the server's certificate against instead of the target's host
 *   token       sent as `authorization: Bearer TOKEN` on every call: call credentials over TLS, and over
 *               plaintext (where grpc-js refuses call credentials) an interceptor adding it to each call's metadata
 *   channel     another client's channel (`client.getChannel()`, made with the same options) to share instead of
 *               opening one; closing either client closes it
 * A `host:port` target keeps one connection to one server (pick_first); `dns:///name:port` (every address of
 * the name, such as a Kubernetes headless Service) and `ipv4:a:p,b:q` get round_robin: a connection to each
 * server, each call to the next. A stream is one call and stays on the server it began on.
 * Throws ConfigurationError for a setting that cannot be used (a file that cannot be read, a certificate
 * without its key).
 */
function createClient(target, options = {}) {
  const { credentials, channelOptions } = connection(target, options);
  return new api.ClassifyService(target, credentials, channelOptions);
}

/** The channel credentials and client options createClient's `options` ask for. */
function connection(target, { tls = false, ca, cert, key, serverName, token, channel } = {}) {
  const usesTls = Boolean(tls) || ca != null || cert != null || key != null;
  if ((cert == null) !== (key == null)) {
    throw new ConfigurationError(cert == null ? '--tls-key needs --tls-cert (the certificate it belongs to)'
      : '--tls-cert needs --tls-key (its private key)');
  }
  if (token != null) checkToken('token', token);
  const options = { ...CHANNEL_OPTIONS };
  if (roundRobin(target)) {
    options['grpc.service_config'] = JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] });
  }
  if (serverName) {
    options['grpc.ssl_target_name_override'] = serverName;
    options['grpc.default_authority'] = serverName;
  }
  let credentials;
  if (usesTls) {
    credentials = grpc.credentials.createSsl(pem('--tls-ca', ca), pem('--tls-key', key), pem('--tls-cert', cert));
    if (token) {
      credentials = grpc.credentials.combineChannelCredentials(credentials,
        grpc.credentials.createFromMetadataGenerator((params, callback) => callback(null, authorization(token))));
    }
  } else {
    credentials = grpc.credentials.createInsecure();
    if (token) options.interceptors = [authorizationInterceptor(token)];
  }
  if (channel) options.channelOverride = channel;
  return { credentials, channelOptions: options };
}

function authorization(token) {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** Adds `authorization: Bearer TOKEN` to the metadata of every call, unary or stream. */
function authorizationInterceptor(token) {
  return (options, nextCall) => new grpc.InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      metadata.merge(authorization(token));
      next(metadata, listener);
    },
  });
}

function pem(option, source) {
  if (source == null || Buffer.isBuffer(source)) return source ?? null;
  try {
    return fs.readFileSync(source);
  } catch (err) {
    throw new ConfigurationError(`${option}: ${source}: ${err.code === 'ENOENT' ? 'no such file' : `cannot be read: ${err.message}`}`);
  }
}

/** `token` when it can go in a header: printable ASCII without spaces. */
function checkToken(source, token) {
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new ConfigurationError(`${source}: a token must be printable ASCII without spaces`);
  }
  return token;
}

/** The token in a file: its first line that is neither blank nor a # comment. */
function readTokenFile(file, source = '--token-file') {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigurationError(`${source} ${file}: ${err.code === 'ENOENT' ? 'no such file' : `cannot be read: ${err.message}`}`);
  }
  const line = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l && !l.startsWith('#'));
  if (!line) throw new ConfigurationError(`${source} ${file}: no token in it`);
  return checkToken(`${source} ${file}`, line);
}

/**
 * The token the command line asks for: `token` (--token), else the file `tokenFile` (--token-file), else
 * $MOBISERVE_TOKEN, else the file $MOBISERVE_TOKEN_FILE names; undefined when none is given. The variables keep
 * the token off the command line, which other users of the machine can read.
 */
function resolveToken({ token, tokenFile } = {}, env = process.env) {
  if (token != null && tokenFile != null) throw new ConfigurationError('give --token or --token-file, not both');
  if (token != null) return checkToken('--token', token.trim());
  if (tokenFile != null) return readTokenFile(tokenFile);
  const fromVariable = (env[TOKEN_VARIABLE] || '').trim();
  if (fromVariable) return checkToken(TOKEN_VARIABLE, fromVariable);
  const fileVariable = (env[TOKEN_FILE_VARIABLE] || '').trim();
  if (fileVariable) return readTokenFile(fileVariable, TOKEN_FILE_VARIABLE);
  return undefined;
}

/** The command lines' connection options, for util.parseArgs. */
const CONNECTION_OPTIONS = {
  target: { type: 'string' },
  tls: { type: 'boolean', default: false },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-server-name': { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
};

const CONNECTION_USAGE = '[--tls] [--tls-ca FILE] [--tls-cert FILE --tls-key FILE] [--tls-server-name NAME] '
  + '[--token TOKEN | --token-file FILE]';

/** createClient's options from parsed CONNECTION_OPTIONS, the token from the flags or the environment. */
function connectionFromArgs(values, env = process.env) {
  return {
    tls: values.tls,
    ca: values['tls-ca'],
    cert: values['tls-cert'],
    key: values['tls-key'],
    serverName: values['tls-server-name'],
    token: resolveToken({ token: values.token, tokenFile: values['token-file'] }, env),
  };
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

// --- KServe v2 (Open Inference Protocol) ---

/**
 * A client of the server's KServe v2 service, inference.GRPCInferenceService, which mobiserve serves on the same
 * port as ClassifyService. `options` are createClient's (TLS, mutual TLS, token, round-robin targets, `channel`),
 * plus `timeoutSeconds` (default 30), each call's deadline.
 */
function createKServeClient(target, options = {}) {
  const { credentials, channelOptions } = connection(target, options);
  return new KServeClient(new (inference().GRPCInferenceService)(target, credentials, channelOptions),
    options.timeoutSeconds);
}

/** One "value:index[:label]" string of the classification extension: { score, index, label } ('' without one). */
function parseClassification(text) {
  const s = String(text);
  const first = s.indexOf(':');
  const second = first < 0 ? -1 : s.indexOf(':', first + 1);
  if (first < 0) throw new Error(`not a classification string: ${JSON.stringify(s)}`);
  return {
    score: Number(s.slice(0, first)),
    index: Number(second < 0 ? s.slice(first + 1) : s.slice(first + 1, second)),
    label: second < 0 ? '' : s.slice(second + 1),
  };
}

/**
 * Health, metadata and classification through KServe v2; made by createKServeClient. Every call returns a promise
 * that rejects with a grpc-js error (err.code: NOT_FOUND for a model that is not served, INVALID_ARGUMENT for a
 * bad image, naming it).
 */
class KServeClient {
  constructor(stub, timeoutSeconds = 30) {
    /** The grpc-js client of inference.GRPCInferenceService, for the calls not wrapped here. */
    this.stub = stub;
    this.timeoutSeconds = timeoutSeconds;
    this.inputNames = new Map();
  }

  close() {
    this.stub.close();
  }

  getChannel() {
    return this.stub.getChannel();
  }

  /** ServerReady: true once the model is loaded and warm, false again when the server begins to shut down. */
  async serverReady() {
    return (await unary(this.stub, 'serverReady', {}, this.timeoutSeconds)).ready;
  }

  /** ModelMetadata: the model's name, versions, platform, inputs and outputs ({ name, datatype, shape }). */
  modelMetadata(model, version = '') {
    return unary(this.stub, 'modelMetadata', { name: model, version }, this.timeoutSeconds);
  }

  /** ModelInfer with a request as the proto has it (camelCase fields). */
  modelInfer(request, timeoutSeconds = this.timeoutSeconds) {
    return unary(this.stub, 'modelInfer', request, timeoutSeconds);
  }

  /**
   * Classifies encoded images (JPEG or PNG files: Buffers, or their paths) in one ModelInfer: the model's input
   * as BYTES [N], and `output` (default 'probabilities', the softmax Classify reports) requested with the
   * classification parameter `topK`. Resolves with each image's classes, highest first: [{ score, index, label }].
   * The input's name comes from ModelMetadata, asked once per model.
   */
  async infer(model, images, topK = 5, { output = 'probabilities', version = '', id = '', timeoutSeconds } = {}) {
    const data = images.map((image) => (typeof image === 'string' ? fs.readFileSync(image) : Buffer.from(image)));
    const key = `${model}\0${version}`;
    if (!this.inputNames.has(key)) {
      this.inputNames.set(key, (await this.modelMetadata(model, version)).inputs[0].name);
    }
    const response = await this.modelInfer({
      modelName: model,
      modelVersion: version,
      id,
      inputs: [{ name: this.inputNames.get(key), datatype: 'BYTES', shape: [data.length], contents: { bytesContents: data } }],
      outputs: [{ name: output, parameters: { classification: { int64Param: topK } } }],
    }, timeoutSeconds);
    const tensor = response.outputs.find((o) => o.name === output);
    if (!tensor) throw new Error(`ModelInfer answered without the output '${output}'`);
    const strings = tensor.contents ? tensor.contents.bytesContents : [];
    const k = tensor.shape.length === 2 ? tensor.shape[1] : topK;
    if (tensor.datatype !== 'BYTES' || strings.length !== data.length * k) {
      throw new Error(`ModelInfer answered '${output}' as ${tensor.datatype} [${tensor.shape}] with ${strings.length} `
        + `strings, not the classification of ${data.length} image(s)`);
    }
    return data.map((_, i) => strings.slice(i * k, (i + 1) * k).map(parseClassification));
  }
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

/** A ClassifyStreamRequest carrying one frame; give `policy` ('block' or 'latest') on the first. */
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

const FRAME_STATUSES = ['FRAME_STATUS_OK', 'FRAME_STATUS_DROPPED', 'FRAME_STATUS_ERROR'];

/**
 * What is wrong with a ClassifyStreamResponse that answers a frame (not the summary message) by the proto's
 * contract, or null. The server never answers a frame with FRAME_STATUS_UNSPECIFIED: only the stream's last
 * message, the one with the StreamSummary, has no status. (A status newer than this proto arrives as its number.)
 */
function frameViolation(response) {
  if (response.status === 'FRAME_STATUS_UNSPECIFIED') {
    return `frame ${response.frameId} answered with no status (FRAME_STATUS_UNSPECIFIED)`;
  }
  if (!FRAME_STATUSES.includes(response.status)) {
    return `frame ${response.frameId} answered with an unknown status ${response.status}`;
  }
  return null;
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
  grpc, api, inference, PROTO_DIR, createClient, classify, getModelInfo, encodedImage, rawImage, frameRequest,
  frameViolation, nowUs, describeError, percentile, roundRobin, resolveToken, readTokenFile, ConfigurationError,
  CONNECTION_OPTIONS, CONNECTION_USAGE, connectionFromArgs, TOKEN_VARIABLE, TOKEN_FILE_VARIABLE,
  createKServeClient, KServeClient, parseClassification,
};
