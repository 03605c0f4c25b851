/**
 * The command lines of scripts/: node:util parseArgs, plus `--help` (the usage on stdout, exit 0) and, for an
 * unknown flag or a missing value, the problem and the usage on stderr, exit 2.
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `--help` was asked for: not a failure, the usage is the answer. */
export class HelpRequested extends Error {
  constructor(usage: string) {
    super(usage);
    this.name = 'HelpRequested';
  }
}

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** parseArgs, strict, with --help added; throws HelpRequested or UsageError (carrying the usage). */
export function parseCommandLine<O extends ParseArgsOptionsConfig>(
  usage: string,
  options: O,
  { args = process.argv.slice(2), allowPositionals = false }: { args?: string[]; allowPositionals?: boolean } = {},
) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, ...HELP }, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
  }
  if ((parsed.values as { help?: boolean }).help) throw new HelpRequested(usage);
  return parsed;
}

/** For a script's top level: answers --help and refuses bad flags itself, and exits. */
export function commandLine<O extends ParseArgsOptionsConfig>(
  usage: string,
  options: O,
  settings: { allowPositionals?: boolean } = {},
) {
  try {
    return parseCommandLine(usage, options, settings);
  } catch (error) {
    process.exit(exitFor(error));
  }
}

/** Prints what a command's failure means and gives its exit code: 0 for --help, 2 for usage, 1 otherwise. */
export function exitFor(error: unknown): number {
  if (error instanceof HelpRequested) {
    console.log(error.message);
    return 0;
  }
  console.error(describeError(error));
  return error instanceof UsageError ? 2 : 1;
}

/** An error as one line for the terminal, with the field problems an API error carries. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const details = (error as { details?: { field: string; message: string }[] }).details ?? [];
  return [error.message, ...details.map((d) => `${d.field} ${d.message}`)].join(': ');
}
