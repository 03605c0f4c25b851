/**
 * `npm run users -- create --username X [--password Y] [--email E] [--role R]` creates a user and prints tokens;
 * `npm run users -- token --username X` prints a fresh access and refresh token for an existing user;
 * `npm run users -- disable|enable|delete NAME` and `set-password NAME [--password Y]` do what an admin does
 * through the API, each leaving its audit event. Same configuration and database as the server; with the
 * embedded database and the server running, through the server (src/db/owner.ts).
 */
import { randomBytes } from 'node:crypto';
import { operatorCommands } from '../src/auth/accounts.ts';
import { OPERATOR } from '../src/auth/audit.ts';
import { createAccount } from '../src/auth/service.ts';
import { isRole, ROLES } from '../src/auth/permissions.ts';
import { findUserByUsername } from '../src/auth/queries.ts';
import { createTokenSigner, type TokenSigner } from '../src/auth/signer.ts';
import { issueTokenPair } from '../src/auth/tokens.ts';
import { type Config, type Env, loadConfig, readDotEnv } from '../src/config/index.ts';
import type { Database } from '../src/db/index.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { openDatabase } from '../src/db/owner.ts';
import { badRequest, validationDetails } from '../src/errors/index.ts';
import { createValidatorCompiler } from '../src/plugins/validation.ts';
import { componentSchema, loadSpec } from '../src/spec/index.ts';
import { exitFor, parseCommandLine, UsageError } from './cli.ts';

export type Print = (line: string) => void;

export interface Context {
  db: Database;
  config: Config;
  signer: TokenSigner;
}

/** The server's config and migrated database, and the server's token signer; no app is built. */
export async function withDatabase<T>(env: Env, warn: Print, run: (context: Context) => Promise<T>): Promise<T> {
  const { config, warnings } = loadConfig(env);
  for (const warning of warnings) warn(`warning: ${warning}`);
  const { db } = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  try {
    await migrateToLatest(db);
    return await run({ db, config, signer: createTokenSigner(config.jwt) });
  } finally {
    await db.destroy();
  }
}

export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

const USAGE = `usage:
  npm run users -- create --username NAME [--password PASSWORD] [--email EMAIL] [--role ROLE]
  npm run users -- token --username NAME
  npm run users -- disable NAME | enable NAME | delete NAME
  npm run users -- set-password NAME [--password PASSWORD]
  npm run users -- --help
roles: ${ROLES.join(', ')} (default member); without --password one is generated and printed`;

const ACCOUNT_COMMANDS = ['disable', 'enable', 'delete', 'set-password'];

type Validate = ((data: unknown) => boolean) & { errors?: Parameters<typeof validationDetails>[0] | null };

/** The new account as POST /api/auth/register/ would take it: the spec's rules (a blank username…) hold here too. */
function checkAccount(account: { username: string; password: string; email?: string }): void {
  const schema = componentSchema(loadSpec().document, 'RegisterRequest');
  const compile = createValidatorCompiler();
  const validate = compile({ schema, method: 'POST', url: 'users create', httpPart: 'body' }) as Validate;
  if (!validate(account)) throw badRequest('invalid body', validationDetails(validate.errors ?? [], 'body'));
}

/** Runs one command; throws UsageError for bad arguments and the API's errors (409, 400) as they are. */
export async function main(argv: string[], env: Env, print: Print, warn: Print = print): Promise<void> {
  const { positionals, values } = parseCommandLine(
    USAGE,
    {
      username: { type: 'string' },
      password: { type: 'string' },
      email: { type: 'string' },
      role: { type: 'string' },
    },
    { args: argv, allowPositionals: true },
  );
  const [command, ...rest] = positionals;
  if (command !== undefined && ACCOUNT_COMMANDS.includes(command)) {
    return accountCommand(command, rest, values, env, print, warn);
  }
  if (rest.length > 0 || (command !== 'create' && command !== 'token')) throw new UsageError(USAGE);
  const username = values.username;
  if (!username) throw new UsageError(`--username is required\n${USAGE}`);
  const role = values.role ?? 'member';
  if (!isRole(role)) throw new UsageError(`unknown role "${role}"; one of ${ROLES.join(', ')}`);
  if (command === 'token' && (values.password || values.email || values.role)) {
    throw new UsageError(`token takes only --username\n${USAGE}`);
  }

  const password = values.password ?? generatePassword();
  if (command === 'create') {
    checkAccount({ username, password, ...(values.email === undefined ? {} : { email: values.email }) });
  }

  await withDatabase(env, warn, async ({ db, config, signer }) => {
    if (command === 'create') {
      const user = await createAccount(db, config, { username, password, email: values.email, role });
      print(`created user ${user.id} "${user.username}" (${user.role})`);
      if (values.password === undefined) print(`password: ${password}`);
      const pair = await issueTokenPair(db, config, signer, user);
      print(`access:   ${pair.access}`);
      print(`refresh:  ${pair.refresh}`);
      return;
    }
    const user = await findUserByUsername(db, username);
    if (!user) throw new UsageError(`no user "${username}"`);
    const pair = await issueTokenPair(db, config, signer, user);
    print(`user ${user.id} "${user.username}" (${user.role})`);
    print(`access:   ${pair.access}`);
    print(`refresh:  ${pair.refresh}`);
  });
}

/** disable, enable, delete, set-password: one username, the same rules as the API (the last admin stays). */
async function accountCommand(
  command: string,
  rest: string[],
  values: { username?: string | undefined; password?: string | undefined; email?: string | undefined; role?: string | undefined },
  env: Env,
  print: Print,
  warn: Print,
): Promise<void> {
  const [name, ...extra] = rest;
  const allowed = command === 'set-password' ? ['password'] : [];
  const misplaced = Object.keys(values).filter((option) => !allowed.includes(option));
  if (!name || extra.length > 0 || misplaced.length > 0) throw new UsageError(USAGE);
  await withDatabase(env, warn, async ({ db, config }) => {
    if (command === 'set-password') {
      const password = values.password ?? generatePassword();
      const user = await operatorCommands.setPassword(db, config, OPERATOR, name, password);
      print(`password of user ${user.id} "${user.username}" set; every session of it ended`);
      if (values.password === undefined) print(`password: ${password}`);
      return;
    }
    if (command === 'delete') {
      const user = await operatorCommands.delete(db, OPERATOR, name);
      print(`deleted user ${user.id} "${user.username}"`);
      return;
    }
    const user = await operatorCommands[command === 'disable' ? 'disable' : 'enable'](db, OPERATOR, name);
    print(`user ${user.id} "${user.username}" ${user.active ? 'enabled' : 'disabled'}`);
  });
}

if (import.meta.main) {
  readDotEnv();
  try {
    await main(process.argv.slice(2), process.env, console.log, console.error);
  } catch (error) {
    process.exitCode = exitFor(error);
  }
}
