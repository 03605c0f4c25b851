#!/usr/bin/env node
// Plain JavaScript that any Node.js parses: it must be able to say which version is needed before the
// TypeScript sources (which need type stripping) are loaded.
import { readFileSync } from 'node:fs';

const required = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node;
const [needMajor, needMinor] = required.replace(/^>=\s*/, '').split('.').map(Number);
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < needMajor || (major === needMajor && minor < needMinor)) {
  console.error(`Marquee needs Node.js ${required}; this is Node.js ${process.versions.node} (${process.execPath}).`);
  process.exit(1);
}
// Tracing, when asked for, starts before the app's modules load, so that their instrumentations can patch them.
await import('../src/telemetry/start.ts');
await import('../src/server.ts');
