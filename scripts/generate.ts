/**
 * Regenerates everything made from openapi.yaml: the server's types and the tables of its extensions in generated/,
 * the SDK's copy of the types in sdk/src/, the Postman collection, and the role table in docs/casting.md. With --check, changes nothing and fails when a committed file differs
 * from a fresh generation.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { parse } from 'yaml';
import { specTables, tablesModule, withRoleTable } from './generate/tables.ts';
import { postmanCollection } from './postman/collection.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const specPath = join(root, 'openapi.yaml');
const HEADER = '// Generated from openapi.yaml by `npm run generate`. Do not edit.\n';

async function types(): Promise<string> {
  const ast = await openapiTS(new URL(`file://${specPath}`), { alphabetize: false, exportType: false });
  return `${HEADER}${astToString(ast)}`;
}

/** Each ErrorCode's `x-status`, as the table the error handler reads: adding a code is one line of the spec. */
function errorCodes(): string {
  const spec = parse(readFileSync(specPath, 'utf8'));
  const codes: { const: string; 'x-status': number }[] = spec.components.schemas.ErrorCode.oneOf;
  const rows = codes.map((code) => {
    if (!Number.isInteger(code['x-status'])) throw new Error(`ErrorCode ${code.const} has no x-status`);
    return `  ${code.const}: ${code['x-status']},`;
  });
  return `${HEADER}import type { components } from './api.d.ts';

/** The status each error code always comes with (ErrorCode's x-status in openapi.yaml). */
export const STATUS_OF_CODE = {
${rows.join('\n')}
} as const satisfies Record<components['schemas']['ErrorCode'], number>;
`;
}

const api = await types();
const tables = specTables(specPath);
const outputs: Record<string, string> = {
  'generated/api.d.ts': api,
  // The SDK is built with tsc, which emits no .d.ts input: a .ts of types only becomes its declaration file.
  'sdk/src/api.ts': api,
  'generated/postman.json': await postmanCollection(specPath),
  'generated/error-codes.ts': errorCodes(),
  'generated/tables.ts': tablesModule(tables, HEADER),
  'docs/casting.md': withRoleTable(readFileSync(join(root, 'docs/casting.md'), 'utf8'), tables),
};

const check = process.argv.includes('--check');
const stale: string[] = [];
for (const [name, content] of Object.entries(outputs)) {
  const file = join(root, name);
  const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (current === content) continue;
  if (check) stale.push(name);
  else writeFileSync(file, content);
}
if (stale.length > 0) {
  console.error(`stale generated files (run npm run generate): ${stale.join(', ')}`);
  process.exit(1);
}
console.log(check ? 'generated files are up to date' : 'generated files written');
