import type { AppDeps } from '../deps.ts';
import { notImplemented } from '../spec/not-implemented.ts';

export function createMessageHandlers(_deps: AppDeps) {
  return notImplemented([
    'listMessages',
    'createMessage',
    'getMessage',
    'replaceMessage',
    'updateMessage',
    'deleteMessage',
  ]);
}
