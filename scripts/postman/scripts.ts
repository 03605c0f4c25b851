/** The JavaScript each request runs in Postman's sandbox, as source lines. */
import type { JsonObject } from './spec.ts';

export interface Expectation {
  status: number;
  mediaType?: string;
  schema?: JsonObject;
  /** Response headers the status documents as always present (`Allow` on a 405). */
  headers?: string[];
}

const REASONS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  302: 'Found',
  304: 'Not Modified',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  422: 'Unprocessable Entity',
};

/** Assertions: the documented status, then the body against the documented schema (or no body at all). */
export function expectations(expected: Expectation): string[] {
  const lines = [
    `pm.test('answers ${expected.status} ${REASONS[expected.status] ?? ''}'.trim(), function () {`,
    `  pm.response.to.have.status(${expected.status});`,
    '});',
  ];
  for (const header of expected.headers ?? []) {
    lines.push(
      `pm.test('carries ${header}', function () {`,
      `  pm.response.to.have.header(${JSON.stringify(header)});`,
      '});',
    );
  }
  if (expected.mediaType === 'application/json' && expected.schema) {
    lines.push(
      "pm.test('the body matches the documented schema', function () {",
      "  var Ajv = require('ajv');",
      "  var ajv = new Ajv({ allErrors: true, unknownFormats: 'ignore' });",
      `  var schema = ${JSON.stringify(expected.schema)};`,
      '  var valid = ajv.validate(schema, pm.response.json());',
      '  pm.expect(valid, ajv.errorsText()).to.equal(true);',
      '});',
    );
  } else if (expected.mediaType) {
    lines.push(
      `pm.test('the body is ${expected.mediaType}', function () {`,
      `  pm.expect(pm.response.headers.get('Content-Type')).to.include(${JSON.stringify(expected.mediaType)});`,
      '  pm.expect(pm.response.text()).to.not.equal(\'\');',
      '});',
    );
  } else {
    lines.push("pm.test('the body is empty', function () {", "  pm.expect(pm.response.text()).to.equal('');", '});');
  }
  return lines;
}

/** Keeps a field of a successful JSON answer for later requests. */
export function store(variable: string, field: string): string[] {
  return [
    `if (pm.response.code < 300) pm.collectionVariables.set(${JSON.stringify(variable)}, pm.response.json()[${JSON.stringify(field)}]);`,
  ];
}

/** Sends the request with the token of a role the setup folder logged in. */
export function useRole(role: string): string[] {
  return [`pm.collectionVariables.set('accessToken', pm.variables.get(${JSON.stringify(`token_${role}`)}));`];
}

/** A new suffix for the names the run creates, and a password for its users, so runs never collide. */
export function startRun(): string[] {
  return [
    "pm.collectionVariables.set('runId', Date.now().toString(36) + Math.random().toString(36).slice(2, 8));",
    "pm.collectionVariables.set('runPassword', 'pm-' + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2));",
  ];
}

export function event(listen: 'prerequest' | 'test', lines: string[]) {
  return { listen, script: { type: 'text/javascript', exec: lines } };
}

/** Deletes, as the admin, every user the listing answered, asserting a 204 for each. */
export function deleteListedUsers(): string[] {
  return [
    'pm.response.json().users.forEach(function (user) {',
    '  pm.sendRequest({',
    "    url: pm.variables.replaceIn('{{baseUrl}}') + '/api/v1/users/' + user.id,",
    "    method: 'DELETE',",
    "    header: { Authorization: 'Bearer ' + pm.variables.get('token_admin') },",
    '  }, function (error, response) {',
    "    pm.test('deletes ' + user.username, function () {",
    '      pm.expect(error).to.equal(null);',
    '      pm.expect(response.code).to.equal(204);',
    '    });',
    '  });',
    '});',
  ];
}

/** The listing is empty: the run left no user behind. */
export function noneListed(): string[] {
  return [
    "pm.test('no user of this run is left', function () {",
    '  pm.expect(pm.response.json().users).to.eql([]);',
    '});',
  ];
}
