// s3-server.js — runs the S3-protocol server of the local stack and the s3 storage tests
// (@20minutes/s3rver, which checks SigV4 signatures) on loopback.
// Usage: node s3-server.js DIRECTORY PORT BUCKET...   Credentials: S3RVER / S3RVER.
// With CF_S3_TRACE_LOG=FILE, every request's method, path and W3C traceparent header are
// appended to FILE (the tracing test checks that the workers' S3 calls carry their trace).
'use strict';
const fs = require('fs');
const S3rver = require('@20minutes/s3rver');

const [directory, port, ...buckets] = process.argv.slice(2);
if (!directory || !port) {
  console.error('usage: node s3-server.js DIRECTORY PORT BUCKET...');
  process.exit(2);
}
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  directory,
  silent: true,
  vhostBuckets: false,
  configureBuckets: buckets.map((name) => ({ name, configs: [] })),
});
const traceLog = process.env.CF_S3_TRACE_LOG;
if (traceLog) {
  // First in the chain (S3rver is a Koa app), before its own handlers answer.
  server.middleware.unshift(async (ctx, next) => {
    fs.appendFileSync(traceLog, `${ctx.method} ${ctx.path} ${ctx.get('traceparent') || '-'}\n`);
    await next();
  });
}
server.run().then(
  (addr) => console.log(`s3 server listening on ${addr.address}:${addr.port}`),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
const stop = () => server.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
