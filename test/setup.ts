// zod 4 gives a schema `.openapi()` only when @hono/zod-openapi was loaded before the schema was
// built, so it is loaded before any contract module, as gateway/src/main.ts does.
import '@hono/zod-openapi';
