import { AppError } from '../errors/index.ts';
import type { HandlerGroup, OperationId } from './handlers.ts';

/** Stand-ins for operations whose area is not built yet: routed, but answering 501 in the error shape. */
export function notImplemented<K extends OperationId>(operationIds: readonly K[]): HandlerGroup<K> {
  const group = {} as HandlerGroup<K>;
  for (const id of operationIds) {
    (group as Record<string, unknown>)[id] = async () => {
      throw new AppError('not_implemented', `${id} is not implemented yet`);
    };
  }
  return group;
}
