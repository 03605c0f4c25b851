/**
 * Lists test files for CI's passes, one path a line, from what each file and the test helpers it imports read:
 *   node scripts/test-files.ts [--database] [--processes | --in-process]
 * --database    files whose outcome depends on DATABASE_URL (they, or a helper they import, read it): the only ones
 *               the PGlite pass runs again; the rest behave the same on either engine.
 * --processes   files that start processes (they, or a helper they import, use node:child_process): real servers,
 *               Redis, PostgreSQL, nginx; mostly waiting, so CI runs them beside the in-process files.
 * --in-process  the others.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TEST = join(ROOT, 'test');

const READS_DATABASE_URL = /process\.env\.DATABASE_URL|\bDATABASE_URL\b[^;]*\}\s*=\s*process\.env/;
const STARTS_PROCESSES = /from 'node:child_process'/;
/** Value imports of files under test/ (type-only imports run nothing). */
const RELATIVE_IMPORT = /^import (?!type )[^;]*?from '(\.{1,2}\/[^']+)';/gms;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** The file and every file under test/ it imports, directly or through others. */
function closure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file) || !file.startsWith(TEST)) return seen;
  seen.add(file);
  for (const [, specifier] of readFileSync(file, 'utf8').matchAll(RELATIVE_IMPORT)) {
    closure(resolve(dirname(file), specifier!), seen);
  }
  return seen;
}

function any(file: string, pattern: RegExp): boolean {
  return [...closure(file)].some((path) => pattern.test(readFileSync(path, 'utf8')));
}

const args = new Set(process.argv.slice(2));
const known = ['--database', '--processes', '--in-process'];
const unknown = [...args].filter((arg) => !known.includes(arg));
if (unknown.length > 0 || (args.has('--processes') && args.has('--in-process'))) {
  console.error(`usage: node scripts/test-files.ts [--database] [--processes | --in-process]`);
  process.exit(2);
}

for (const file of testFiles(TEST).sort()) {
  if (args.has('--database') && !any(file, READS_DATABASE_URL)) continue;
  if (args.has('--processes') && !any(file, STARTS_PROCESSES)) continue;
  if (args.has('--in-process') && any(file, STARTS_PROCESSES)) continue;
  console.log(relative(ROOT, file));
}
