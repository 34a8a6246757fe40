#!/usr/bin/env node
// Compose the crmgraph subgraph SDL files into a federation supergraph.
//
//   node compose.mjs [--schema-dir DIR] [--out FILE] [--check]
//
//   --schema-dir DIR  where <name>.graphql for each subgraph lives
//                     (default: ../schema relative to this file)
//   --out FILE        where to write the supergraph
//                     (default: <schema-dir>/supergraph.graphql)
//   --check           write nothing; exit 1 if FILE differs from a fresh composition
//
// Subgraph routing URLs default to http://127.0.0.1:<port>/graphql and can be
// overridden with CRMGRAPH_<NAME>_URL (e.g. CRMGRAPH_DEALS_URL).
// The output is deterministic: same SDL + same URLs -> byte-identical file.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kind, parse } from 'graphql';
import { composeServices } from '@theguild/federation-composition';

const HERE = dirname(fileURLToPath(import.meta.url));

// Fixed order: the composed output must not depend on filesystem order.
export const SUBGRAPHS = [
  { name: 'contacts', port: 4001 },
  { name: 'deals', port: 4002 },
  { name: 'leads', port: 4003 },
  { name: 'accounts', port: 4004 },
  { name: 'activities', port: 4005 },
  { name: 'pipelines', port: 4006 },
];

export function subgraphUrl(name, port, env = process.env) {
  const override = env[`CRMGRAPH_${name.toUpperCase()}_URL`];
  return override && override.trim() ? override.trim() : `http://127.0.0.1:${port}/graphql`;
}

// The subgraphs size a connection by `pagination.first` too (crmgraph.gql.costs), a path into
// an input argument that Hive Router's demand control reads, but this composition refuses
// (LIST_SIZE_INVALID_SLICING_ARGUMENT): composed without such paths, which are put back
// into the supergraph's @listSize afterwards. `nested` maps `Type.field` to the full list.
export function withoutNestedSlicing(typeDefs, nested) {
  const definitions = typeDefs.definitions.map((type) => {
    if (!type.fields || !type.name) return type;
    const fields = type.fields.map((field) => {
      const directives = (field.directives ?? []).map((directive) => {
        if (directive.name.value !== 'listSize') return directive;
        const args = directive.arguments.map((arg) => {
          if (arg.name.value !== 'slicingArguments' || arg.value.kind !== Kind.LIST) return arg;
          const all = arg.value.values.map((v) => v.value);
          if (!all.some((path) => path.includes('.'))) return arg;
          nested.set(`${type.name.value}.${field.name.value}`, all);
          const values = arg.value.values.filter((v) => !v.value.includes('.'));
          return { ...arg, value: { ...arg.value, values } };
        });
        return { ...directive, arguments: args };
      });
      return { ...field, directives };
    });
    return { ...type, fields };
  });
  return { ...typeDefs, definitions };
}

export function withNestedSlicing(supergraph, nested) {
  let sdl = supergraph;
  for (const [coordinate, paths] of nested) {
    const [type, field] = coordinate.split('.');
    const typeStart = sdl.search(new RegExp(`^(type|interface) ${type}\\b`, 'm'));
    const fieldAt = typeStart < 0 ? -1 : sdl.indexOf(`\n  ${field}`, typeStart);
    const fieldRe = new RegExp(`^  ${field}[(:]`);
    if (fieldAt < 0 || !fieldRe.test(sdl.slice(fieldAt + 1))) {
      throw new Error(`compose: ${coordinate} not found in the supergraph`);
    }
    const next = sdl.slice(fieldAt + 1).search(/\n  [A-Za-z_]\w*[(:]|\n}/) + fieldAt + 1;
    const directive = sdl.indexOf('@listSize(', fieldAt);
    const list = directive < 0 ? -1 : sdl.indexOf('slicingArguments: [', directive);
    if (list < 0 || list > next) throw new Error(`compose: ${coordinate} lost its @listSize`);
    const end = sdl.indexOf(']', list);
    const printed = `slicingArguments: [${paths.map((p) => JSON.stringify(p)).join(', ')}`;
    sdl = sdl.slice(0, list) + printed + sdl.slice(end);
  }
  return sdl;
}

function fail(lines) {
  for (const line of [].concat(lines)) process.stderr.write(`${line}\n`);
  process.exit(1);
}

function main() {
  let args;
  try {
    ({ values: args } = parseArgs({
      options: {
        'schema-dir': { type: 'string' },
        out: { type: 'string' },
        check: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail(`compose: ${err.message}`);
  }
  if (args.help) {
    process.stdout.write('usage: node compose.mjs [--schema-dir DIR] [--out FILE] [--check]\n');
    return;
  }

  const schemaDir = resolve(args['schema-dir'] ?? resolve(HERE, '..', 'schema'));
  const outPath = resolve(args.out ?? resolve(schemaDir, 'supergraph.graphql'));

  const missing = SUBGRAPHS.map(({ name }) => resolve(schemaDir, `${name}.graphql`)).filter(
    (p) => !existsSync(p),
  );
  if (missing.length) {
    fail([`compose: missing subgraph SDL file(s):`, ...missing.map((p) => `  ${p}`)]);
  }

  const services = [];
  const parseErrors = [];
  const nested = new Map();
  for (const { name, port } of SUBGRAPHS) {
    const file = resolve(schemaDir, `${name}.graphql`);
    const sdl = readFileSync(file, 'utf8');
    try {
      services.push({ name, url: subgraphUrl(name, port), typeDefs: withoutNestedSlicing(parse(sdl), nested) });
    } catch (err) {
      parseErrors.push(`  [${name}] ${file}: ${err.message}`);
    }
  }
  if (parseErrors.length) fail(['compose: subgraph SDL does not parse:', ...parseErrors]);

  const result = composeServices(services);
  if (result.errors && result.errors.length) {
    const lines = [`compose: composition failed with ${result.errors.length} error(s):`];
    for (const err of result.errors) {
      const code = err.extensions?.code ? `[${err.extensions.code}] ` : '';
      lines.push(`  - ${code}${err.message}`);
    }
    if (result.errors.some((e) => /Invalid version v2\.\d+ for the federation feature/.test(e.message))) {
      lines.push(
        '  hint: @theguild/federation-composition supports federation up to v2.9;',
        '        build the Strawberry schema with federation_version="2.9".',
      );
    }
    fail(lines);
  }

  const output = withNestedSlicing(result.supergraphSdl, nested).replace(/\s*$/, '') + '\n';

  if (args.check) {
    const current = existsSync(outPath) ? readFileSync(outPath, 'utf8') : null;
    if (current !== output) {
      fail(`compose: ${outPath} is out of date; run \`npm run compose\` in router-config/`);
    }
    process.stdout.write(`compose: ${outPath} is up to date\n`);
    return;
  }

  // Write in place (no temp file + rename): hive-gateway watches this file and
  // treats a rename as fatal for its watcher. Skip the write if nothing changed
  // so a running gateway does not reload needlessly.
  const current = existsSync(outPath) ? readFileSync(outPath, 'utf8') : null;
  if (current === output) {
    process.stdout.write(`compose: ${outPath} unchanged\n`);
    return;
  }
  writeFileSync(outPath, output);
  process.stdout.write(`compose: wrote ${outPath} (${SUBGRAPHS.length} subgraphs)\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main();
}
