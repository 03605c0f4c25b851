import t from 'tap';
import {
  currentParams,
  hashPassword,
  needsRehash,
  OWASP_ARGON2,
  passwordProblem,
  verifyPassword,
} from '../../src/auth/passwords.ts';
import { scryptHash } from './fixtures.ts';

t.test('new hashes are argon2id at OWASP strength in the PHC format, salted, and verify only the right password', async (t) => {
  const hash = await hashPassword('correct-horse-battery');
  t.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  t.same(currentParams(), { memoryKiB: 19_456, passes: 2, parallelism: 1 });
  t.same(OWASP_ARGON2, currentParams(), 'the default is the OWASP setting');
  t.not(await hashPassword('correct-horse-battery'), hash, 'a new salt each time');
  t.equal(await verifyPassword('correct-horse-battery', hash), true);
  t.equal(await verifyPassword('correct-horse-batterY', hash), false);
  t.equal(await verifyPassword('', hash), false);
  t.equal(needsRehash(hash), false);
});

t.test('the parameters stored with a hash are the ones used to check it', async (t) => {
  const stronger = await hashPassword('strong-password', { memoryKiB: 24_576, passes: 3, parallelism: 1 });
  t.match(stronger, /^\$argon2id\$v=19\$m=24576,t=3,p=1\$/);
  t.equal(await verifyPassword('strong-password', stronger), true);
  t.equal(await verifyPassword('other-password', stronger), false);
  t.equal(needsRehash(stronger), false, 'stronger than the setting: kept');
  const weaker = await hashPassword('old-password', { memoryKiB: 8192, passes: 2, parallelism: 1 });
  t.equal(await verifyPassword('old-password', weaker), true);
  t.equal(needsRehash(weaker), true, 'weaker than the setting: upgraded at the next login');
  t.equal(needsRehash(await hashPassword('x', { memoryKiB: 19_456, passes: 1, parallelism: 1 })), true);
});

t.test('scrypt hashes from before argon2id still verify, and want an upgrade', async (t) => {
  for (const [N, r, p] of [
    [2 ** 15, 8, 1],
    [1024, 4, 2],
  ] as const) {
    const old = scryptHash('old-password', N, r, p);
    t.equal(await verifyPassword('old-password', old), true, `scrypt N=${N} r=${r} p=${p}`);
    t.equal(await verifyPassword('other-password', old), false);
    t.equal(needsRehash(old), true);
  }
});

t.test('no stored hash, or an unusable one, never verifies', async (t) => {
  const good = await hashPassword('pw-123456');
  const [, , v, costs, salt, key] = good.split('$');
  const old = scryptHash('pw-123456');
  const [, n, r, p, oldSalt, oldKey] = old.split('$');
  for (const stored of [
    undefined,
    '',
    'placeholder:not-a-hash',
    `$argon2i$${v}$${costs}$${salt}$${key}`,
    `$argon2id$v=16$${costs}$${salt}$${key}`,
    `$argon2id$${v}$m=19456,t=2$${salt}$${key}`,
    `$argon2id$${v}$m=${2 ** 30},t=2,p=1$${salt}$${key}`,
    `$argon2id$${v}$m=19456,t=1000,p=1$${salt}$${key}`,
    `$argon2id$${v}$${costs}$$${key}`,
    `$argon2id$${v}$${costs}$${salt}`,
    `argon2id$${v}$${costs}$${salt}$${key}`,
    `bcrypt$${n}$${r}$${p}$${oldSalt}$${oldKey}`,
    `scrypt$${n}$${r}$${p}$${oldSalt}`,
    `scrypt$0$${r}$${p}$${oldSalt}$${oldKey}`,
    `scrypt$${2 ** 30}$${r}$${p}$${oldSalt}$${oldKey}`,
    `scrypt$${n}$${r}$${p}$$${oldKey}`,
  ]) {
    t.equal(await verifyPassword('pw-123456', stored), false, String(stored));
  }
  t.equal(await verifyPassword('pw-123456', old), true, 'the intact scrypt hash does');
  t.equal(needsRehash('placeholder:not-a-hash'), true);
});

t.test('password rules: a minimum in characters, a maximum of 1024 bytes', async (t) => {
  t.equal(passwordProblem('1234567', 8), 'must be at least 8 characters');
  t.equal(passwordProblem('12345678', 8), undefined);
  t.equal(passwordProblem('123456789ab', 12), 'must be at least 12 characters');
  t.equal(passwordProblem('🎬'.repeat(8), 8), undefined, 'an emoji is one character');
  t.equal(passwordProblem('x'.repeat(1024), 8), undefined);
  t.equal(passwordProblem('x'.repeat(1025), 8), 'must be at most 1024 bytes');
  t.equal(passwordProblem('é'.repeat(513), 8), 'must be at most 1024 bytes', '513 two-byte characters');
});

t.test('the same password in another Unicode normalisation form verifies', async (t) => {
  const composed = 'caf\u00e9-cr\u00e8me-br\u00fbl\u00e9e';
  const hash = await hashPassword(composed);
  t.equal(await verifyPassword(composed.normalize('NFD'), hash), true);
});
