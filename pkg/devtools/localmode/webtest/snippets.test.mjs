// Every shell and JavaScript snippet of README.md, taken from README.md at
// test time and run against local mode (see readme.mjs for the markers):
// shell in bash (set -euo pipefail), browser snippets in headless Chromium on
// the broker's origin, Node snippets in Node. A snippet fails the test when
// it exits non-zero or throws. TestReadmeSnippets (pkg/devtools/localmode) starts
// local mode and runs this.
//
// What a snippet finds: the README's placeholders https://<your-trigger>,
// http://127.0.0.1:9000 and <dev token> are the running broker and its dev
// token; shell snippets get $BROKER and $TOKEN and run in a folder holding
// photo.png; JavaScript snippets get `token`, `file` (photo.png as a File in
// the browser) and, for progress-reporting code, `showProgress`, `done(key)`
// and `fail(message)` (a snippet that calls done must call it, or fail).
//
// A shell snippet's sample output (readme.mjs, samples) must match what it
// printed.
//
// Token minters (node mint, go mint) run with JWT_HS256_SECRET, local mode's
// secret, and the broker must accept the token they print.
//
// Environment: BROKER_URL, JWT_HS256_SECRET, OSS_URL (local mode's OSS server, for samples), README (path), CHROMIUM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { localize, readme, samples } from './readme.mjs';

const run = promisify(execFile);
const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through go test -run TestReadmeSnippets ./pkg/devtools/localmode`);
  return v;
};
const brokerURL = env('BROKER_URL');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const ossURL = process.env.OSS_URL || '';

// photo.png: a 1x1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

// The minters sign with local mode's JWT_HS256_SECRET, as a backend signs
// with its deployment's; the last line they print is the token.
const mintEnv = () => ({ ...process.env, JWT_HS256_SECRET: env('JWT_HS256_SECRET') });
const lastLine = (out) => out.trim().split('\n').pop().trim();

// mintNode runs a node mint snippet as a module file beside this one, so that
// its imports (jose) resolve from this folder's pinned node_modules.
async function mintNode(s, code) {
  const dir = join(import.meta.dirname, 'out');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `mint-${s.line}.mjs`);
  writeFileSync(file, code);
  try {
    const { stdout } = await run(process.execPath, [file], { timeout: 60_000, env: mintEnv() });
    return lastLine(stdout);
  } catch (e) {
    assert.fail(`exit ${e.code}\nstderr: ${e.stderr}`);
  } finally {
    rmSync(file, { force: true });
  }
}

// mintGo runs a go mint snippet as main.go of a module requiring what the
// repository's go.mod requires (its go.sum too), from the local module cache.
async function mintGo(s, code) {
  const root = join(import.meta.dirname, '..', '..', '..', '..');
  const dir = mkdtempSync(join(tmpdir(), 'ossbroker-mint-'));
  try {
    const gomod = readFileSync(join(root, 'go.mod'), 'utf8').replace(/^module .*$/m, 'module mintsnippet');
    writeFileSync(join(dir, 'go.mod'), gomod);
    writeFileSync(join(dir, 'go.sum'), readFileSync(join(root, 'go.sum')));
    writeFileSync(join(dir, 'main.go'), code);
    const { stdout } = await run('go', ['run', '.'], {
      cwd: dir, timeout: 180_000, env: { ...mintEnv(), GOFLAGS: '-mod=mod', GOPROXY: 'off', GOWORK: 'off' },
    });
    return lastLine(stdout);
  } catch (e) {
    assert.fail(`exit ${e.code}\nstderr: ${e.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('README.md snippets run against local mode', { timeout: 5 * 60_000 }, async (t) => {
  const all = readme(env('README'));
  assert.ok(all.length > 0, 'README.md has no snippets');
  const token = (await (await fetch(`${brokerURL}/dev/token`)).json()).token;
  assert.ok(token, 'local mode gave no dev token');
  const work = mkdtempSync(join(tmpdir(), 'ossbroker-snippets-'));
  writeFileSync(join(work, 'photo.png'), PNG);
  const userDataDir = mkdtempSync(join(tmpdir(), 'ossbroker-snippets-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
  t.after(async () => {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });
  const page = await context.newPage();
  // The host page: local mode's demo page, on the broker's origin (which the
  // local bucket's CORS rule lists).
  await page.goto(`${brokerURL}/`);

  let previousJS = '';
  for (const s of all) {
    const code = localize(s.code, brokerURL, token);
    const name = `README.md:${s.line} (${s.lang}, ${s.runner})`;
    if (s.runner === 'none' || s.runner === 'uppy5' || s.runner === 'uppy6' || s.runner === 'jvm') {
      const skip = { none: `not run: ${s.reason}`, jvm: 'run on the JVM by TestReadmeSnippets (kotlin_test.go)' }[s.runner] || 'run by TestUppy';
      await t.test(name, { skip }, () => {});
      continue;
    }
    await t.test(name, async () => {
      if (s.runner === 'bash') {
        let stdout;
        try {
          ({ stdout } = await run('bash', ['-euo', 'pipefail', '-c', code], {
            cwd: work, timeout: 60_000, env: { ...process.env, BROKER: brokerURL, TOKEN: token },
          }));
        } catch (e) {
          assert.fail(`exit ${e.code}\nstdout: ${e.stdout}\nstderr: ${e.stderr}`);
        }
        // The sample output the snippet shows ("# → ..." lines) is what it
        // printed: each part between "..." appears, in order.
        let from = 0;
        for (const sample of samples(code)) {
          for (const part of sample.split('...').map((p) => p.trim()).filter(Boolean)) {
            const want = ossURL ? part.replaceAll('http://127.0.0.1:9100', ossURL) : part;
            const at = stdout.indexOf(want, from);
            assert.ok(at >= 0, `the sample output shows ${JSON.stringify(want)}, which the snippet did not print (after byte ${from}):\n${stdout}`);
            from = at + want.length;
          }
        }
        return;
      }
      if (s.runner === 'node-mint' || s.runner === 'go-mint') {
        const minted = s.runner === 'node-mint' ? await mintNode(s, code) : await mintGo(s, code);
        const res = await fetch(`${brokerURL}/v1/presign`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${minted}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ key: 'exampledir/minted/', contentType: 'text/plain', contentLength: 1 }), // pinned: every mode takes it
        });
        assert.equal(res.status, 200, `the broker refused the minted token: ${await res.text()}`);
        return;
      }
      if (s.runner === 'node') {
        const prelude = `const token = ${JSON.stringify(token)};\n`;
        try {
          await run(process.execPath, ['--input-type=module', '-e', prelude + code], { cwd: work, timeout: 60_000 });
        } catch (e) {
          assert.fail(`exit ${e.code}\nstderr: ${e.stderr}`);
        }
        return;
      }
      // Browser: one async function per snippet (a "continues" snippet runs
      // after the one before it, in its scope).
      const body = s.runner === 'continues' ? `${previousJS}\n${code}` : code;
      if (s.runner === 'browser') previousJS = code;
      const waits = /\bdone\(/.test(code);
      const script = `(async () => {
        const token = ${JSON.stringify(token)};
        const file = new File([Uint8Array.from(atob(${JSON.stringify(PNG.toString('base64'))}), (c) => c.charCodeAt(0))], 'photo.png', { type: 'image/png' });
        let finish, failed;
        const finished = new Promise((res, rej) => { finish = res; failed = rej; });
        const done = (key) => finish(key), fail = (message) => failed(new Error(message));
        const showProgress = () => {};
        ${body}
        ${waits ? 'await finished;' : ''}
      })()`;
      await page.evaluate(script);
    });
  }
});
