/**
 * Loaded by bin/marquee.js before the app: starts tracing when the environment asks for it (tracing.ts), and
 * does nothing else, so a service without tracing loads no part of the SDK.
 */
import 'dotenv/config';
import { tracingRequested } from './tracing.ts';

if (tracingRequested(process.env)) await import('./sdk.ts');
