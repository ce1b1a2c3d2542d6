import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context.js';
import type { Services } from '../services.js';
import { registerHealth } from './health.js';
import { registerProducts } from './products.js';

export type RouteRegistrar = (app: OpenAPIHono<AppEnv>, services: Services) => void;

/** Every route module, in registration order. */
export const routeRegistrars: RouteRegistrar[] = [registerHealth, registerProducts];
