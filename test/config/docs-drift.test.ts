// Docs that cannot drift: every environment variable the code reads is in docs/configuration.md, and every link
// in the README and docs/ points at a file that exists.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { VARIABLES } from '../../src/config/variables.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function filesUnder(folder: string, pattern: RegExp): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => pattern.test(name))
    .map((name) => join(ROOT, folder, name));
}

/** The variables a source file reads: `process.env.X`, `process.env['X']` and `env.X` on an Env record. */
function variablesRead(source: string): string[] {
  const found = new Set<string>();
  const reads = /\b(?:process\.)?env(?:\.([A-Z][A-Z0-9_]*)|\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\])/g;
  for (const match of source.matchAll(reads)) {
    found.add((match[1] ?? match[2]) as string);
  }
  return [...found];
}

/** The relative links of a Markdown file, without their #anchors. */
function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)]
    .map((match) => (match[1] as string).split('#')[0] as string)
    .filter((target) => target !== '' && !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

const configuration = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
const documented = new Set([...configuration.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((match) => match[1]));

t.test('the scanners find what they look for', async (t) => {
  t.same(variablesRead("a(process.env.PORT); b(process.env['REDIS_URL']); c(env.LOG_LEVEL); d(envx.NOPE)").sort(), [
    'LOG_LEVEL',
    'PORT',
    'REDIS_URL',
  ]);
  t.same(relativeLinks('[a](docs/a.md) [b](https://x.example/y) [c](b.md#part) [d](#here) [e](<c d.md>)'), [
    'docs/a.md',
    'b.md',
  ]);
});

t.test('every configuration variable is in docs/configuration.md', async (t) => {
  const missing = Object.keys(VARIABLES).filter((name) => !documented.has(name));
  t.same(missing, [], 'src/config/variables.ts names only documented variables');
});

t.test('every environment variable read in src/ and bin/ is in docs/configuration.md', async (t) => {
  const sources = [...filesUnder('src', /\.ts$/), ...filesUnder('bin', /\.js$/)];
  t.ok(sources.length > 10, 'the sources were found');
  const undocumented = sources.flatMap((file) =>
    variablesRead(readFileSync(file, 'utf8'))
      .filter((name) => !documented.has(name))
      .map((name) => `${relative(ROOT, file)}: ${name}`),
  );
  t.same(undocumented, []);
});

t.test('every link in README.md and docs/ points at a file that exists', async (t) => {
  const docs = [join(ROOT, 'README.md'), ...filesUnder('docs', /\.md$/)];
  const broken = docs.flatMap((file) =>
    relativeLinks(readFileSync(file, 'utf8'))
      .filter((target) => !existsSync(join(dirname(file), decodeURIComponent(target))))
      .map((target) => `${relative(ROOT, file)}: ${target}`),
  );
  t.same(broken, []);
});
