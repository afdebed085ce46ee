// Uppy 6 and Uppy 5 in a real browser, with the glue the README gives (taken
// from README.md at test time, bundled with the pinned Uppy of uppy6/ or
// uppy5/ by esbuild): a small file, a multipart file, a multipart upload
// cancelled half-way, and one resumed after a page reload. TestUppy
// (pkg/devtools/localmode/uppy_test.go) starts local mode, makes the files, runs
// this, then checks through the OSS SDK that the bucket holds exactly the
// bytes of the files that were to be stored.
//
//   go test -count=1 -v -run '^TestUppy$' ./pkg/devtools/localmode
//
// Environment: BROKER_URL, README (path), SMALL_FILE, BIG_FILE, CANCEL_FILE,
// RESUME_FILE (one set per version: the version is appended, e.g.
// SMALL_FILE_6), OUT_DIR, CHROMIUM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { localize, readme } from './readme.mjs';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through go test -run TestUppy ./pkg/devtools/localmode`);
  return v;
};
const here = dirname(fileURLToPath(import.meta.url));
const brokerURL = env('BROKER_URL');
const outDir = env('OUT_DIR');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const LONG = 60_000;

// bundle builds the README's Uppy snippet for version v with that version's
// node_modules; the page gives it the dev token as globalThis.ossbrokerToken
// and gets the Uppy instance back as globalThis.uppy.
async function bundle(v, token) {
  const found = readme(env('README')).filter((s) => s.runner === `uppy${v}`);
  assert.equal(found.length, 1, `README.md has ${found.length} snippets marked "browser uppy${v}", want 1`);
  const code = `const token = globalThis.ossbrokerToken;\n${localize(found[0].code, brokerURL, token)}\nglobalThis.uppy = uppy;\n`;
  const res = await build({
    stdin: { contents: code, resolveDir: join(here, `uppy${v}`), sourcefile: `README.md:${found[0].line}`, loader: 'js' },
    bundle: true, write: false, format: 'iife', platform: 'browser', target: 'chrome120', logLevel: 'silent',
  });
  return res.outputFiles[0].text;
}

for (const v of (process.env.UPPY_VERSIONS || '6,5').split(',')) {
  test(`Uppy ${v} with the README's glue`, { timeout: 5 * 60_000 }, async (t) => {
    mkdirSync(outDir, { recursive: true });
    const token = (await (await fetch(`${brokerURL}/dev/token`)).json()).token;
    assert.ok(token, 'local mode gave no dev token');
    const js = await bundle(v, token);
    const userDataDir = mkdtempSync(join(tmpdir(), 'ossbroker-uppy-'));
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath, headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-quic'],
    });
    t.after(async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    // Every part PUT sent to OSS, by part number, and every broker call.
    const sent = [];
    const brokerCalls = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.searchParams.has('partNumber') && r.method() === 'PUT') sent.push(Number(u.searchParams.get('partNumber')));
      else if (u.origin === brokerURL && u.pathname.startsWith('/v1/')) brokerCalls.push(`${r.method()} ${u.pathname}`);
    });
    // The host page is local mode's demo page (on the broker's origin,
    // which the local bucket's CORS rule lists; its file input picks the
    // files); the bundle runs in it as a page's script would.
    const open = async () => {
      await page.goto(`${brokerURL}/`);
      await page.evaluate(`globalThis.ossbrokerToken = ${JSON.stringify(token)};\n${js}`);
      await page.waitForFunction(() => globalThis.uppy);
    };
    // add picks the file through the file input (so the File has the disk
    // file's name and mtime, as a user's pick would) and adds it to Uppy.
    const add = async (path) => {
      await page.setInputFiles('#files', path);
      return page.evaluate(() => {
        const f = document.getElementById('files').files[0];
        return globalThis.uppy.addFile({ name: f.name, type: f.type || 'application/octet-stream', data: f, source: 'test' });
      });
    };
    const upload = () => page.evaluate(async () => {
      const r = await globalThis.uppy.upload();
      return { ok: r.successful.map((f) => f.name), failed: r.failed.map((f) => `${f.name}: ${f.error}`) };
    });
    const slow = async (bytesPerSecond) => {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond });
    };
    await open();

    await t.test('a small file goes as one PUT', async () => {
      const name = basename(env(`SMALL_FILE_${v}`));
      await add(env(`SMALL_FILE_${v}`));
      const r = await upload();
      assert.deepEqual(r, { ok: [name], failed: [] }, `console: ${errors.join(' | ')}`);
      assert.deepEqual(sent, [], 'a small file was sent in parts');
      await page.evaluate(() => globalThis.uppy.clear());
    });

    await t.test('a multipart file goes in parts', async () => {
      sent.length = 0;
      const name = basename(env(`BIG_FILE_${v}`));
      await add(env(`BIG_FILE_${v}`));
      const r = await upload();
      assert.deepEqual(r, { ok: [name], failed: [] });
      // 24 MiB in Uppy's 5 MiB chunks.
      assert.deepEqual([...sent].sort((a, b) => a - b), [1, 2, 3, 4, 5], `parts sent: ${sent}`);
      await page.evaluate(() => globalThis.uppy.clear());
    });

    await t.test('a multipart upload cancelled half-way is aborted at the broker', async () => {
      sent.length = 0;
      brokerCalls.length = 0;
      await slow(4 * 1024 * 1024);
      const id = await add(env(`CANCEL_FILE_${v}`));
      await page.evaluate(() => {
        globalThis.partsDone = 0;
        globalThis.uppy.on('s3-multipart:part-uploaded', () => { globalThis.partsDone++; });
        globalThis.uppy.upload().catch(() => {});
      });
      await page.waitForFunction(() => globalThis.partsDone >= 1, null, { timeout: LONG });
      const aborted = page.waitForResponse((r) => {
        const u = new URL(r.url());
        return r.request().method() === (v === '6' ? 'DELETE' : 'POST') &&
          u.pathname === (v === '6' ? '/v1/uppy/s3' : '/v1/multipart/abort');
      }, { timeout: LONG });
      await page.evaluate((fileID) => globalThis.uppy.removeFile(fileID), id);
      const res = await aborted;
      assert.equal(res.status(), 204, `abort answered ${res.status()}`);
      await slow(-1);
    });

    await t.test('a multipart upload resumes after a page reload, sending only the missing parts', async () => {
      sent.length = 0;
      await slow(4 * 1024 * 1024);
      await add(env(`RESUME_FILE_${v}`));
      await page.evaluate(() => {
        globalThis.partsBefore = [];
        globalThis.uppy.on('s3-multipart:part-uploaded', (f, part) => { globalThis.partsBefore.push(part.PartNumber); });
        globalThis.uppy.upload().catch(() => {});
      });
      await page.waitForFunction(() => globalThis.partsBefore.length >= 1, null, { timeout: LONG });
      const before = await page.evaluate(() => globalThis.partsBefore);
      const saved = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('uppy-upload:')));
      assert.equal(saved.length, 1, `localStorage holds ${saved}`);
      // Reload while still throttled: lifting the throttle first lets the
      // parts in flight (and the rest) finish before the page goes away.
      await open(); // a reload
      await slow(-1);
      sent.length = 0;
      brokerCalls.length = 0;
      await add(env(`RESUME_FILE_${v}`));
      const r = await upload();
      assert.deepEqual(r, { ok: [basename(env(`RESUME_FILE_${v}`))], failed: [] });
      t.diagnostic(`parts done before the reload: ${before}; sent after it: ${sent}`);
      for (const n of before) assert.ok(!sent.includes(n), `part ${n} was uploaded before the reload and sent again`);
      // 48 MiB in 5 MiB chunks: 10 parts, more than Uppy 5 sends at once.
      assert.ok(sent.length >= 1 && sent.length <= 10 - before.length, `parts sent after the reload: ${sent}`);
      assert.ok(brokerCalls.some((c) => c === (v === '6' ? 'GET /v1/uppy/s3' : 'POST /v1/multipart/list')),
        `the resumed upload did not list its parts: ${brokerCalls}`);
      const left = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('uppy-upload:')));
      assert.deepEqual(left, [], 'the finished upload is still remembered');
      await page.screenshot({ path: join(outDir, `uppy${v}.png`) });
    });

    await t.test('no errors on the page', () => {
      // The reload cuts the in-flight part PUT short on purpose.
      assert.deepEqual(errors.filter((m) => !/net::ERR_ABORTED|Failed to load resource/.test(m)), []);
    });
  });
}
