// The validator's own tests: the real overlays pass, and broken manifests fail, each for the right reason.
// Run: npm test (node --test).
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseObjects, render, validateObjects, validateSources } from "./validate.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const overlays = path.join(here, "..", "overlays");
const fixtures = path.join(here, "fixtures");

function kinds(report) {
  return report.map((line) => line.split(": ")[1].split(" ")[0].split("/")[0]).sort();
}

test("the cpu and gpu overlays render and every object is valid", async () => {
  const cpu = await validateSources([{ kustomize: path.join(overlays, "cpu") }]);
  const gpu = await validateSources([{ kustomize: path.join(overlays, "gpu") }]);

  assert.deepEqual(cpu.problems, []);
  assert.deepEqual(gpu.problems, []);
  assert.deepEqual(kinds(cpu.report), ["Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service", "Service"]);
  assert.deepEqual(kinds(gpu.report),
    ["Deployment", "HorizontalPodAutoscaler", "PersistentVolumeClaim", "PodDisruptionBudget", "Service", "Service"]);
});

test("an overlay with misspelled fields fails, naming each one", async () => {
  const { problems } = await validateSources([{ kustomize: path.join(fixtures, "misspelled-overlay") }]);

  const fields = problems.filter((p) => p.includes(": field ")).map((p) => p.split(": field ")[1].split(":")[0]);
  assert.deepEqual(fields.sort(), [
    "spec.template.spec.containers[0].ports[0].containerPorts",
    "spec.template.spec.containers[0].readinessProbe.grpc.prot",
    "spec.template.spec.terminationGracePeriodSecond",
  ]);
  assert.ok(problems.some((p) => p.includes("did you mean containerPort?")));
});

test("misspelled optional fields fail, though the JSON schemas alone let them through", async () => {
  const { problems, report } = await validateSources([{ file: path.join(fixtures, "misspelled-fields.yaml") }]);

  assert.equal(report.length, 5);
  assert.ok(report.every((line) => line.startsWith("INVALID")), report.join("\n"));
  for (const [field, suggestion] of [
    ["spec.replica", "replicas"],
    ["spec.clusterIp", "clusterIP"],
    ["spec.minReplica", "minReplicas"],
    ["spec.maxUnavialable", "maxUnavailable"],
    ["spec.template.spec.securityContext.runAsNonroot", "runAsNonRoot"],
    ["spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem", "readOnlyRootFilesystem"],
  ]) {
    assert.ok(problems.some((p) => p.includes(`field ${field}: unknown field`) && p.endsWith(`did you mean ${suggestion}?`)),
      `${field}:\n${problems.join("\n")}`);
  }
  // The schema step passes every one of these objects: the strict field check is what catches them.
  assert.deepEqual(problems.filter((p) => p.includes(": schema: ")), []);
});

test("wrong values, missing required fields and unknown kinds fail", async () => {
  const { problems } = await validateSources([{ file: path.join(fixtures, "wrong-values.yaml") }]);

  assert.ok(problems.some((p) => p.includes("port-is-text") && p.includes("containerPort must be integer")));
  assert.ok(problems.some((p) => p.includes("port-missing") && p.includes("must have required property port")));
  assert.ok(problems.some((p) => p.includes("unknown apiVersion/kind apps/v1/Deployent")));
});

test("renaming any field of the real manifests, at any depth, makes them invalid", async () => {
  const { objects } = parseObjects(render(path.join(overlays, "gpu")), "gpu");
  const mutants = [];
  const paths = [];
  // Keys inside maps (labels, resource lists, selectors of Services) may be anything: not fields.
  const isMap = (kind, fieldPath) =>
    /(^|\.)(labels|annotations|matchLabels|nodeSelector|requests|limits)$/.test(fieldPath)
    || (kind === "Service" && fieldPath === "spec.selector");
  function visit(root, value, fieldPath, rename) {
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(root, item, `${fieldPath}[${i}]`, rename));
    } else if (value !== null && typeof value === "object") {
      const map = isMap(root.kind, fieldPath);
      for (const key of Object.keys(value)) {
        const keyPath = fieldPath === "" ? key : `${fieldPath}.${key}`;
        if (!map) {
          rename(root, keyPath);
        }
        visit(root, value[key], keyPath, rename);
      }
    }
  }
  for (const object of objects) {
    visit(object, object, "", (root, keyPath) => {
      const copy = structuredClone(root);
      const parts = keyPath.replace(/\[(\d+)]/g, ".$1").split(".");
      let parent = copy;
      for (const part of parts.slice(0, -1)) {
        parent = parent[part];
      }
      const key = parts.at(-1);
      parent[`${key}x`] = parent[key];
      delete parent[key];
      mutants.push(copy);
      paths.push(`${root.kind}/${root.metadata.name}: ${keyPath}`);
    });
  }
  assert.ok(mutants.length > 150, `only ${mutants.length} fields found`);

  const { report } = await validateObjects(mutants, "mutant");

  const passed = report.map((line, i) => [line, paths[i]]).filter(([line]) => line.startsWith("ok")).map(([, p]) => p);
  assert.deepEqual(passed, [], "renamed fields the validator accepted");
});
