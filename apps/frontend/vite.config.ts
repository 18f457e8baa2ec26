// Vite builds the SPA into dist/ (served by `clipforge serve` at /); Vitest runs the unit and
// component tests in jsdom. JSX goes through esbuild's automatic runtime (no React plugin).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  base: '/',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
    rollupOptions: {
      // zod ships a comment rollup cannot place; harmless, and it would bury real warnings.
      onwarn(warning, warn) {
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('node_modules/zod')) return;
        warn(warning);
      },
    },
  },
  server: { proxy: { '/v1': 'http://127.0.0.1:8080', '/openapi.json': 'http://127.0.0.1:8080' } },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
    // the machine that runs `make test` is shared: rendering the whole app can take seconds
    testTimeout: 60_000,
  },
});
