#!/usr/bin/env node
// Validates Kubernetes manifests offline, object by object, against the Kubernetes API of kubernetes-models
// (pinned in package.json):
//   1. apiVersion and kind must name a kind the API has (no CRDs here);
//   2. the object must pass that kind's JSON schema: types, required fields, enums, formats;
//   3. every field, at every depth, must be one the API has: the object is walked along the TypeScript
//      interface of its kind, and every key the interface does not declare is refused (with the nearest
//      name it does declare). The JSON schemas alone do not do this: they let an unknown field through
//      (spec.replica instead of spec.replicas passes them);
//   4. TypeScript must accept the object as that kind's interface: value types and required fields once
//      more, as the compiler sees them.
//
// Usage: node validate.mjs [--kustomize DIR]... [FILE.yaml]...
//   --kustomize DIR   renders DIR with `kubectl kustomize DIR` and validates the result
//   FILE.yaml         validates the YAML documents in FILE
// Prints one line per object and every problem with its path; exits 1 when anything is invalid.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";
import { parseAllDocuments } from "yaml";

const here = path.dirname(fileURLToPath(import.meta.url));
const models = path.join(here, "node_modules", "kubernetes-models");

/** `kubectl kustomize DIR`: the rendered YAML. */
export function render(directory) {
  return execFileSync("kubectl", ["kustomize", directory], { encoding: "utf8", maxBuffer: 64 << 20 });
}

/** The objects of a multi-document YAML text; a YAML error is a problem of the source, not an object. */
export function parseObjects(text, source) {
  const objects = [];
  const problems = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) {
      problems.push(`${source}: YAML: ${document.errors.map((e) => e.message).join("; ")}`);
      continue;
    }
    const value = document.toJS();
    if (value !== null && value !== undefined) {
      objects.push(value);
    }
  }
  return { objects, problems };
}

/** The kubernetes-models module of an apiVersion and kind ("apps/v1", "Deployment"), or null. */
function modulePath(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string" || !/^[A-Za-z0-9]+$/.test(kind)) {
    return null;
  }
  if (!/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion)) {
    return null;
  }
  const file = path.join(models, ...apiVersion.split("/"), `${kind}.mjs`);
  try {
    readFileSync(file);
    return { file, specifier: `kubernetes-models/${apiVersion}/${kind}` };
  } catch {
    return null;
  }
}

function describe(object) {
  return `${object?.kind ?? "?"}/${object?.metadata?.name ?? "?"}`;
}

/** Steps 1 and 2: a known kind, and its JSON schema. Returns problems. */
async function checkSchema(object, label) {
  const module = modulePath(object?.apiVersion, object?.kind);
  if (module === null) {
    return [`${label}: unknown apiVersion/kind ${object?.apiVersion}/${object?.kind}`];
  }
  const exports = await import(pathToFileURL(module.file).href);
  const Model = exports[object.kind];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [`${label}: schema: ${error.message}`];
  }
}

/**
 * The TypeScript literal of one object's fields, one field (or array item) per line, and for each line the
 * path of its field, so that a compiler error can be reported as a field path. Objects and arrays open on
 * the line of their key and close on a line of their own.
 */
function typedLines(object) {
  const lines = [];
  const paths = [];
  emitFields(object, "", "");
  return { lines, paths };

  function emitFields(value, indent, fieldPath) {
    if (Array.isArray(value)) {
      value.forEach((item, i) => emitValue(indent, "", item, `${fieldPath}[${i}]`));
    } else {
      for (const key of Object.keys(value)) {
        emitValue(indent, `${JSON.stringify(key)}: `, value[key], fieldPath === "" ? key : `${fieldPath}.${key}`);
      }
    }
  }

  function emitValue(indent, prefix, value, fieldPath) {
    const nested = value !== null && typeof value === "object" && Object.keys(value).length > 0;
    if (!nested) {
      lines.push(`${indent}  ${prefix}${JSON.stringify(value)},`);
      paths.push(fieldPath);
      return;
    }
    const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
    lines.push(`${indent}  ${prefix}${open}`);
    paths.push(fieldPath);
    emitFields(value, `${indent}  `, fieldPath);
    lines.push(`${indent}  ${close},`);
    paths.push(fieldPath);
  }
}

/** The edit distance of two names, for "did you mean". */
function distance(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/**
 * Step 3: walks `value` along the TypeScript type `type` and reports every key that type does not declare.
 * Maps (labels, annotations, resource lists) have an index signature and take any key.
 */
function unknownFields(checker, value, type, fieldPath, found) {
  if (value === null || typeof value !== "object" || type === undefined) {
    return;
  }
  type = checker.getNonNullableType(type);
  if (Array.isArray(value)) {
    const element = checker.getIndexTypeOfType(type, ts.IndexKind.Number);
    value.forEach((item, i) => unknownFields(checker, item, element, `${fieldPath}[${i}]`, found));
    return;
  }
  // A union (IntOrString and the like): the members that are objects.
  const members = (type.isUnion() ? type.types : [type]).filter((t) => (t.flags & ts.TypeFlags.Object) !== 0);
  if (members.length === 0) {
    return; // a primitive where the object is: the type check reports that
  }
  for (const key of Object.keys(value)) {
    const keyPath = fieldPath === "" ? key : `${fieldPath}.${key}`;
    const owner = members.find((t) => checker.getPropertyOfType(t, key) !== undefined);
    if (owner !== undefined) {
      unknownFields(checker, value[key], checker.getTypeOfSymbol(checker.getPropertyOfType(owner, key)), keyPath, found);
      continue;
    }
    const map = members.map((t) => checker.getIndexTypeOfType(t, ts.IndexKind.String)).find((t) => t !== undefined);
    if (map !== undefined) {
      unknownFields(checker, value[key], map, keyPath, found);
      continue;
    }
    const known = members.flatMap((t) => checker.getPropertiesOfType(t).map((p) => p.getName()));
    const nearest = known.map((name) => [distance(key, name), name]).sort((x, y) => x[0] - y[0])[0];
    const hint = nearest !== undefined && nearest[0] <= Math.max(2, Math.floor(key.length / 4)) ? `; did you mean ${nearest[1]}?` : "";
    found.push([keyPath, `unknown field "${key}" (not in ${checker.typeToString(members[0])})${hint}`]);
  }
}

/**
 * Steps 3 and 4: checks every object against its kind's interface in one TypeScript program. Returns the
 * problems of each object, by index.
 */
function checkFields(objects, labels) {
  const problems = objects.map(() => []);
  const header = [];
  const body = [];
  const lineInfo = []; // for each line of the file: [object index, field path]
  objects.forEach((object, index) => {
    const module = modulePath(object?.apiVersion, object?.kind);
    if (module === null) {
      return; // already reported by the schema step
    }
    header.push(`import type { I${object.kind} as T${index} } from ${JSON.stringify(module.specifier)};`);
    const { lines, paths } = typedLines(object);
    body.push({ index, lines, paths });
  });
  const text = [...header];
  header.forEach(() => lineInfo.push(null));
  for (const { index, lines, paths } of body) {
    text.push(`export const o${index}: T${index} = {`);
    lineInfo.push([index, "(object)"]);
    lines.forEach((line, i) => {
      text.push(line);
      lineInfo.push([index, paths[i]]);
    });
    text.push("};");
    lineInfo.push([index, "(object)"]);
  }
  if (body.length === 0) {
    return problems;
  }
  // The file lives beside node_modules so that the package's exports resolve.
  const directory = mkdtempSync(path.join(here, ".check-"));
  const file = path.join(directory, "objects.ts");
  try {
    writeFileSync(file, text.join("\n") + "\n");
    const program = ts.createProgram([file], {
      noEmit: true,
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
      skipLibCheck: true,
      types: [],
    });
    const checker = program.getTypeChecker();
    const source = program.getSourceFile(file);
    // Step 3, on each object's declared type.
    for (const statement of source.statements) {
      if (!ts.isVariableStatement(statement)) {
        continue;
      }
      for (const declaration of statement.declarationList.declarations) {
        const index = Number(declaration.name.getText(source).slice(1));
        const type = checker.getTypeFromTypeNode(declaration.type);
        if ((type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0 || checker.getPropertiesOfType(type).length === 0) {
          throw new Error(`TypeScript cannot see the type of ${labels[index]} (kubernetes-models not installed? run npm ci)`);
        }
        const found = [];
        unknownFields(checker, objects[index], type, "", found);
        for (const [fieldPath, message] of found) {
          problems[index].push(`${labels[index]}: field ${fieldPath}: ${message}`);
        }
      }
    }
    // Step 4. An excess property is step 3's to report, completely: the compiler reports one per literal.
    const excessProperty = new Set([2353, 2561]);
    for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
      if (excessProperty.has(diagnostic.code)) {
        continue;
      }
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n").split("\n")[0];
      if (diagnostic.file === undefined || diagnostic.start === undefined) {
        throw new Error(`TypeScript: ${message}`);
      }
      const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
      const info = lineInfo[line];
      if (diagnostic.file.fileName !== program.getSourceFile(file)?.fileName || info === null || info === undefined) {
        throw new Error(`TypeScript, outside the objects (kubernetes-models not installed? run npm ci): ${message}`);
      }
      const [index, fieldPath] = info;
      problems[index].push(`${labels[index]}: field ${fieldPath}: ${message}`);
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  return problems;
}

/** Validates objects; returns a list of problems (empty when all are valid) and one line per object. */
export async function validateObjects(objects, source) {
  const labels = objects.map((object, i) => `${source}: ${describe(object)} (document ${i + 1})`);
  const problems = [];
  const schemaProblems = [];
  for (let i = 0; i < objects.length; i++) {
    schemaProblems.push(await checkSchema(objects[i], labels[i]));
  }
  const fieldProblems = checkFields(objects, labels);
  const report = [];
  objects.forEach((object, i) => {
    const all = [...schemaProblems[i], ...fieldProblems[i]];
    problems.push(...all);
    report.push(`${all.length === 0 ? "ok     " : "INVALID"} ${labels[i]} [${object?.apiVersion}]`);
  });
  return { problems, report };
}

/** Validates every source (`{kustomize: DIR}` or `{file: PATH}`); returns all problems and the report. */
export async function validateSources(sources) {
  const problems = [];
  const report = [];
  for (const source of sources) {
    let text;
    const name = source.kustomize ?? source.file;
    try {
      text = source.kustomize !== undefined ? render(source.kustomize) : readFileSync(source.file, "utf8");
    } catch (error) {
      problems.push(`${name}: cannot ${source.kustomize !== undefined ? "render" : "read"} it: ${String(error.stderr || error.message).trim()}`);
      continue;
    }
    const parsed = parseObjects(text, name);
    problems.push(...parsed.problems);
    if (parsed.objects.length === 0) {
      problems.push(`${name}: no objects`);
      continue;
    }
    const result = await validateObjects(parsed.objects, name);
    problems.push(...result.problems);
    report.push(...result.report);
  }
  return { problems, report };
}

async function main(args) {
  const sources = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--kustomize") {
      if (i + 1 >= args.length) {
        throw new Error("--kustomize needs a directory");
      }
      sources.push({ kustomize: args[++i] });
    } else if (args[i].startsWith("-")) {
      throw new Error(`unknown option ${args[i]}; usage: validate.mjs [--kustomize DIR]... [FILE.yaml]...`);
    } else {
      sources.push({ file: args[i] });
    }
  }
  if (sources.length === 0) {
    throw new Error("nothing to validate; usage: validate.mjs [--kustomize DIR]... [FILE.yaml]...");
  }
  const { problems, report } = await validateSources(sources);
  for (const line of report) {
    console.log(line);
  }
  if (problems.length > 0) {
    console.error(`\n${problems.length} problem${problems.length === 1 ? "" : "s"}:`);
    for (const problem of problems) {
      console.error(`  ${problem}`);
    }
    return 1;
  }
  console.log(`all ${report.length} objects valid`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      console.error(`validate: ${error.message}`);
      process.exit(2);
    },
  );
}
