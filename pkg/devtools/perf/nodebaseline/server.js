// The presign endpoint a team would otherwise write in Node.js, as in the
// AWS Lambda presigned-URL samples: verify an HS256 Bearer JWT with `jose`,
// check the key's prefix, sign a V4 PUT URL with `ali-oss` signatureUrlV4
// (Content-Type and x-oss-forbid-overwrite signed), answer JSON.
// Used only by `make load` (pkg/devtools/perf/loadgen) for the throughput comparison.
//
// Environment: PORT (0 = any; the bound port is printed as "listening <port>"),
// JWT_HS256_SECRET, OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET, OSS_BUCKET,
// OSS_REGION (e.g. cn-hangzhou), OSS_ENDPOINT (http://127.0.0.1:port),
// UPLOAD_PREFIX (default exampledir/).
'use strict';
const http = require('http');
const { jwtVerify } = require('jose');
const OSS = require('ali-oss');

const secret = new TextEncoder().encode(process.env.JWT_HS256_SECRET);
const prefix = process.env.UPLOAD_PREFIX || 'exampledir/';
const bucket = process.env.OSS_BUCKET;
const client = new OSS({
  region: 'oss-' + process.env.OSS_REGION,
  accessKeyId: process.env.OSS_ACCESS_KEY_ID,
  accessKeySecret: process.env.OSS_ACCESS_KEY_SECRET,
  bucket,
  endpoint: process.env.OSS_ENDPOINT,
  authorizationV4: true,
  sldEnable: true, // path style, as for an IP endpoint
});

function send(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(body);
}

async function presign(req, res) {
  const auth = req.headers.authorization || '';
  if (!auth.startsWith('Bearer ')) return send(res, 401, { error: { code: 'unauthorized' } });
  try {
    await jwtVerify(auth.slice(7), secret, { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] });
  } catch (e) {
    return send(res, 401, { error: { code: 'unauthorized' } });
  }
  const chunks = [];
  for await (const c of req) chunks.push(c);
  let input;
  try {
    input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    return send(res, 400, { error: { code: 'invalid_request' } });
  }
  const key = input.key;
  if (typeof key !== 'string' || !key.startsWith(prefix) || key.includes('..')) {
    return send(res, 403, { error: { code: 'key_outside_prefix' } });
  }
  const contentType = input.contentType || 'application/octet-stream';
  const headers = { 'Content-Type': contentType, 'x-oss-forbid-overwrite': 'true' };
  const expiresIn = 900;
  const url = await client.signatureUrlV4('PUT', expiresIn, { headers }, key);
  send(res, 200, {
    method: 'PUT', url, headers, bucket, key,
    expiresAt: new Date(Date.now() + expiresIn * 1000).toISOString(),
  });
}

const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/v1/presign') {
    presign(req, res).catch(() => send(res, 500, { error: { code: 'internal' } }));
    return;
  }
  send(res, 404, { error: { code: 'not_found' } });
});
server.keepAliveTimeout = 65000;
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log('listening ' + server.address().port);
});
