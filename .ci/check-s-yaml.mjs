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
  // renders; pkg/syaml's deploy test proves s refuses without them.
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

if (failures.length) {
  console.error('s.yaml check failed:\n  ' + failures.join('\n  '));
  process.exit(1);
}
console.log(`s.yaml: s preview rendered it offline; fc3 schema and ${trig.triggerConfig.methods.length} trigger methods OK; environment variables ${envBytes} of 4096 bytes`);
