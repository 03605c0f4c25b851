/**
 * The folder that shows what clients can rely on as data and traffic grow: a POST replayed by its
 * Idempotency-Key, a walk by the Link rel="next" cursor, a 304 for a current ETag and a 412 for a stale one.
 */
import type { PostmanItem } from './convert.ts';
import type { Variant } from './item.ts';
import { type Expectation, store } from './scripts.ts';
import type { JsonObject, Operation, Spec } from './spec.ts';

type Build = (template: PostmanItem, op: Operation, variant: Variant) => PostmanItem;

const test = (name: string, ...body: string[]) => [`pm.test(${JSON.stringify(name)}, function () {`, ...body.map((l) => `  ${l}`), '});'];

export function featuresFolder(spec: Spec, template: (op: Operation) => PostmanItem, build: Build): PostmanItem {
  const find = (id: string) => spec.operations.find((op) => op.operationId === id) as Operation;
  const [create, list, read, update, remove] = ['createMessage', 'listMessages', 'getMessage', 'updateMessage', 'deleteMessage'].map(find) as [
    Operation,
    Operation,
    Operation,
    Operation,
    Operation,
  ];
  const success = (op: Operation): Expectation => ({ status: op.success.status, mediaType: op.success.mediaType, schema: op.success.schema });
  const failure = (op: Operation, status: number): Expectation => ({
    status,
    mediaType: 'application/json',
    schema: (op.errors.get(status) ?? spec.errorSchema) as JsonObject,
  });
  const body = JSON.stringify({ content: 'sent twice, stored once' }, null, 2);
  const mine = { id: '{{keyedMessageId}}' };
  const items = [
    build(template(create), create, {
      name: 'POST a message with an Idempotency-Key',
      role: 'member',
      body,
      headers: { 'Idempotency-Key': '{{idempotencyKey}}' },
      prerequest: ["pm.collectionVariables.set('idempotencyKey', 'pm-' + pm.collectionVariables.get('runId'));"],
      expect: success(create),
      tests: store('keyedMessageId', 'id'),
    }),
    build(template(create), create, {
      name: 'The same POST again: replayed, nothing created',
      role: 'member',
      body,
      headers: { 'Idempotency-Key': '{{idempotencyKey}}' },
      expect: success(create),
      tests: test(
        'the first answer, replayed',
        "pm.expect(pm.response.headers.get('Idempotent-Replayed')).to.equal('true');",
        "pm.expect(pm.response.json().id).to.equal(pm.collectionVariables.get('keyedMessageId'));",
      ),
    }),
    build(template(list), list, {
      name: 'List messages, one a page: Link rel="next" carries a cursor',
      role: null,
      query: { limit: '1' },
      expect: success(list),
      tests: [
        ...test('a next link by cursor', "pm.expect(pm.response.headers.get('Link')).to.match(/[?&]cursor=[\\w-]+>; rel=\"next\"/);"),
        "pm.collectionVariables.set('nextCursor', /[?&]cursor=([\\w-]+)>; rel=\"next\"/.exec(pm.response.headers.get('Link'))[1]);",
        "pm.collectionVariables.set('firstListedId', pm.response.json()[0].id);",
      ],
    }),
    build(template(list), list, {
      name: 'The next page, by its cursor',
      role: null,
      query: { limit: '1', cursor: '{{nextCursor}}' },
      expect: success(list),
      tests: test(
        'the message after the first page',
        'pm.expect(pm.response.json()).to.have.lengthOf(1);',
        "pm.expect(pm.response.json()[0].id).to.not.equal(pm.collectionVariables.get('firstListedId'));",
      ),
    }),
    build(template(read), read, {
      name: 'Read the message: its ETag',
      role: null,
      pathValues: mine,
      expect: success(read),
      tests: ["pm.collectionVariables.set('messageTag', pm.response.headers.get('ETag'));"],
    }),
    build(template(read), read, {
      name: 'Read it with If-None-Match: 304, no body (the view is counted)',
      role: null,
      pathValues: mine,
      headers: { 'If-None-Match': '{{messageTag}}' },
      expect: { status: 304 },
    }),
    build(template(update), update, {
      name: 'Edit it with a stale If-Match: 412, nothing changed',
      role: 'member',
      pathValues: mine,
      body: JSON.stringify({ content: 'lost update' }, null, 2),
      headers: { 'If-Match': '"stale"' },
      expect: failure(update, 412),
    }),
    build(template(remove), remove, {
      name: '204 with its current tag in If-Match: delete it',
      role: 'member',
      pathValues: mine,
      headers: { 'If-Match': '{{messageTag}}' },
      expect: success(remove),
    }),
  ];
  return { name: 'paging, caching and retrying safely', item: items };
}
