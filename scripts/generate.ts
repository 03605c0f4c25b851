/**
 * Regenerates everything in generated/ from openapi.yaml; with --check, changes nothing and fails when a
 * committed file differs from a fresh generation.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const specPath = join(root, 'openapi.yaml');
const outDir = join(root, 'generated');
const HEADER = '// Generated from openapi.yaml by `npm run generate`. Do not edit.\n';

async function types(): Promise<string> {
  const ast = await openapiTS(new URL(`file://${specPath}`), { alphabetize: false, exportType: false });
  return `${HEADER}${astToString(ast)}`;
}

function client(): string {
  return `${HEADER}import createClient, { type ClientOptions } from 'openapi-fetch';
import type { paths } from './api.d.ts';

export type { components, operations, paths } from './api.d.ts';

/** A typed client for the Marquee API: every path, body and response is checked against openapi.yaml. */
export function createMarqueeClient(options: ClientOptions = {}) {
  return createClient<paths>(options);
}
`;
}

interface PostmanNode {
  id?: string;
  item?: PostmanNode[];
  response?: PostmanNode[];
  [key: string]: unknown;
}

// The converter mints random ids on every run; ids derived from each item's position keep the file reproducible.
function stableIds(node: PostmanNode, path: string): void {
  if ('id' in node) node.id = createHash('sha256').update(path).digest('hex').slice(0, 32);
  for (const [i, child] of (node.item ?? []).entries()) stableIds(child, `${path}/${i}`);
  for (const [i, child] of (node.response ?? []).entries()) stableIds(child, `${path}/r${i}`);
}

// Where the spec has no example, the converter fakes values with Math.random; a seeded generator keeps them stable.
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function postman(): Promise<string> {
  Math.random = seededRandom(20261122);
  const { default: Converter } = await import('openapi-to-postmanv2');
  const data = readFileSync(specPath, 'utf8');
  const result = await new Promise<{
    result: boolean;
    reason?: string;
    output?: { data: Record<string, unknown> }[];
  }>((resolve, reject) =>
    Converter.convert(
      { type: 'string', data },
      {
        folderStrategy: 'Tags',
        requestParametersResolution: 'Example',
        exampleParametersResolution: 'Example',
      },
      (error, out) => (error ? reject(new Error(error.message)) : resolve(out as never)),
    ),
  );
  const collection = result.output?.[0]?.data;
  if (!result.result || !collection) throw new Error(`openapi-to-postmanv2 failed: ${result.reason}`);
  const info = collection.info as Record<string, unknown>;
  info._postman_id = createHash('sha256')
    .update('marquee')
    .digest('hex')
    .slice(0, 32)
    .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
  collection.variable = [
    { key: 'baseUrl', value: 'http://localhost:3000', type: 'string' },
    { key: 'token', value: '', type: 'string' },
  ];
  collection.auth = { type: 'bearer', bearer: [{ key: 'token', value: '{{token}}', type: 'string' }] };
  stableIds(collection as PostmanNode, 'marquee');
  return `${JSON.stringify(collection, null, 2)}\n`;
}

const outputs: Record<string, string> = {
  'api.d.ts': await types(),
  'client.ts': client(),
  'postman.json': await postman(),
};

const check = process.argv.includes('--check');
const stale: string[] = [];
for (const [name, content] of Object.entries(outputs)) {
  const file = join(outDir, name);
  const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (current === content) continue;
  if (check) stale.push(`generated/${name}`);
  else writeFileSync(file, content);
}
if (stale.length > 0) {
  console.error(`stale generated files (run npm run generate): ${stale.join(', ')}`);
  process.exit(1);
}
console.log(check ? 'generated/ is up to date' : 'generated/ written');
