'use strict';
// npm pack (prepack): copies the repository's proto/ files the client loads into ./proto, so that the
// packed package carries them and works outside the repository. ./proto is not committed (.gitignore).

const fs = require('node:fs');
const path = require('node:path');

const FILES = ['mobiserve/v1/classify.proto', 'inference/grpc_service.proto', 'inference/model_config.proto'];
const from = path.resolve(__dirname, '..', '..', '..', 'proto');
const to = path.resolve(__dirname, '..', 'proto');

for (const file of FILES) {
  fs.mkdirSync(path.dirname(path.join(to, file)), { recursive: true });
  fs.copyFileSync(path.join(from, file), path.join(to, file));
}
console.error(`copied ${FILES.length} proto files from ${from} into ${to}`);
