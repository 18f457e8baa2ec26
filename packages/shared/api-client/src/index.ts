// @clipforge/api-client: the types and Zod validators of the API's schemas and its operations
// (generated from the server's OpenAPI document by packages/domain/tools/gen_ts.py), the typed
// fetch client, and the event stream over WebSocket with Server-Sent Events as the fallback.
export * from './generated/schemas';
export * from './generated/operations';
export * from './client';
export * from './sse';
export * from './events';
