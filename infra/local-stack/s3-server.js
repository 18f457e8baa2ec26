// s3-server.js — runs the S3-protocol server of the local stack and the s3 storage tests
// (@20minutes/s3rver, which checks SigV4 signatures) on loopback.
// Usage: node s3-server.js DIRECTORY PORT BUCKET...   Credentials: S3RVER / S3RVER.
'use strict';
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
