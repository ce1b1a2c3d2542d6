/**
 * The HTTP server with the fast lanes in front of Hono's request listener: `serve({ …,
 * createServer: fastLaneServer(services) })`: the cached reads (lane.ts) and the orders
 * (order-lane.ts). Requests neither takes go to Hono as before.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { Services } from '../services.js';
import { createFastLane } from './lane.js';
import { createOrderLane } from './order-lane.js';
import { laneRoutes } from './routes.js';

/** `serve` calls it as `createServer(serverOptions, requestListener)`; typed as node's overloads it stands in for. */
export function fastLaneServer(services: Services, enabled = true): typeof createServer {
  const make = (options: ServerOptions, listener: RequestListener): Server => {
    if (!enabled) return createServer(options, listener);
    const lane = createFastLane(services, laneRoutes);
    const orderLane = createOrderLane(services);
    return createServer(options, (req: IncomingMessage, res: ServerResponse) => {
      if (!lane(req, res) && !orderLane(req, res)) void listener(req, res);
    });
  };
  return make as typeof createServer;
}
