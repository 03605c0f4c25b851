import type { FastifyReply, FastifyRequest } from 'fastify';
import type { operations } from '../../generated/api.d.ts';

export type OperationId = keyof operations;

type JsonContent<T> = T extends { content: { 'application/json': infer B } } ? B : undefined;

type BodyOf<O> = O extends { requestBody: infer R }
  ? JsonContent<R>
  : O extends { requestBody?: infer R }
    ? JsonContent<R> | undefined
    : undefined;

type PartOf<O, K extends string> = O extends { parameters: infer P }
  ? P extends Record<K, infer V>
    ? V extends undefined
      ? Record<string, never>
      : V
    : P extends Partial<Record<K, infer V>>
      ? Exclude<V, undefined> extends never
        ? Record<string, never>
        : Exclude<V, undefined>
      : Record<string, never>
  : Record<string, never>;

type SuccessStatus = 200 | 201 | 202;

export type SuccessBody<O> = O extends { responses: infer R }
  ? { [S in keyof R]: S extends SuccessStatus ? JsonContent<R[S]> : never }[keyof R]
  : never;

export interface RouteTypes<K extends OperationId> {
  Body: BodyOf<operations[K]>;
  Querystring: PartOf<operations[K], 'query'>;
  Params: PartOf<operations[K], 'path'>;
}

export type OperationRequest<K extends OperationId> = FastifyRequest<RouteTypes<K>>;

/** A handler for one operation: its request is typed from the spec, and so is what it returns. */
export type Handler<K extends OperationId> = (
  request: OperationRequest<K>,
  reply: FastifyReply,
) => Promise<SuccessBody<operations[K]> | FastifyReply | undefined>;

export type Handlers = { [K in OperationId]: Handler<K> };
export type HandlerGroup<K extends OperationId> = { [P in K]: Handler<P> };
