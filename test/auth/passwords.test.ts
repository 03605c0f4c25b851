import t from 'tap';
import {
  CURRENT_PARAMS,
  hashPassword,
  needsRehash,
  passwordProblem,
  verifyPassword,
} from '../../src/auth/passwords.ts';

t.test('hashes are scrypt$N$r$p$salt$hash, salted, and verify only the right password', async (t) => {
  const hash = await hashPassword('correct-horse-battery');
  t.match(hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  t.same(CURRENT_PARAMS, { N: 32768, r: 8, p: 1 });
  t.not(await hashPassword('correct-horse-battery'), hash, 'a new salt each time');
  t.equal(await verifyPassword('correct-horse-battery', hash), true);
  t.equal(await verifyPassword('correct-horse-batterY', hash), false);
  t.equal(await verifyPassword('', hash), false);
  t.equal(needsRehash(hash), false);
});

t.test('the parameters stored with a hash are the ones used to check it', async (t) => {
  const cheap = await hashPassword('old-password', { N: 1024, r: 4, p: 2 });
  t.match(cheap, /^scrypt\$1024\$4\$2\$/);
  t.equal(await verifyPassword('old-password', cheap), true);
  t.equal(await verifyPassword('other-password', cheap), false);
  t.equal(needsRehash(cheap), true, 'older parameters want an upgrade');
});

t.test('no stored hash, or an unusable one, never verifies', async (t) => {
  const good = await hashPassword('pw-123456');
  const [, n, r, p, salt, key] = good.split('$');
  for (const stored of [
    undefined,
    '',
    'placeholder:not-a-hash',
    `bcrypt$${n}$${r}$${p}$${salt}$${key}`,
    `scrypt$${n}$${r}$${p}$${salt}`,
    `scrypt$0$${r}$${p}$${salt}$${key}`,
    `scrypt$${2 ** 30}$${r}$${p}$${salt}$${key}`,
    `scrypt$${n}$${r}$${p}$$${key}`,
  ]) {
    t.equal(await verifyPassword('pw-123456', stored), false, String(stored));
  }
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
