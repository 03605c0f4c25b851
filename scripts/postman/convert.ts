/** openapi-to-postmanv2's collection for openapi.yaml, made reproducible, with its requests by method and path. */
import { createHash } from 'node:crypto';

export interface PostmanItem {
  id?: string;
  name?: string;
  item?: PostmanItem[];
  response?: PostmanItem[];
  request?: {
    method: string;
    url: { path: string[]; variable?: { key: string; value: string }[]; [key: string]: unknown };
    auth?: unknown;
    body?: { mode: string; raw?: string; [key: string]: unknown };
    [key: string]: unknown;
  };
  event?: unknown[];
  [key: string]: unknown;
}

// The converter mints random ids on every run; ids derived from each item's position keep the file reproducible.
export function stableIds(node: PostmanItem, path: string): void {
  if ('id' in node) node.id = createHash('sha256').update(path).digest('hex').slice(0, 32);
  for (const [i, child] of (node.item ?? []).entries()) stableIds(child, `${path}/${i}`);
  for (const [i, child] of (node.response ?? []).entries()) stableIds(child, `${path}/r${i}`);
}

// Where the spec has no example, the converter fakes values with Math.random; a seeded generator keeps them stable.
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The converted collection and its request items keyed `METHOD /path/{param}` as the spec writes them. */
export async function convert(data: string): Promise<{ collection: Record<string, unknown>; requests: Map<string, PostmanItem> }> {
  const random = Math.random;
  Math.random = seededRandom(20261122);
  const { default: Converter } = await import('openapi-to-postmanv2');
  const result = await new Promise<{
    result: boolean;
    reason?: string;
    output?: { data: Record<string, unknown> }[];
  }>((resolve, reject) =>
    Converter.convert(
      { type: 'string', data },
      {
        folderStrategy: 'Tags',
        requestParametersResolution: 'Example',
        exampleParametersResolution: 'Example',
      },
      (error, out) => (error ? reject(new Error(error.message)) : resolve(out as never)),
    ),
  ).finally(() => {
    Math.random = random;
  });
  const collection = result.output?.[0]?.data;
  if (!result.result || !collection) throw new Error(`openapi-to-postmanv2 failed: ${result.reason}`);
  const requests = new Map<string, PostmanItem>();
  const walk = (node: PostmanItem) => {
    if (node.request) {
      const path = `/${node.request.url.path.map((s) => s.replace(/^:(.+)$/, '{$1}')).join('/')}`;
      requests.set(`${node.request.method} ${path}`, node);
    }
    for (const child of node.item ?? []) walk(child);
  };
  walk(collection as PostmanItem);
  return { collection, requests };
}
