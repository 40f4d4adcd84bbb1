// The node half of validate_openapi.sh.
//   node validate_openapi.mjs swagger <document> <npm folder>
//     swagger-parser's validate (structure and $refs of OpenAPI 3.1).
//   node validate_openapi.mjs ajv <document> <npm folder> [answers.json]
//     ajv with JSON Schema 2020-12 (OpenAPI 3.1's dialect): every command's
//     example must validate against its request body schema, every media
//     type example against its schema, and each real query answer in
//     answers.json (`duet_openapi_gen --answers`) against the 200 schema of
//     its GET /queries/<name>. Prints, for information, which
//     command examples another command's schema would also accept (ids-only
//     commands such as ConfirmOrder and ShipOrder share a shape; the path,
//     not the body, picks the command).
// Exit status: 0 when everything validates, 1 otherwise.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const [mode, documentPath, npmDir, answersPath] = process.argv.slice(2);
// Resolve packages from the npm folder, wherever this script lives.
const require = createRequire(path.resolve(npmDir, 'node_modules', 'resolver.js'));
const doc = JSON.parse(readFileSync(documentPath, 'utf8'));

async function swagger() {
  const SwaggerParser = require('@apidevtools/swagger-parser');
  const api = await SwaggerParser.validate(structuredClone(doc));
  console.log(`valid OpenAPI ${api.openapi}: ${Object.keys(api.paths).length} paths`);
  return true;
}

function ajv() {
  const Ajv2020 = require('ajv/dist/2020').default;
  const addFormats = require('ajv-formats');
  // strict: false because the root wrapper carries OpenAPI members (components)
  // that are not JSON Schema keywords; every schema keyword is still checked.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('int64', { type: 'number', validate: Number.isSafeInteger });
  const id = 'https://duet.invalid/openapi.json';
  ajv.addSchema({ $id: id, components: doc.components }, id);
  // Inline schemas refer to the document's components ("#/components/...");
  // point those references at the wrapper above before compiling.
  const absolute = (node) => {
    if (Array.isArray(node)) return node.map(absolute);
    if (node === null || typeof node !== 'object') return node;
    return Object.fromEntries(Object.entries(node).map(([key, value]) =>
      [key, key === '$ref' && value.startsWith('#/') ? id + value : absolute(value)]));
  };
  const compiled = new Map();
  const compile = (schema) => {
    const key = JSON.stringify(schema);
    if (!compiled.has(key)) compiled.set(key, ajv.compile(absolute(schema)));
    return compiled.get(key);
  };

  let ok = true;
  let checked = 0;
  const commands = Object.entries(doc.paths)
    .filter(([p]) => p.startsWith('/commands/'))
    .map(([p, item]) => ({ name: p.slice('/commands/'.length),
                           media: item.post.requestBody.content['application/json'] }));
  for (const { name, media } of commands) {
    if (media.example === undefined) {
      console.error(`${name}: no example`);
      ok = false;
      continue;
    }
    const validate = compile(media.schema);
    checked++;
    if (!validate(media.example)) {
      console.error(`${name}: its example fails its schema: ${ajv.errorsText(validate.errors)}`);
      ok = false;
    }
    const alsoAccepted = commands
      .filter((other) => other.name !== name && compile(other.media.schema)(media.example))
      .map((other) => other.name);
    if (alsoAccepted.length) {
      console.log(`note: ${name}'s example also fits ${alsoAccepted.join(', ')} (same shape)`);
    }
  }
  // Every other media type example (responses, appends) against its schema.
  const walk = (node, where) => {
    if (node === null || typeof node !== 'object') return;
    if (node.schema && node.example !== undefined && !where.includes('/commands/')) {
      const validate = compile(node.schema);
      checked++;
      if (!validate(node.example)) {
        console.error(`${where}: example fails its schema: ${ajv.errorsText(validate.errors)}`);
        ok = false;
      }
    }
    for (const [key, child] of Object.entries(node)) {
      if (key !== 'example' && key !== 'examples' && key !== 'schema') walk(child, `${where}/${key}`);
    }
  };
  walk(doc.paths, '#/paths');
  walk(doc.components.responses, '#/components/responses');
  console.log(`${commands.length} command examples and ${checked - commands.length} other ` +
              `examples checked with ajv (JSON Schema 2020-12)`);
  if (answersPath) {
    const answers = JSON.parse(readFileSync(answersPath, 'utf8'));
    for (const { query, params, answer } of answers) {
      const item = doc.paths[`/queries/${query}`];
      if (!item) {
        console.error(`query ${query} answered but is not documented`);
        ok = false;
        continue;
      }
      const validate = compile(item.get.responses['200'].content['application/json'].schema);
      if (!validate(answer)) {
        console.error(`query ${query} ${JSON.stringify(params)}: the answer fails its schema: ` +
                      `${ajv.errorsText(validate.errors)}\n${JSON.stringify(answer)}`);
        ok = false;
      }
    }
    console.log(`${answers.length} real query answers checked against their documented schemas`);
  }
  return ok;
}

try {
  const ok = mode === 'swagger' ? await swagger() : ajv();
  process.exit(ok ? 0 : 1);
} catch (error) {
  console.error(`${mode}: ${error.message ?? error}`);
  if (error.details) console.error(JSON.stringify(error.details, null, 2));
  process.exit(1);
}
