'use strict';
// Starts `java -jar target/mobiserve.jar serve --host 127.0.0.1 --port 0` with the digits test model (and any
// extra arguments), reads the port from the "listening on" log line and waits for "serving". The jar must have been built
// (./mvnw -q -B package -DskipTests). Environment: MOBISERVE_TARGET (use that running server instead),
// MOBISERVE_JAR, MOBISERVE_TEST_MODEL ("builtin" for the built-in model), JAVA.

const path = require('node:path');
const fs = require('node:fs');
const { spawn } = require('node:child_process');

const REPO = path.resolve(__dirname, '..', '..', '..');
const DIGITS = path.join(REPO, 'src', 'test', 'resources', 'digits');
const START_TIMEOUT_MS = 180_000;

/**
 * Starts a server, `extraArgs` (TLS files, tokens, `--metrics-port 0` ...) after the usual ones. Resolves with
 * { target, metricsUrl (with --metrics-port), metrics() (its /metrics text), stop() }. MOBISERVE_TARGET replaces
 * only the default server: a test that asks for extra arguments needs a server of its own.
 */
async function startServer(extraArgs = []) {
  if (process.env.MOBISERVE_TARGET && extraArgs.length === 0) {
    return { target: process.env.MOBISERVE_TARGET, stop: async () => {} };
  }
  const jar = process.env.MOBISERVE_JAR || path.join(REPO, 'target', 'mobiserve.jar');
  if (!fs.existsSync(jar)) throw new Error(`${jar} not found: build it first (./mvnw -q -B package -DskipTests)`);
  const model = process.env.MOBISERVE_TEST_MODEL || path.join(DIGITS, 'digits-mobilenetv3-small.onnx');
  const args = ['-jar', jar, 'serve', '--host', '127.0.0.1', '--port', '0', '--shutdown-grace', '2'];
  if (model !== 'builtin') args.push('--model', model);
  args.push(...extraArgs.map(String));
  const child = spawn(process.env.JAVA || 'java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const target = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`the server did not start serving in ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    function fail(err) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${err.message}\n${log.slice(-4000)}`));
    }
    const onData = (chunk) => {
      log += chunk;
      const listening = /listening on ([\d.]+):(\d+)/.exec(log);
      if (listening && /\bserving\b/.test(log)) {
        clearTimeout(timer);
        resolve(`${listening[1]}:${listening[2]}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => fail(new Error(`the server exited with code ${code} before serving`)));
  });
  const metrics = /metrics at (\S+)/.exec(log);
  return {
    target,
    metricsUrl: metrics ? metrics[1] : null,
    async metrics() {
      const response = await fetch(metrics[1]);
      return response.text();
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

module.exports = { startServer, DIGITS };
