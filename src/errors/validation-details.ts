import type { ErrorDetail } from './app-error.ts';

export interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

function fieldOf(issue: AjvIssue, part: string | undefined): string {
  const path = issue.instancePath
    .split('/')
    .filter(Boolean)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (issue.keyword === 'required' && typeof issue.params.missingProperty === 'string') {
    path.push(issue.params.missingProperty);
  }
  if (issue.keyword === 'additionalProperties' && typeof issue.params.additionalProperty === 'string') {
    path.push(issue.params.additionalProperty);
  }
  if (path.length > 0) return path.join('.');
  return part === 'body' || part === undefined ? 'body' : part;
}

function messageOf(issue: AjvIssue): string {
  if (issue.keyword === 'additionalProperties') return 'is not allowed';
  if (issue.keyword === 'required') return 'is required';
  if (issue.keyword === 'pattern' && issue.params.pattern === '\\S') return 'must not be blank';
  if (issue.keyword === 'format' && String(issue.params.format).endsWith('-date')) {
    return 'is not a valid date';
  }
  return issue.message ?? 'is invalid';
}

/**
 * The most problems one answer lists: a body of a megabyte can hold 100 000 unknown fields, and listing each would
 * make a 400 four times the size of the request it answers.
 */
export const MAX_DETAILS = 20;

/** Ajv's issues as the error shape's `details`: one per field and problem, at most MAX_DETAILS, then a count. */
export function validationDetails(issues: AjvIssue[], part: string | undefined): ErrorDetail[] {
  const seen = new Set<string>();
  const details: ErrorDetail[] = [];
  for (const issue of issues) {
    // anyOf/oneOf report every branch; the leaf issues already say what is wrong.
    if (issue.keyword === 'anyOf' || issue.keyword === 'oneOf' || issue.keyword === 'allOf') continue;
    const detail = { field: fieldOf(issue, part), message: messageOf(issue) };
    const key = `${detail.field}\u0000${detail.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      details.push(detail);
    }
  }
  if (details.length <= MAX_DETAILS) return details;
  const more = details.length - MAX_DETAILS;
  return [
    ...details.slice(0, MAX_DETAILS),
    { field: part === undefined ? 'body' : part, message: `and ${more} more ${more === 1 ? 'problem' : 'problems'}` },
  ];
}
