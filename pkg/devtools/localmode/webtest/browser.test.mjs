// The demo page in a real browser: headless Debian Chromium, driven by
// playwright-core. TestBrowser (pkg/devtools/localmode/browser_test.go) starts
// local mode, makes the files, runs this with the addresses in the
// environment, and afterwards checks through the OSS SDK (owner
// credentials) that the stored objects hold exactly the files' bytes.
//
//   go test -count=1 -v -run '^TestBrowser$' ./pkg/devtools/localmode
//
// Environment: BROKER_URL (the page's origin), UPLOAD_FILES (JSON list of
// paths: a small text file, then a large binary one), MULTIPART_FILE (over
// the page's multipart threshold), FORM_FILE and FORM_BIG_FILE (for a POST
// form limited to 64 KiB: one fits, one does not), GOOD_FILE and
// DISGUISED_FILE (a PNG, and HTML named .png: receipts), OUT_DIR (screenshot),
// RESULT_FILE (what was stored where, for the Go side), CHROMIUM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through go test -run TestBrowser ./pkg/devtools/localmode`);
  return v;
};
const brokerURL = env('BROKER_URL');
const files = JSON.parse(env('UPLOAD_FILES'));
const outDir = env('OUT_DIR');
const resultFile = env('RESULT_FILE');
const multipartFile = env('MULTIPART_FILE');
const formFile = env('FORM_FILE');
const formBigFile = env('FORM_BIG_FILE');
const goodFile = env('GOOD_FILE');
const disguisedFile = env('DISGUISED_FILE');
const resumeFile = env('RESUME_FILE');
const offlineFile = env('OFFLINE_FILE');
const cancelFile = env('CANCEL_FILE');
const dropFiles = JSON.parse(env('DROP_FILES'));
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const LONG = 120_000;

test('the demo page uploads cross-origin to the OSS server', { timeout: 5 * 60_000 }, async (t) => {
  mkdirSync(outDir, { recursive: true });
  const userDataDir = mkdtempSync(join(tmpdir(), 'ossbroker-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic'],
    viewport: { width: 900, height: 900 },
  });
  t.after(async () => {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  });
  const result = { uploads: {}, refused: [], cancelled: [] };

  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  await page.goto(brokerURL + '/');
  // The dev token and the dev user's folder are prefilled.
  await page.waitForFunction(() => document.getElementById('token').value.split('.').length === 3);
  const folder = await page.inputValue('#folder');
  assert.match(folder, /\/$/, 'the folder is prefilled with the dev prefix');

  await t.test('two files, two progress bars to 100%, stored keys shown', async () => {
    // Slow the upload link so the 20 MiB file reports progress along the
    // way (loopback is otherwise too fast to see it), then record every
    // value each bar takes.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 16 * 1024 * 1024,
    });
    await page.evaluate(() => {
      window.progressSeen = {};
      new MutationObserver((records) => {
        for (const r of records) {
          if (r.target.tagName !== 'PROGRESS') continue;
          const name = r.target.closest('li').dataset.file;
          (window.progressSeen[name] ||= []).push(Number(r.target.value));
        }
      }).observe(document.getElementById('uploads'), { attributes: true, attributeFilter: ['value'], subtree: true });
    });

    await page.setInputFiles('#files', files);
    await page.click('#upload');
    const rows = page.locator('#uploads li');
    await page.waitForFunction((n) => {
      const li = [...document.querySelectorAll('#uploads li')];
      return li.length === n && li.every((r) => r.dataset.state === 'done' || r.dataset.state === 'error');
    }, files.length, { timeout: LONG });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

    assert.equal(await rows.count(), files.length);
    for (const path of files) {
      const name = basename(path);
      const row = page.locator(`#uploads li[data-file="${name}"]`);
      const state = await row.getAttribute('data-state');
      assert.equal(state, 'done', `${name}: ${await row.locator('.upload-status').textContent()}`);
      assert.equal(await row.locator('progress').evaluate((p) => p.value), 100, `${name}: the bar is not at 100%`);
      assert.equal(await row.locator('.upload-pct').textContent(), '100%');
      const key = await row.getAttribute('data-key');
      assert.equal(key, folder + name);
      assert.match(await row.locator('.upload-status').textContent(), new RegExp(`^Stored as ${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(ETag [0-9A-F]{32}\\)$`));
      result.uploads[name] = key;
    }
    const seen = await page.evaluate(() => window.progressSeen);
    for (const [name, values] of Object.entries(seen)) {
      assert.deepEqual(values, [...values].sort((a, b) => a - b), `${name}: progress went backwards: ${values}`);
      assert.equal(values.at(-1), 100);
    }
    const big = basename(files[files.length - 1]);
    t.diagnostic(`progress values of ${big}: ${seen[big].join(', ')}`);
    assert.ok(seen[big].some((v) => v > 0 && v < 100), `no intermediate progress for ${big}: ${seen[big]}`);
    await page.screenshot({ path: join(outDir, 'uploads.png'), fullPage: true });
  });

  await t.test('a key outside the prefix shows the 403 on the page', async () => {
    await page.fill('#folder', 'otherdir/');
    await page.setInputFiles('#files', files[0]);
    await page.click('#upload');
    const row = page.locator('#uploads li').nth(files.length);
    await row.and(page.locator('[data-state="error"]')).waitFor({ timeout: LONG });
    const text = await row.locator('.upload-status').textContent();
    assert.match(text, /^Broker said 403 key_outside_prefix: /);
    assert.equal(await row.getAttribute('data-key'), null);
    result.refused.push('otherdir/' + basename(files[0]));
    await page.fill('#folder', folder);
  });

  await t.test('no console errors on the page (CSP, script)', () => {
    // The 403 above is the only failed request the page made on purpose.
    const unexpected = consoleErrors.filter((m) => !/status of 403/.test(m));
    assert.deepEqual(unexpected, []);
  });

  await t.test('an origin the bucket CORS rule does not list cannot upload', async (t) => {
    const server = createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>another origin</title><p>another origin</p>');
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => server.close());
    const foreignOrigin = `http://127.0.0.1:${server.address().port}`;

    // A valid presigned URL, asked for with the dev token.
    const token = await page.inputValue('#token');
    const key = folder + 'from-another-origin.txt';
    const res = await fetch(brokerURL + '/v1/presign', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ key, contentType: 'text/plain' }),
    });
    assert.equal(res.status, 200);
    const presigned = await res.json();

    const foreign = await context.newPage();
    const messages = [];
    foreign.on('console', (m) => messages.push(m.text()));
    await foreign.goto(foreignOrigin + '/');
    const outcome = await foreign.evaluate(async ({ method, url, headers }) => {
      try {
        const r = await fetch(url, { method, headers, body: 'sent from an origin the bucket does not allow' });
        return `answered ${r.status}`;
      } catch (e) {
        return `blocked: ${e.message}`;
      }
    }, presigned);
    assert.match(outcome, /^blocked: /, 'the browser let the PUT through');
    assert.ok(messages.some((m) => m.includes('blocked by CORS policy') && m.includes(foreignOrigin)),
      `no CORS message for ${foreignOrigin}: ${messages.join(' | ')}`);
    await foreign.close();
    result.refused.push(key);
  });

  // finished waits until the row of file name is done or failed.
  const finished = async (name) => {
    await page.waitForFunction((n) => {
      const r = document.querySelector(`#uploads li[data-file="${n}"]`);
      return r && (r.dataset.state === 'done' || r.dataset.state === 'error');
    }, name, { timeout: LONG });
    return page.locator(`#uploads li[data-file="${name}"]`);
  };
  const escapeRE = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  await t.test('a 64 MiB file goes as a multipart upload with one overall bar', async () => {
    const name = basename(multipartFile);
    const calls = [];
    const onRequest = (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith('/v1/multipart')) calls.push(`${r.method()} ${u.pathname}`);
      else if (u.searchParams.has('partNumber')) calls.push(`${r.method()} part ${u.searchParams.get('partNumber')}`);
    };
    page.on('request', onRequest);
    // Slowed down, as above, so the bar shows the way there.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 64 * 1024 * 1024,
    });
    await page.check('#mode-put');
    await page.setInputFiles('#files', multipartFile);
    await page.click('#upload');
    const row = await finished(name);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    page.off('request', onRequest);

    const status = await row.locator('.upload-status').textContent();
    assert.equal(await row.getAttribute('data-state'), 'done', `${name}: ${status}`);
    const key = await row.getAttribute('data-key');
    assert.equal(key, folder + name);
    // 64 MiB in the default 8 MiB parts: OSS's multipart ETag ends in -8.
    assert.match(status, new RegExp(`^Stored as ${escapeRE(key)} \\(ETag [0-9A-F]{32}-8\\)$`));
    assert.equal(await row.locator('progress').evaluate((p) => p.value), 100);
    const sorted = [...calls].sort();
    assert.deepEqual(sorted, ['POST /v1/multipart', 'POST /v1/multipart/complete', 'POST /v1/multipart/parts',
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => `PUT part ${n}`)].sort(), `requests: ${calls.join(', ')}`);
    const values = await page.evaluate((n) => window.progressSeen[n] || [], name);
    t.diagnostic(`overall progress of ${name}: ${values.join(', ')}`);
    assert.deepEqual(values, [...values].sort((a, b) => a - b), `progress went backwards: ${values}`);
    assert.equal(values.at(-1), 100);
    assert.ok(values.some((v) => v > 0 && v < 100), `no intermediate progress: ${values}`);
    result.uploads[name] = key;
  });

  await t.test('a POST form uploads a file of exactly its size limit; one byte more is refused by OSS', async () => {
    await page.check('#mode-post');
    await page.fill('#max-bytes', String(64 * 1024));
    await page.setInputFiles('#files', formFile);
    await page.click('#upload');
    const name = basename(formFile);
    const row = await finished(name);
    const status = await row.locator('.upload-status').textContent();
    assert.equal(await row.getAttribute('data-state'), 'done', `${name}: ${status}`);
    assert.equal(await row.getAttribute('data-key'), folder + name);
    result.uploads[name] = folder + name;

    await page.setInputFiles('#files', formBigFile);
    await page.click('#upload');
    const big = basename(formBigFile);
    const bigRow = await finished(big);
    assert.equal(await bigRow.getAttribute('data-state'), 'error');
    assert.match(await bigRow.locator('.upload-status').textContent(), /^OSS said 400 EntityTooLarge: /);
    assert.equal(await bigRow.getAttribute('data-key'), null);
    result.refused.push(folder + big);
    await page.fill('#max-bytes', '');
    await page.check('#mode-put');
    await page.screenshot({ path: join(outDir, 'multipart-and-form.png'), fullPage: true });
  });

  await t.test('receipts: a real PNG is accepted, HTML disguised as a PNG is rejected and quarantined', async () => {
    await page.check('#mode-put');
    await page.setInputFiles('#files', [goodFile, disguisedFile]);
    await page.click('#upload');
    const good = await finished(basename(goodFile));
    const bad = await finished(basename(disguisedFile));

    const goodReceipt = JSON.parse(await good.getAttribute('data-receipt'));
    assert.equal(await good.getAttribute('data-state'), 'done', await good.locator('.upload-status').textContent());
    assert.equal(goodReceipt.verdict, 'accepted');
    assert.equal(goodReceipt.declaredType, 'image/png');
    assert.equal(goodReceipt.detectedType, 'image/png');
    assert.equal(goodReceipt.key, folder + basename(goodFile));
    assert.match(await good.locator('.upload-receipt').textContent(), /^Accepted: the content is image\/png \(declared image\/png\)/);
    result.uploads[basename(goodFile)] = goodReceipt.key;

    const badReceipt = JSON.parse(await bad.getAttribute('data-receipt'));
    assert.equal(await bad.getAttribute('data-state'), 'error');
    assert.equal(badReceipt.verdict, 'rejected');
    assert.equal(badReceipt.reason, 'content_type_mismatch');
    assert.equal(badReceipt.declaredType, 'image/png');
    assert.equal(badReceipt.detectedType, 'text/html');
    assert.equal(badReceipt.action, 'quarantined');
    assert.match(await bad.locator('.upload-receipt').textContent(), /^Rejected \(content_type_mismatch\): the content is text\/html/);
    result.refused.push(badReceipt.key);
    await page.screenshot({ path: join(outDir, 'receipts.png'), fullPage: true });
  });

  await t.test('a multipart upload cut short by a reload resumes, sending only the missing parts', async () => {
    const name = basename(resumeFile);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 8 * 1024 * 1024,
    });
    const stored = [];
    const onResponse = (r) => {
      const u = new URL(r.url());
      if (r.request().method() === 'PUT' && u.searchParams.has('partNumber') && r.status() === 200) stored.push(Number(u.searchParams.get('partNumber')));
    };
    page.on('response', onResponse);
    await page.check('#mode-put');
    await page.setInputFiles('#files', resumeFile);
    await page.click('#upload');
    // One part stored, then the page goes away mid-upload.
    await page.waitForFunction(() => Object.keys(localStorage).some((k) => k.startsWith('ossbroker-multipart:')));
    while (stored.length === 0) await page.waitForEvent('response', { timeout: LONG });
    const before = [...stored];
    // Reload while still throttled: lifting the throttle first lets the parts
    // in flight (and the rest) finish before the page goes away.
    await page.reload();
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    stored.length = 0;
    const sent = [];
    const onRequest = (r) => {
      const u = new URL(r.url());
      if (r.method() === 'PUT' && u.searchParams.has('partNumber')) sent.push(Number(u.searchParams.get('partNumber')));
    };
    page.on('request', onRequest);
    await page.waitForFunction(() => document.getElementById('token').value.split('.').length === 3);
    assert.equal(await page.inputValue('#folder'), folder);
    await page.setInputFiles('#files', resumeFile);
    await page.click('#upload');
    const row = await finished(name);
    page.off('request', onRequest);
    page.off('response', onResponse);
    const status = await row.locator('.upload-status').textContent();
    assert.equal(await row.getAttribute('data-state'), 'done', `${name}: ${status}`);
    // 72 MiB in the default 8 MiB parts, four at a time: parts were left to send.
    assert.match(status, new RegExp(`^Stored as ${escapeRE(folder + name)} \\(ETag [0-9A-F]{32}-9\\)$`));
    const resumed = Number(await row.getAttribute('data-resumed-parts'));
    t.diagnostic(`parts stored before the reload: ${before}; resumed with ${resumed}; sent after it: ${sent}`);
    assert.ok(resumed >= before.length, `the page resumed with ${resumed} parts, ${before.length} were stored`);
    for (const n of before) assert.ok(!sent.includes(n), `part ${n} was stored before the reload and sent again`);
    assert.ok(resumed < 9, 'every part was stored before the reload: nothing was resumed');
    assert.equal(sent.length, 9 - resumed, `parts sent after the reload: ${sent}`);
    assert.deepEqual(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('ossbroker-multipart:'))), [],
      'the finished upload is still kept');
    result.uploads[name] = folder + name;
  });

  // row is the row of file name; rowState its data-state.
  const row = (name) => page.locator(`#uploads li[data-file="${name}"]`);

  await t.test('the network drops for a few seconds mid-upload: parts are retried and the upload completes', async () => {
    const name = basename(offlineFile);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    const network = (offline) => cdp.send('Network.emulateNetworkConditions', {
      offline, latency: 0, downloadThroughput: -1, uploadThroughput: offline ? -1 : 8 * 1024 * 1024,
    });
    await network(false);
    await page.check('#mode-put');
    await page.setInputFiles('#files', offlineFile);
    await page.click('#upload');
    // Cut the network with parts in flight, keep it down, bring it back.
    await page.waitForFunction((n) => {
      const r = document.querySelector(`#uploads li[data-file="${n}"]`);
      return r && r.querySelector('progress').value >= 30;
    }, name, { timeout: LONG });
    await network(true);
    await page.waitForFunction((n) => document.querySelector(`#uploads li[data-file="${n}"]`).dataset.state === 'retrying', name, { timeout: LONG });
    const during = await row(name).locator('.upload-status').textContent();
    await page.waitForTimeout(2000); // the outage: 2 s without a network
    await network(false);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const r = await finished(name);
    const status = await r.locator('.upload-status').textContent();
    t.diagnostic(`while offline: ${during}; retries: ${await r.getAttribute('data-retries')}; then: ${status}`);
    assert.equal(await r.getAttribute('data-state'), 'done', `${name}: ${status}`);
    assert.ok(Number(await r.getAttribute('data-retries')) >= 1, 'nothing was retried');
    assert.doesNotMatch(during, /CORS/, `the page blamed CORS for being offline: ${during}`);
    const key = await r.getAttribute('data-key');
    assert.equal(key, folder + name);
    result.uploads[name] = key;
  });

  await t.test('cancel stops a multipart upload and the abort reaches the broker, retried when it fails', async () => {
    const name = basename(cancelFile);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 8 * 1024 * 1024,
    });
    // The first abort request fails on the network; the page must try again.
    let aborts = 0;
    await page.route('**/v1/multipart/abort', (route) => (++aborts === 1 ? route.abort('internetdisconnected') : route.continue()));
    await page.check('#mode-put');
    await page.setInputFiles('#files', cancelFile);
    await page.click('#upload');
    await page.waitForFunction((n) => Number(document.querySelector(`#uploads li[data-file="${n}"]`)?.dataset.partsDone || 0) >= 1, name, { timeout: LONG });
    // A part is stored; slow the rest to a crawl so Cancel comes before the end.
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 64 * 1024 });
    await row(name).locator('.upload-cancel').click();
    await page.waitForFunction((n) => document.querySelector(`#uploads li[data-file="${n}"]`).dataset.state === 'cancelled', name, { timeout: LONG });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await page.unroute('**/v1/multipart/abort');
    const status = await row(name).locator('.upload-status').textContent();
    t.diagnostic(`${name}: ${status} (abort requests: ${aborts})`);
    assert.equal(await row(name).getAttribute('data-aborted'), 'true', status);
    assert.ok(aborts >= 2, `the failed abort was not retried (${aborts} requests)`);
    assert.ok(await row(name).locator('.upload-cancel').isHidden(), 'Cancel still shown after the upload ended');
    result.cancelled.push(folder + name);
  });

  await t.test('three files dropped on the page upload, two at a time', async () => {
    const names = dropFiles.map((f) => basename(f));
    // Every row's state as it changes: at no point may more than two files
    // be on the wire, and the third waits its turn.
    await page.evaluate(() => {
      window.activeMax = 0;
      window.queuedSeen = [];
      const busy = new Set(['presigning', 'uploading', 'retrying', 'completing']);
      new MutationObserver(() => {
        const rows = [...document.querySelectorAll('#uploads li')];
        window.activeMax = Math.max(window.activeMax, rows.filter((r) => busy.has(r.dataset.state)).length);
        for (const r of rows) if (r.dataset.state === 'queued' && !window.queuedSeen.includes(r.dataset.file)) window.queuedSeen.push(r.dataset.file);
      }).observe(document.getElementById('uploads'), { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
    });
    const dt = await page.evaluateHandle((files) => {
      const d = new DataTransfer();
      for (const { b64, n } of files) d.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], n));
      return d;
    }, dropFiles.map((f) => ({ b64: readFileSync(f).toString('base64'), n: basename(f) })));
    await page.dispatchEvent('#drop', 'dragenter', { dataTransfer: dt });
    await page.dispatchEvent('#drop', 'dragover', { dataTransfer: dt });
    await page.dispatchEvent('#drop', 'drop', { dataTransfer: dt });
    for (const name of names) {
      const r = await finished(name);
      const status = await r.locator('.upload-status').textContent();
      assert.equal(await r.getAttribute('data-state'), 'done', `${name}: ${status}`);
      result.uploads[name] = await r.getAttribute('data-key');
    }
    const { activeMax, queuedSeen } = await page.evaluate(() => ({ activeMax: window.activeMax, queuedSeen: window.queuedSeen }));
    t.diagnostic(`at most ${activeMax} files at a time; queued: ${queuedSeen}`);
    assert.ok(activeMax <= 2, `${activeMax} files uploaded at once`);
    assert.ok(queuedSeen.includes(names[2]), `the third file never waited: ${queuedSeen}`);
  });

  writeFileSync(resultFile, JSON.stringify(result, null, 2));
});
