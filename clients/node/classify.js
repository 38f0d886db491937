#!/usr/bin/env node
'use strict';
// node classify.js --target HOST:PORT [--top-k 5] [--tls --tls-ca ... --token ...] IMAGE...
// Sends each file as it is (JPEG or PNG) in one Classify request and prints its top-k classes. The connection's
// options (TLS, mutual TLS, the token, round-robin targets) are lib/mobiserve.js's createClient's.

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const ms = require('./lib/mobiserve');

async function main() {
  const { values, positionals } = parseArgs({
    options: { ...ms.CONNECTION_OPTIONS, 'top-k': { type: 'string', default: '5' },
      timeout: { type: 'string', default: '30' } },
    allowPositionals: true,
  });
  if (!values.target || positionals.length === 0) {
    console.error(`usage: node classify.js --target HOST:PORT [--top-k 5] [--timeout 30] ${ms.CONNECTION_USAGE} IMAGE...`);
    return 2;
  }
  let images;
  try {
    images = positionals.map((file) => ms.encodedImage(fs.readFileSync(file), path.basename(file)));
  } catch (err) {
    console.error(`error: cannot read ${err.path}: ${err.code}`);
    return 1;
  }
  let client;
  try {
    client = ms.createClient(values.target, ms.connectionFromArgs(values));
  } catch (err) {
    if (!(err instanceof ms.ConfigurationError)) throw err;
    console.error(`error: ${err.message}`);
    return 2;
  }
  try {
    const response = await ms.classify(client, images, Number(values['top-k']), Number(values.timeout));
    for (const result of response.results) {
      console.log(result.id);
      for (const c of result.classes) {
        console.log(`  ${(c.label || `class ${c.index}`).padEnd(32)} ${c.probability.toFixed(4)}`);
      }
    }
    return 0;
  } catch (err) {
    console.error(`error: ${ms.describeError(err)}`);
    return 1;
  } finally {
    client.close();
  }
}

main().then((code) => { process.exitCode = code; });
