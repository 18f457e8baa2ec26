// The client's tests run in Node: its fetch, a node:http server and a stand-in WebSocket.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
    restoreMocks: true,
    testTimeout: 20_000,
  },
});
