#!/usr/bin/env node
'use strict';
// node classify.js --target HOST:PORT [--top-k 5] [--protocol mobiserve|kserve] [--model NAME]
//                  [--tls --tls-ca ... --token ...] IMAGE...
// Sends each file as it is (JPEG or PNG) in one request and prints its top-k classes: a ClassifyRequest to
// ClassifyService.Classify, or with --protocol kserve a KServe v2 ModelInfer of the files as the BYTES input,
// the `probabilities` output asked for with the classification parameter (--model: the model's name, by
// default the one the server serves). The connection's options (TLS, mutual TLS, the token, round-robin targets)
// are lib/mobiserve.js's createClient's.

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const ms = require('./lib/mobiserve');

const USAGE = 'usage: node classify.js --target HOST:PORT [--top-k 5] [--timeout 30] [--protocol mobiserve|kserve] '
  + `[--model NAME] ${ms.CONNECTION_USAGE} IMAGE...`;

/** [{ id, classes: [{ label, index, score }] }] through ClassifyService. */
async function viaClassify(client, files, data, topK, timeout) {
  const images = files.map((f, i) => ms.encodedImage(data[i], path.basename(f)));
  const response = await ms.classify(client, images, topK, timeout);
  return response.results.map((r) => ({
    id: r.id,
    classes: r.classes.map((c) => ({ label: c.label, index: c.index, score: c.probability })),
  }));
}

/** The same through KServe v2's ModelInfer. */
async function viaKServe(client, files, data, topK, model, infoClient) {
  // mobiserve serves one model: without --model, GetModelInfo (ClassifyService, on the same connection) names it.
  const name = model || (await ms.getModelInfo(infoClient, client.timeoutSeconds)).name;
  const classes = await client.infer(name, data, topK);
  return files.map((f, i) => ({ id: path.basename(f), classes: classes[i] }));
}

async function main() {
  let parsed;
  try {
    parsed = parseArgs({
      options: { ...ms.CONNECTION_OPTIONS, 'top-k': { type: 'string', default: '5' },
        timeout: { type: 'string', default: '30' }, protocol: { type: 'string', default: 'mobiserve' },
        model: { type: 'string' } },
      allowPositionals: true,
    });
  } catch (err) {
    console.error(`error: ${err.message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (!values.target || positionals.length === 0 || !['mobiserve', 'kserve'].includes(values.protocol)) {
    console.error(USAGE);
    return 2;
  }
  let data;
  try {
    data = positionals.map((file) => fs.readFileSync(file));
  } catch (err) {
    console.error(`error: cannot read ${err.path}: ${err.code}`);
    return 1;
  }
  const topK = Number(values['top-k']);
  const timeout = Number(values.timeout);
  let client;
  let infoClient;
  try {
    const connection = ms.connectionFromArgs(values);
    if (values.protocol === 'kserve') {
      client = ms.createKServeClient(values.target, { ...connection, timeoutSeconds: timeout });
      infoClient = ms.createClient(values.target, { ...connection, channel: client.getChannel() });
    } else {
      client = ms.createClient(values.target, connection);
    }
  } catch (err) {
    if (!(err instanceof ms.ConfigurationError)) throw err;
    console.error(`error: ${err.message}`);
    return 2;
  }
  let results;
  try {
    results = values.protocol === 'kserve'
      ? await viaKServe(client, positionals, data, topK, values.model, infoClient)
      : await viaClassify(client, positionals, data, topK, timeout);
  } catch (err) {
    console.error(`error: ${err.code !== undefined ? ms.describeError(err) : err.message}`);
    return 1;
  } finally {
    client.close(); // and the channel infoClient shares
  }
  for (const result of results) {
    console.log(result.id);
    for (const c of result.classes) {
      console.log(`  ${(c.label || `class ${c.index}`).padEnd(32)} ${c.score.toFixed(4)}`);
    }
  }
  return 0;
}

main().then((code) => { process.exitCode = code; });
