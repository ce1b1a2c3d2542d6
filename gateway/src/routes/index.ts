import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context.js';
import type { Services } from '../services.js';
import { registerHealth } from './health.js';
import { registerMetrics } from '../metrics/route.js';
import { registerDashboard } from './dashboard.js';
import { registerProducts } from './products.js';
import { registerInventory } from './inventory.js';
import { registerOrders } from './orders.js';
import { registerReturns } from './returns.js';
import { registerShipments } from './shipments.js';
import { registerShadow } from './shadow.js';
import { registerOpenApi } from './openapi.js';
import { registerOAuth } from './oauth.js';
import { registerWellKnown } from './well-known.js';
import { registerAdminRotation } from './admin-rotation.js';
import { registerInboundWebhooks } from './inbound-webhooks.js';
import { registerWebhookSubscriptions } from './webhook-subscriptions.js';
import { registerAdminReplay } from './admin-replay.js';
import { registerReconcile } from '../reconcile/route.js';

export type RouteRegistrar = (app: OpenAPIHono<AppEnv>, services: Services) => void;

/** Every route module, in registration order. */
export const routeRegistrars: RouteRegistrar[] = [
  // Ops first: the request metrics middleware must precede every route.
  registerMetrics,
  registerDashboard,
  registerHealth, registerOAuth, registerWellKnown, registerAdminRotation, registerProducts, registerInventory, registerOrders, registerReturns, registerShipments, registerShadow, registerOpenApi,
  registerInboundWebhooks,
  registerWebhookSubscriptions, registerAdminReplay, registerReconcile];
