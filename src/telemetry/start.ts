/**
 * Loaded by bin/marquee.js before the app: starts tracing when the environment asks for it (tracing.ts), and
 * does nothing else, so a service without tracing loads no part of the SDK.
 */
import { readDotEnv } from '../config/environment.ts';
import { tracingRequested } from './tracing.ts';

// OTEL_* may come from .env, as every other setting may; the server reads it again, which changes nothing.
readDotEnv();
if (tracingRequested(process.env)) await import('./sdk.ts');
