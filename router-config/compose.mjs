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
import { parse } from 'graphql';
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
  for (const { name, port } of SUBGRAPHS) {
    const file = resolve(schemaDir, `${name}.graphql`);
    const sdl = readFileSync(file, 'utf8');
    try {
      services.push({ name, url: subgraphUrl(name, port), typeDefs: parse(sdl) });
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

  const output = result.supergraphSdl.replace(/\s*$/, '') + '\n';

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
