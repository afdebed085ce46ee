// Offline check of s.yaml: `s preview -o json` must render it (no
// credentials, no network), the fc3 props must pass the fc3 component's own
// JSON schema (fc3-props.schema.json, devsapp/fc3 src/schema.json, MIT), and
// the fields the schema cannot pin (its triggerConfig is a loose anyOf) are
// asserted here.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';

const here = dirname(fileURLToPath(import.meta.url));
const out = execFileSync(join(here, 'node_modules/.bin/s'), ['preview', '-o', 'json', '--silent'], {
  cwd: join(here, '..'),
  // The two required values (no defaults in s.yaml), set here so that s
  // renders; pkg/devtools/deploycheck's deploy test proves s refuses without them.
  env: { ...process.env, HOME: process.env.S_HOME || '/tmp/ossbroker-s-home', NODE_ENV: 'test',
    OSS_BUCKET: 'examplebucket', JWT_JWKS_URL: 'https://login.example.com/.well-known/jwks.json' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
const doc = JSON.parse(out.toString());
const props = doc.resources.broker.props;

const schema = JSON.parse(readFileSync(join(here, 'fc3-props.schema.json'), 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
const validate = ajv.compile(schema);
const failures = [];
if (!validate(props)) failures.push(...validate.errors.map((e) => `schema: ${e.instancePath} ${e.message}`));

const expect = (what, ok) => { if (!ok) failures.push(what); };
expect('edition 3.0.0', doc.edition === '3.0.0');
expect('component fc3 (unless S_FC3_COMPONENT)', doc.resources.broker.component === (process.env.S_FC3_COMPONENT || 'fc3'));
expect('literal access', doc.access === 'default');
expect('runtime go1', props.runtime === 'go1');
expect('handler main', props.handler === 'main');
expect('code ./dist/code (the binary alone)', props.code === './dist/code');
expect('pre-deploy builds', JSON.stringify(doc.resources.broker.actions['pre-deploy']).includes('make build'));
const trig = props.triggers?.[0];
expect('one http trigger', props.triggers?.length === 1 && trig.triggerType === 'http');
expect('anonymous trigger', trig?.triggerConfig?.authType === 'anonymous');
for (const m of ['GET', 'POST', 'PUT', 'OPTIONS']) expect(`trigger allows ${m}`, trig?.triggerConfig?.methods?.includes(m));
expect('methods are FC methods', trig?.triggerConfig?.methods?.every((m) => ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'].includes(m)));
for (const v of ['OSS_BUCKET', 'OSS_REGION', 'UPLOAD_PREFIX', 'JWT_HS256_SECRET', 'PRESIGN_TTL', 'MAX_DIRECT_UPLOAD_BYTES']) {
  expect(`env ${v}`, v in props.environmentVariables);
}
expect('bucket from OSS_BUCKET', props.environmentVariables.OSS_BUCKET === 'examplebucket');
expect('trigger on the alias prod', trig?.qualifier === 'prod');
// FC's limit: the variables' total size at most 4 KB (counted here as the
// JSON object FC's API receives, an upper bound).
const envBytes = JSON.stringify(props.environmentVariables).length;
expect(`environment variables ${envBytes} bytes <= 4096`, envBytes <= 4096);
expect('default prefix', props.environmentVariables.UPLOAD_PREFIX === 'exampledir/');

// The inspector (issue 15): its own function, an OSS trigger on the
// broker's three upload events with the prefix filter, and FC's async
// retry configuration.
const insp = doc.resources.inspector?.props;
expect('inspector resource', doc.resources.inspector?.component === 'fc3' && insp);
if (insp) {
  if (!validate(insp)) failures.push(...validate.errors.map((e) => `inspector schema: ${e.instancePath} ${e.message}`));
  expect('inspector code ./dist-inspector', insp.code === './dist-inspector');
  expect('inspector pre-deploy builds', JSON.stringify(doc.resources.inspector.actions['pre-deploy']).includes('make build-inspector'));
  const ot = insp.triggers?.[0];
  expect('one oss trigger', insp.triggers?.length === 1 && ot.triggerType === 'oss');
  expect('oss trigger events', JSON.stringify(ot?.triggerConfig?.events) ===
    JSON.stringify(['oss:ObjectCreated:PutObject', 'oss:ObjectCreated:PostObject', 'oss:ObjectCreated:CompleteMultipartUpload']));
  expect('oss trigger prefix', ot?.triggerConfig?.filter?.key?.prefix === 'exampledir/');
  expect('oss trigger role and source', 'invocationRole' in ot && ot.sourceArn?.startsWith('acs:oss:'));
  expect('async retries 8', insp.asyncInvokeConfig?.maxAsyncRetryAttempts === 8);
  expect('async max age 6 h', insp.asyncInvokeConfig?.maxAsyncEventAgeInSeconds === 21600);
  for (const v of ['NOTIFICATION_URL', 'NOTIFICATION_SECRET', 'UPLOAD_PREFIX', 'REJECTED_UPLOADS']) {
    expect(`inspector env ${v}`, v in insp.environmentVariables);
  }
  expect('inspector gets no JWT secret', !('JWT_HS256_SECRET' in insp.environmentVariables));
}

if (failures.length) {
  console.error('s.yaml check failed:\n  ' + failures.join('\n  '));
  process.exit(1);
}
console.log(`s.yaml: s preview rendered it offline; fc3 schema and ${trig.triggerConfig.methods.length} trigger methods OK; environment variables ${envBytes} of 4096 bytes`);
