#!/usr/bin/env node
// multipart.spec.js - large files through sign_s3's /api/s3 routes (the Uppy
// Companion protocol) in a real browser: Debian's chromium driven by
// playwright-core, against a real stack started by tests/browser_multipart.sh
// (nginx + sign_s3 + the local S3). What is intercepted: part PUTs made to
// fail (once, or always), parts held in flight until Cancel is clicked, and
// S3's answer to a POST form (the local S3 has no POST object); everything
// else goes to the real servers.
//
//   page        www/index.html: a 30 MB file in 5 MiB parts, part 2's first
//               PUT broken (connection reset): retried alone, bytes equal in S3
//   giveup      www/index.html: a part whose PUT always fails: tried 4 times
//               (0.5, 1, 2 s apart), then the row fails and the upload is DELETEd
//   expired     www/index.html on a stack with S3_PART_EXPIRES=2: a part whose batch-signed
//               URL expired before it went (S3: 403) goes again with a fresh one
//   refused     www/uppy.html (Uppy 5) on that stack, whose S3_ALLOWED_TYPES has no text/*:
//               sign_s3's 415 reaches Uppy's error for the file in sign_s3's words
//   cancel      www/index.html: Cancel mid-upload aborts the PUTs in flight and
//               DELETEs the upload: gone from ListMultipartUploads, list route 404
//   uppy5       www/uppy.html, Uppy 5 (endpoint: '/api'): a small file through
//               /api/s3/params (presigned PUT), a 25 MB file in parts, Cancel (DELETE)
//   uppy6       www/uppy.html?uppy=6, Uppy 6 (companionEndpoint: '/api'): 25 MB in
//               parts, Cancel (DELETE)
//   post5/6     www/uppy.html on a stack with S3_SIMPLE_UPLOAD=post: each Uppy sends
//               sign_s3's POST form as it is (S3's answer stubbed: Swift has no POST object)
// Every request the pages make goes to 127.0.0.1.
//
// Environment (set by tests/browser_multipart.sh):
//   PAGE_URL      the stack's page (http://127.0.0.1:PORT/)
//   POST_URL      the page of a second stack, with S3_SIMPLE_UPLOAD=post
//   SHORT_URL     the page of a third, with S3_PART_EXPIRES=2
//   S3_*, AWS_*   the local S3's settings (scripts/s3-local.sh env lines), for
//                 s3_check.py (botocore) and S3_PUBLIC_URL
//   OUT_DIR       temp dir: the browser profile, the files, screenshots
//   TAP_START     number of the TAP tests printed before this script's (default 0)
//   CHROMIUM      the browser, default /usr/bin/chromium
// Output: TAP lines numbered from TAP_START + 1, no plan. Exit 0 when all passed.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');

const PAGE_URL = process.env.PAGE_URL;
const POST_URL = process.env.POST_URL;    // a stack with S3_SIMPLE_UPLOAD=post
const SHORT_URL = process.env.SHORT_URL;  // a stack with S3_PART_EXPIRES=2
const OUT_DIR = process.env.OUT_DIR;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const S3_PORT = process.env.S3_ENDPOINT ? new URL(process.env.S3_ENDPOINT).port : '';
const MIB = 1048576;
const DONE_TIMEOUT = 60000;

let n = Number(process.env.TAP_START || 0);
let failed = 0;
function ok(cond, desc, diag, todo) {   // todo: a known problem (TAP TODO: a failure does not count)
  n += 1;
  if (!cond && !todo) failed += 1;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${desc.replace(/#/g, '<hash>')}${todo ? ' # TODO ' + todo : ''}`);
  if (!cond && diag !== undefined) {
    for (const line of String(typeof diag === 'string' ? diag : JSON.stringify(diag)).split('\n')) {
      console.log('#   ' + line);
    }
  }
  return !!cond;
}
const note = (s) => console.log('# ' + s);
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');
// resolves to v after ms (a timer that does not keep node running)
const after = (ms, v) => new Promise((resolve) => setTimeout(resolve, ms, v).unref());

// s3_check.py (botocore): what the local S3 holds
function s3(...args) {
  return JSON.parse(execFileSync('/usr/bin/python3', [path.join(__dirname, 's3_check.py'), ...args],
    { encoding: 'utf8' }));
}

// A file of size bytes on disk (setInputFiles takes its path)
// (text: printable lines, so that libmagic, which verify runs on what landed,
// sees text; random bytes now and then look like some format, e.g. "MZ")
function makeFile(name, size, text) {
  const buffer = text ? Buffer.from('lorem ipsum dolor sit amet 0123456789\n'.repeat(Math.ceil(size / 38))
    .slice(0, size)) : crypto.randomBytes(size);
  const dir = fs.mkdtempSync(path.join(OUT_DIR, 'file-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, buffer);
  return { path: file, name, size, sha256: sha256(buffer) };
}

// An /api/s3 request as the report shows it: method, path, query, JSON body
// (never a presigned URL: those are in the answers, not shown)
function apiShape(req) {
  const u = new URL(req.url());
  let body = req.postData();
  try { body = body ? JSON.parse(body) : undefined; } catch (e) { /* not JSON */ }
  return { method: req.method(), path: decodeURIComponent(u.pathname), query: Object.fromEntries(u.searchParams),
    body, contentType: req.headers()['content-type'] };
}
const isPart = (u) => u.searchParams.has('partNumber') && u.searchParams.has('uploadId');

// Opens url; records the /api/s3 calls, the PUTs to S3 and their answers, the
// hosts asked, the PUTs in flight at once.
async function open(ctx, url) {
  const page = await ctx.newPage();
  const seen = { api: [], apiAnswers: [], puts: [], putAnswers: [], putFailures: [], hosts: new Set(),
    console: [], inFlight: 0, maxInFlight: 0 };
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (/^https?:$/.test(u.protocol)) seen.hosts.add(u.hostname);
    if (u.pathname.startsWith('/api/s3/')) seen.api.push(r);
    if (r.method() === 'PUT') {
      seen.puts.push(r);
      seen.inFlight += 1;
      seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
    }
  });
  const done = (r) => { if (r.method() === 'PUT') seen.inFlight -= 1; };
  page.on('requestfinished', done);
  page.on('requestfailed', (r) => {
    done(r);
    if (r.method() === 'PUT') seen.putFailures.push({ url: new URL(r.url()), error: r.failure() && r.failure().errorText });
  });
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/api/s3/')) seen.apiAnswers.push(r);
    if (r.request().method() === 'PUT') seen.putAnswers.push(r);
  });
  page.on('console', (m) => seen.console.push(m.type() + ': ' + m.text()));
  page.on('pageerror', (e) => seen.console.push('pageerror: ' + e.message));
  await page.goto(url, { waitUntil: 'load' });
  return { page, seen };
}

async function checkObject(label, key, file) {
  const got = key ? s3('object', key) : { error: 'no key' };
  ok(got.size === file.size && got.sha256 === file.sha256,
    `${label}: the object in S3 (botocore GetObject) has the same ${file.size} bytes (sha256)`,
    { key, got, want: { size: file.size, sha256: file.sha256 } });
}

function checkLocal(label, seen) {
  const hosts = [...seen.hosts];
  ok(hosts.length > 0 && hosts.every((h) => h === '127.0.0.1'), `${label}: every request went to 127.0.0.1`, hosts);
  const errors = seen.console.filter((l) => /^(error|pageerror)/.test(l) && !/ERR_CONNECTION_RESET|ERR_ABORTED|net::/.test(l));
  ok(errors.length === 0, `${label}: no error in the console`, seen.console);
}

async function partPuts(seen) {
  return seen.puts.map((r) => new URL(r.url())).filter(isPart);
}

// ------------------------------------------------------------------ page: 30 MB, one part fails once
async function casePage(ctx) {
  const { page, seen } = await open(ctx, PAGE_URL);
  const file = makeFile('Big video (30 MB).bin', 30 * 1000 * 1000);
  const parts = Math.ceil(file.size / (5 * MIB));
  let broken = 0;
  // part 2's first PUT: the connection is reset (the page sees a network error)
  await page.route((u) => u.port === S3_PORT && isPart(u) && u.searchParams.get('partNumber') === '2', (route) => {
    if (route.request().method() === 'PUT' && broken === 0) {
      broken += 1;
      return route.abort('connectionreset');
    }
    return route.continue();
  });
  await page.setInputFiles('#files', file.path);
  const sel = '#uploads li:nth-child(1)';
  await page.waitForSelector(`${sel}[data-state="complete"], ${sel}[data-state="failed"]`, { timeout: DONE_TIMEOUT })
    .catch(() => {});
  const row = await page.evaluate((s) => {
    const li = document.querySelector(s);
    const bar = li && li.querySelector('progress');
    return li && { state: li.getAttribute('data-state'), text: li.querySelector('.state').textContent,
      key: li.getAttribute('data-key'), url: li.getAttribute('data-url'), multipart: li.getAttribute('data-multipart'),
      detected: li.getAttribute('data-detected-type'),
      progress: bar && [bar.value, bar.max], cancel: !!li.querySelector('button.cancel'),
      states: (window.__states || [])[0] || [] };
  }, sel);
  ok(row && row.state === 'complete', 'page: the 30 MB row reaches data-state="complete"', row);
  ok(row && row.multipart === '1', 'page: it went up in parts (over data-multipart-threshold, 8 MiB)', row);
  // after the complete the page asks POST /api/sign_s3/verify what landed (issue 12)
  ok(row && JSON.stringify(row.states) === JSON.stringify(['signing', 'uploading', 'verifying', 'complete']),
    'page: states signing -> uploading -> verifying -> complete', row && row.states);
  ok(row && row.detected && row.text.includes('verified: ' + row.detected),
    'page: verify answered; the row shows the detected type', row && { detected: row.detected, text: row.text });
  ok(row && row.progress && row.progress[0] === 100 && !row.cancel, 'page: its one progress bar is at 100, Cancel gone', row);
  ok(row && row.text.includes('Stored as ' + row.key), 'page: the row shows the key', row && row.text);

  const api = seen.api.map(apiShape);
  const creates = api.filter((a) => a.method === 'POST' && a.path === '/api/s3/multipart');
  ok(creates.length === 1 && creates[0].body && creates[0].body.filename === file.name &&
    /^application\/json/.test(creates[0].contentType || ''),
    'page: one POST /api/s3/multipart {filename, type, metadata}', creates);
  const answer = seen.apiAnswers.find((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/s3/multipart');
  const created = answer ? await answer.json().catch(() => null) : null;
  ok(created && created.uploadId && created.key && row && created.key === row.key,
    'page: answered {key, uploadId}; the row\'s data-key is that key', { created: created && { key: created.key }, row });
  const base = created ? '/api/s3/multipart/' + created.uploadId : '?';
  const batches = api.filter((a) => a.method === 'GET' && a.path === base + '/batch');
  const batched = batches.flatMap((a) => (a.query.partNumbers || '').split(',').map(Number));
  ok(batches.length === Math.ceil(parts / 4) && batches.every((a) => a.query.key === created.key) &&
    JSON.stringify(batched) === JSON.stringify([...Array(parts).keys()].map((i) => i + 1)),
    `page: the ${parts} part URLs signed by GET .../batch?key=&partNumbers=, four at a time`, batches);
  const single = api.filter((a) => a.method === 'GET' && a.path.startsWith(base + '/') && a.path !== base + '/batch');
  ok(single.length === 1 && single[0].path === base + '/2' && single[0].query.key === created.key,
    'page: the broken part 2 alone re-signed (GET .../2?key=)', single);

  const puts = await partPuts(seen);
  const byPart = (k) => puts.filter((u) => u.searchParams.get('partNumber') === String(k)).length;
  ok(broken === 1 && puts.length === parts + 1 && byPart(2) === 2 &&
    [...Array(parts).keys()].every((i) => byPart(i + 1) === (i === 1 ? 2 : 1)),
    `page: ${parts} part PUTs and one more of part 2 (its first broken once)`,
    { broken, puts: puts.map((u) => u.searchParams.get('partNumber')) });
  ok(seen.maxInFlight >= 2 && seen.maxInFlight <= 4, 'page: parts PUT side by side, four at most', seen.maxInFlight);
  const heads = await Promise.all(seen.puts.map((r) => r.allHeaders()));
  ok(heads.every((h) => !h.cookie && !h.authorization), 'page: no PUT carried a cookie or authorization');

  const etags = {};
  for (const r of seen.putAnswers) {
    if (r.status() === 200) etags[new URL(r.url()).searchParams.get('partNumber')] = await r.headerValue('etag');
  }
  const completes = api.filter((a) => a.method === 'POST' && a.path === base + '/complete');
  const sent = completes[0] && completes[0].body && completes[0].body.parts;
  ok(completes.length === 1 && completes[0].query.key === created.key && Array.isArray(sent) &&
    sent.length === parts && sent.every((p, i) => p.PartNumber === i + 1 && p.ETag && p.ETag === etags[i + 1]),
    'page: POST .../complete?key= {parts: [{PartNumber, ETag}]} in order, the ETags S3 sent (CORS exposes ETag)',
    { sent, etags });
  const doneAnswer = seen.apiAnswers.find((r) => new URL(r.url()).pathname === base + '/complete');
  const done = doneAnswer ? await doneAnswer.json().catch(() => null) : null;
  ok(done && done.key === created.key && done.location && row.url === done.location,
    'page: complete answered {location, key}; the row links to location',
    done && { key: done.key, location: done.location, row: row.url });
  if (done && done.location) {
    const r = await fetch(done.location);
    const body = Buffer.from(await r.arrayBuffer());
    ok(r.status === 200 && sha256(body) === file.sha256, 'page: the link (location: S3_PUBLIC_URL/key) serves the same bytes',
      { status: r.status, length: body.length });
  }
  ok(!api.some((a) => a.method === 'DELETE'), 'page: no DELETE (nothing aborted)');
  await checkObject('page', created && created.key, file);
  ok(!s3('uploads').some((u) => created && u.UploadId === created.uploadId),
    'page: the upload is no longer in ListMultipartUploads');
  checkLocal('page', seen);
  await page.screenshot({ path: path.join(OUT_DIR, 'multipart-page.png'), fullPage: true });
  await page.close();
}

// ------------------------------------------------------------------ a part that always fails
async function caseGiveUp(ctx) {
  const { page, seen } = await open(ctx, PAGE_URL);
  const file = makeFile('never.bin', 12 * 1000 * 1000);   // parts of 5, 5 and 2 MB
  const tries = [];
  await page.route((u) => u.port === S3_PORT && isPart(u) && u.searchParams.get('partNumber') === '3', (route) => {
    if (route.request().method() !== 'PUT') return route.continue();
    tries.push(Date.now());
    return route.abort('connectionreset');
  });
  await page.setInputFiles('#files', file.path);
  const sel = '#uploads li:nth-child(1)';
  await page.waitForSelector(`${sel}[data-state="complete"], ${sel}[data-state="failed"]`, { timeout: DONE_TIMEOUT })
    .catch(() => {});
  const row = await page.evaluate((s) => {
    const li = document.querySelector(s);
    return { state: li.getAttribute('data-state'), text: li.querySelector('.state').textContent,
      link: !!li.querySelector('.state a') };
  }, sel);
  ok(row.state === 'failed' && /network error/.test(row.text) && !row.link,
    `giveup: part 3 failing every time: the row fails, in words: "${row.text}"`, row);
  const gaps = tries.slice(1).map((t, i) => t - tries[i]);
  ok(tries.length === 4 && gaps[0] >= 450 && gaps[1] >= 950 && gaps[2] >= 1950,
    `giveup: part 3 tried 4 times (3 retries), after ${gaps.join(', ')} ms (0.5, 1, 2 s and the signing)`,
    { tries: tries.length, gaps });
  const api = seen.api.map(apiShape);
  const created = seen.apiAnswers.find((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/s3/multipart');
  const up = created ? await created.json().catch(() => null) : null;
  const base = up ? '/api/s3/multipart/' + up.uploadId : '?';
  ok(api.filter((a) => a.path === base + '/3').length === 3, 'giveup: each retry with a fresh URL (GET .../3?key=)',
    api.map((a) => a.method + ' ' + a.path));
  for (let i = 0; i < 40 && !seen.apiAnswers.some((r) => r.request().method() === 'DELETE'); i++) await page.waitForTimeout(50);
  ok(api.filter((a) => a.method === 'DELETE' && a.path === base).length === 1 && !api.some((a) => a.path === base + '/complete'),
    'giveup: then the upload is aborted (DELETE), not completed', api.map((a) => a.method + ' ' + a.path));
  ok(up && !s3('uploads').some((u) => u.UploadId === up.uploadId), 'giveup: it is gone from ListMultipartUploads');
  await page.close();
}

// ------------------------------------------------------------------ sign_s3 refuses; Uppy says why
// On the stack at SHORT_URL (S3_ALLOWED_TYPES without text/*), Uppy 5 asks
// /api/s3/params for a text file: sign_s3 answers 415 {statusCode, error,
// message}, and Uppy's error for the file carries sign_s3's message (Uppy
// reads the answer's message member).
async function caseRefused(ctx) {
  const { page, seen } = await open(ctx, new URL('uppy.html', SHORT_URL).href);
  const file = makeFile('refused note.txt', 1000, true);
  const result = await uppyUpload(page, [file]);
  const answer = seen.apiAnswers.find((r) => new URL(r.url()).pathname === '/api/s3/params');
  const body = answer ? await answer.json().catch(() => null) : null;
  ok(answer && answer.status() === 415 && body && body.statusCode === 415 &&
    /text\/plain is not allowed/.test(body.message || ''),
    'refused: GET /api/s3/params answers 415 {statusCode, error, message} (S3_ALLOWED_TYPES)', body);
  ok(result && result.failed.length === 1 && body && result.failed[0].error.includes(body.message) &&
    seen.puts.length === 0,
    "refused: Uppy's error for the file carries sign_s3's message; nothing is sent to S3", result);
  await page.close();
}

// ------------------------------------------------------------------ an expired part URL
// On the stack at SHORT_URL (S3_PART_EXPIRES=2), part 3's first PUT is held 3 s:
// its batch-signed URL has expired when it reaches S3 (403), and the page
// gets a fresh one for it alone.
async function caseExpired(ctx) {
  const { page, seen } = await open(ctx, SHORT_URL);
  const file = makeFile('late part.bin', 12 * 1000 * 1000);
  let held = 0;
  await page.route((u) => u.port === S3_PORT && isPart(u) && u.searchParams.get('partNumber') === '3', async (route) => {
    if (route.request().method() === 'PUT' && held === 0) {
      held += 1;
      await new Promise((r) => setTimeout(r, 3000));
    }
    return route.continue();
  });
  await page.setInputFiles('#files', file.path);
  const sel = '#uploads li:nth-child(1)';
  await page.waitForSelector(`${sel}[data-state="complete"], ${sel}[data-state="failed"]`, { timeout: DONE_TIMEOUT })
    .catch(() => {});
  const row = await page.evaluate((s) => {
    const li = document.querySelector(s);
    return { state: li.getAttribute('data-state'), text: li.querySelector('.state').textContent, key: li.getAttribute('data-key') };
  }, sel);
  const part3 = seen.putAnswers.filter((r) => new URL(r.url()).searchParams.get('partNumber') === '3').map((r) => r.status());
  ok(held === 1 && JSON.stringify(part3) === '[403,200]',
    'expired: part 3 reached S3 after its URL expired (403), then went with a fresh one (200)', { held, part3 });
  const api = seen.api.map(apiShape);
  ok(api.filter((a) => /\/multipart\/[^/]+\/3$/.test(a.path)).length === 1, 'expired: re-signed alone (GET .../3?key=)',
    api.map((a) => a.method + ' ' + a.path.replace(/multipart\/[^/]+/, 'multipart/ID')));
  ok(row.state === 'complete', 'expired: the upload completes', row);
  await checkObject('expired', row.key, file);
  await page.close();
}

// ------------------------------------------------------------------ cancel
async function caseCancel(ctx) {
  const { page, seen } = await open(ctx, PAGE_URL);
  const file = makeFile('cancel me.bin', 30 * 1000 * 1000);
  const held = [];
  let part1Done = null;
  const part1 = new Promise((resolve) => { part1Done = resolve; });
  // part 1 goes through; the others wait here until Cancel aborts them
  await page.route((u) => u.port === S3_PORT && isPart(u), (route) => {
    if (route.request().method() !== 'PUT') return route.continue();
    if (new URL(route.request().url()).searchParams.get('partNumber') === '1') return route.continue();
    held.push(route);
    return undefined;
  });
  page.on('requestfinished', (r) => {
    const u = new URL(r.url());
    if (r.method() === 'PUT' && isPart(u) && u.searchParams.get('partNumber') === '1') part1Done();
  });
  await page.setInputFiles('#files', file.path);
  const sel = '#uploads li:nth-child(1)';
  await Promise.race([part1, after(DONE_TIMEOUT)]);
  for (let i = 0; i < 100 && held.length < 4; i++) await page.waitForTimeout(50);
  await page.waitForTimeout(300);   // time for a fifth, which must not come
  const before = await page.evaluate((s) => {
    const li = document.querySelector(s);
    return { state: li.getAttribute('data-state'), progress: li.querySelector('progress').value };
  }, sel);
  const heldParts = held.map((r) => new URL(r.request().url()).searchParams.get('partNumber')).sort();
  ok(before.state === 'uploading' && JSON.stringify(heldParts) === '["2","3","4","5"]',
    'cancel: part 1 in S3, parts 2-5 in flight at once (held), not more; the row uploading',
    { before, heldParts });
  ok(before.progress > 0 && before.progress < 100, `cancel: the bar shows the bytes sent (${before.progress}%)`, before);
  const created = seen.apiAnswers.find((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/s3/multipart');
  const up = created ? await created.json().catch(() => null) : null;
  ok(up && s3('uploads').some((u) => u.UploadId === up.uploadId),
    'cancel: the upload is in ListMultipartUploads before Cancel');

  await page.screenshot({ path: path.join(OUT_DIR, 'multipart-uploading.png'), fullPage: true });
  const buttons = page.getByRole('button', { name: /cancel the upload of cancel me\.bin/i });
  ok(await buttons.count() === 1, 'cancel: the row has a Cancel button (by its accessible name)');
  await buttons.click();
  await page.waitForSelector(`${sel}[data-state="cancelled"], ${sel}[data-state="failed"], ${sel}[data-state="complete"]`,
    { timeout: DONE_TIMEOUT }).catch(() => {});
  const row = await page.evaluate((s) => {
    const li = document.querySelector(s);
    return { state: li.getAttribute('data-state'), text: li.querySelector('.state').textContent,
      cancel: !!li.querySelector('button.cancel'), link: !!li.querySelector('.state a') };
  }, sel);
  ok(row.state === 'cancelled' && /cancelled/i.test(row.text) && !row.cancel && !row.link,
    'cancel: the row says cancelled, no link, no button', row);
  await Promise.all(held.map((r) => r.continue().catch(() => {})));   // too late: aborted by the page
  await page.waitForTimeout(200);
  const aborted = seen.putFailures.filter((f) => isPart(f.url) && f.url.searchParams.get('partNumber') !== '1');
  ok(aborted.length === 4, 'cancel: the 4 PUTs in flight were aborted by the page', seen.putFailures.map((f) => f.error));
  const api = seen.api.map(apiShape);
  const base = up ? '/api/s3/multipart/' + up.uploadId : '?';
  const del = api.filter((a) => a.method === 'DELETE');
  const delAnswer = seen.apiAnswers.find((r) => r.request().method() === 'DELETE');
  ok(del.length === 1 && del[0].path === base && up && del[0].query.key === up.key && delAnswer && delAnswer.status() === 200,
    'cancel: DELETE /api/s3/multipart/ID?key= answered 200', { del, status: delAnswer && delAnswer.status() });
  ok(!api.some((a) => a.path === base + '/complete'), 'cancel: no complete');
  ok(up && !s3('uploads').some((u) => u.UploadId === up.uploadId),
    'cancel: the upload is gone from ListMultipartUploads (botocore)');
  if (up) {
    const r = await fetch(new URL(`api/s3/multipart/${encodeURIComponent(up.uploadId)}?key=${encodeURIComponent(up.key)}`, PAGE_URL));
    const body = await r.json().catch(() => null);
    ok(r.status === 404 && body && body.statusCode === 404, 'cancel: its list route answers 404 {statusCode, error, message}',
      { status: r.status, body });
    const obj = s3('object', up.key);
    ok(obj.error === 'NoSuchKey', 'cancel: and no object was made', obj);
  }
  checkLocal('cancel', seen);
  await page.close();
}

// ------------------------------------------------------------------ Uppy
// Adds files through the Dashboard's own file input, clicks its upload button,
// waits for Uppy's 'complete'; returns its result (successful files' names,
// keys and locations, failed files' errors).
async function uppyUpload(page, files) {
  await page.waitForFunction(() => window.uppy, null, { timeout: 10000 });
  const result = page.evaluate(() => new Promise((resolve) => {
    window.uppy.once('complete', (r) => resolve({
      successful: (r.successful || []).map((f) => ({ name: f.name, body: f.response && f.response.body,
        uploadURL: f.response && f.response.uploadURL })),
      failed: (r.failed || []).map((f) => ({ name: f.name, error: String(f.error) })),
    }));
  }));
  await page.locator('.uppy-Dashboard-input').first().setInputFiles(files.map((f) => f.path));
  await page.locator('.uppy-StatusBar-actionBtn--upload').click();
  return Promise.race([result, after(DONE_TIMEOUT, null)]);
}

// What uppy.html's upload-success handler listed for a file: the answer of
// POST /api/s3/verify (issue 12), as #verified li[data-name] shows it
async function uppyVerified(page, name) {
  await page.waitForFunction((n) => Array.prototype.some.call(document.querySelectorAll('#verified li'),
    (li) => li.getAttribute('data-name') === n), name, { timeout: 10000 }).catch(() => {});
  return page.evaluate((n) => {
    const li = Array.prototype.find.call(document.querySelectorAll('#verified li'),
      (l) => l.getAttribute('data-name') === n);
    return li && { state: li.getAttribute('data-state'), key: li.getAttribute('data-key'), text: li.textContent };
  }, name);
}

// The key of an object Uppy PUT in one piece: the PUT's path less /bucket/
function keyOfPut(u) {
  return decodeURIComponent(u.pathname.split('/').slice(2).join('/'));
}

async function checkUppyMultipart(label, page, seen, file, result, version) {
  const api = seen.api.map(apiShape);
  const creates = api.filter((a) => a.method === 'POST' && a.path === '/api/s3/multipart');
  ok(creates.length === 1 && creates[0].body && creates[0].body.filename === file.name &&
    typeof creates[0].body.metadata === 'object',
    `${label}: POST /api/s3/multipart {filename, type, metadata}`, creates);
  const answer = seen.apiAnswers.find((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/s3/multipart');
  const created = answer ? await answer.json().catch(() => null) : null;
  const base = created ? '/api/s3/multipart/' + created.uploadId : '?';
  const parts = Math.ceil(file.size / (5 * MIB));
  const signs = api.filter((a) => a.method === 'GET' && /^\/api\/s3\/multipart\/[^/]+\/\d+$/.test(a.path));
  ok(signs.length === parts && signs.every((a) => a.path.startsWith(base + '/') && a.query.key === created.key),
    `${label}: each of the ${parts} parts signed by GET /api/s3/multipart/ID/N?key=`, signs);
  const puts = (await partPuts(seen)).filter((u) => u.searchParams.get('uploadId') === created.uploadId);
  ok(puts.length === parts, `${label}: ${parts} part PUTs to S3`, puts.length);
  const completes = api.filter((a) => a.method === 'POST' && a.path === base + '/complete');
  const sent = completes[0] && completes[0].body && completes[0].body.parts;
  ok(completes.length === 1 && completes[0].query.key === created.key && Array.isArray(sent) && sent.length === parts,
    `${label}: POST .../complete?key= {parts: [${parts} x {PartNumber, ETag}]}`, sent);
  const good = result && result.successful.find((f) => f.name === file.name);
  ok(good && good.body && good.body.key === created.key && good.uploadURL,
    `${label}: Uppy's upload-success with the key and location`, result);
  await checkObject(label, created && created.key, file);
  const v = await uppyVerified(page, file.name);
  ok(v && v.state === 'verified' && created && v.key === created.key,
    `${label}: upload-success -> POST /api/s3/verify: the page lists it verified`, v);
  note(`${label}: Uppy ${version} sent ${JSON.stringify(api.map((a) => a.method + ' ' + a.path.replace(/multipart\/[^/]+/, 'multipart/ID') +
    (Object.keys(a.query).length ? '?' + Object.keys(a.query).join('&') : '')).filter((v, i, all) => all.indexOf(v) === i))}`);
}

// Cancel in Uppy's status bar mid-upload: part 1 in S3, the next held; Uppy
// must DELETE the upload (and take sign_s3's answer), which S3 then forgets.
async function uppyCancel(label, page, seen) {
  seen.api.length = 0; seen.apiAnswers.length = 0; seen.puts.length = 0;
  await page.evaluate(() => window.uppy.clear());
  const held = [];
  let part1 = false;
  const holder = (route) => {
    const u = new URL(route.request().url());
    if (route.request().method() !== 'PUT' || u.searchParams.get('partNumber') === '1') return route.continue();
    held.push(route);
    return undefined;
  };
  const match = (u) => u.port === S3_PORT && isPart(u);
  await page.route(match, holder);
  const onDone = (r) => { if (r.method() === 'PUT' && new URL(r.url()).searchParams.get('partNumber') === '1') part1 = true; };
  page.on('requestfinished', onDone);
  const file = makeFile('cancelled upload.bin', 12 * 1000 * 1000);
  await page.waitForFunction(() => window.uppy, null, { timeout: 10000 });
  await page.locator('.uppy-Dashboard-input').first().setInputFiles(file.path);
  await page.locator('.uppy-StatusBar-actionBtn--upload').click();
  for (let i = 0; i < 200 && !(part1 && held.length > 0); i++) await page.waitForTimeout(50);
  const created = seen.apiAnswers.find((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/s3/multipart');
  const up = created ? await created.json().catch(() => null) : null;
  ok(part1 && held.length > 0 && up && s3('uploads').some((u) => u.UploadId === up.uploadId),
    `${label}: part 1 in S3, ${held.length} more in flight, the upload listed`, { part1, held: held.length });
  await page.getByRole('button', { name: /^cancel$/i }).first().click();
  for (let i = 0; i < 100 && !seen.apiAnswers.some((r) => r.request().method() === 'DELETE'); i++) await page.waitForTimeout(50);
  await page.waitForTimeout(300);
  await Promise.all(held.map((r) => r.continue().catch(() => {})));
  const api = seen.api.map(apiShape);
  const del = api.filter((a) => a.method === 'DELETE');
  const delAnswer = seen.apiAnswers.find((r) => r.request().method() === 'DELETE');
  const base = up ? '/api/s3/multipart/' + up.uploadId : '?';
  ok(del.length === 1 && del[0].path === base && up && del[0].query.key === up.key && delAnswer && delAnswer.status() === 200,
    `${label}: Cancel sends DELETE /api/s3/multipart/ID?key=, answered 200`, { del, status: delAnswer && delAnswer.status() });
  ok(up && !s3('uploads').some((u) => u.UploadId === up.uploadId), `${label}: the upload is gone from ListMultipartUploads`);
  const errors = seen.console.filter((l) => /^(error|pageerror)/.test(l) && !/net::|ERR_/.test(l));
  ok(errors.length === 0, `${label}: Uppy took the abort answer without an error`, seen.console);
  await page.unroute(match, holder);
  page.off('requestfinished', onDone);
}

async function caseUppy5(ctx) {
  const { page, seen } = await open(ctx, new URL('uppy.html', PAGE_URL).href);
  ok(await page.evaluate(() => window.Uppy && window.Uppy.AwsS3 && window.Uppy.AwsS3.VERSION) !== null &&
    /^5\./.test(await page.evaluate(() => window.Uppy.AwsS3.VERSION)),
    'uppy5: uppy.html loads Uppy 5 (@uppy/aws-s3 5.x) from this site', await page.evaluate(() => window.Uppy && window.Uppy.AwsS3 && window.Uppy.AwsS3.VERSION));
  const small = makeFile('small note.txt', 64 * 1024, true);
  let result = await uppyUpload(page, [small]);
  const api = seen.api.map(apiShape);
  const params = api.filter((a) => a.method === 'GET' && a.path === '/api/s3/params');
  ok(params.length === 1 && params[0].query.filename === small.name && params[0].query.type === 'text/plain',
    'uppy5 small: GET /api/s3/params?filename=&type= (and metadata[...])', params);
  const put = seen.puts.map((r) => new URL(r.url())).find((u) => !isPart(u));
  ok(put && result && result.successful.length === 1, 'uppy5 small: one PUT to S3, upload-success', result);
  const putReq = seen.puts.find((r) => !isPart(new URL(r.url())));
  ok(putReq && putReq.headers()['content-type'] === 'text/plain', "uppy5 small: PUT with the answer's content-type",
    putReq && putReq.headers());
  if (put) await checkObject('uppy5 small', keyOfPut(put), small);
  const v = await uppyVerified(page, small.name);
  ok(v && v.state === 'verified' && put && v.key === keyOfPut(put) && / verified: text\/plain /.test(v.text),
    'uppy5 small: upload-success -> POST /api/s3/verify (the key from the PUT URL): listed verified as text/plain', v);
  ok(!api.some((a) => a.path.startsWith('/api/s3/multipart')), 'uppy5 small: no multipart call');
  note(`uppy5 small: Uppy 5 sent GET /api/s3/params?${params[0] ? Object.keys(params[0].query).join('&') : ''}`);

  // then a 25 MB file: multipart (over the page's 8 MiB)
  seen.api.length = 0; seen.apiAnswers.length = 0; seen.puts.length = 0;
  await page.evaluate(() => window.uppy.clear());
  const big = makeFile('big upload.bin', 25 * 1000 * 1000);
  result = await uppyUpload(page, [big]);
  await checkUppyMultipart('uppy5 25 MB', page, seen, big, result, 5);
  checkLocal('uppy5', seen);
  await uppyCancel('uppy5 cancel', page, seen);

  await page.screenshot({ path: path.join(OUT_DIR, 'uppy5.png'), fullPage: true });
  await page.close();
}

async function caseUppy6(ctx) {
  const { page, seen } = await open(ctx, new URL('uppy.html?uppy=6', PAGE_URL).href);
  const v = await page.waitForFunction(() => window.uppy && window.Uppy.AwsS3.VERSION, null, { timeout: 10000 })
    .then((h) => h.jsonValue()).catch(() => null);
  ok(/^6\./.test(v || ''), 'uppy6: uppy.html?uppy=6 loads Uppy 6 (@uppy/aws-s3 6.x) from this site', v);
  const big = makeFile('big six.bin', 25 * 1000 * 1000);
  const result = await uppyUpload(page, [big]);
  await checkUppyMultipart('uppy6 25 MB', page, seen, big, result, 6);
  checkLocal('uppy6', seen);
  await uppyCancel('uppy6 cancel', page, seen);
  await page.close();
}

// ------------------------------------------------------------------ POST forms (S3_SIMPLE_UPLOAD=post)
// The stack at POST_URL answers /s3/params with a POST policy form. Swift's
// s3api has no POST object, so S3's answer is the one thing stubbed here (204
// with ETag and Location, as AWS answers): what is checked is that each real
// Uppy sends sign_s3's form as it is (every field, the file last, to url) and
// where it then says the object is.
async function casePost(ctx, version) {
  const label = `post${version}`;
  const { page, seen } = await open(ctx, new URL('uppy.html' + (version === 6 ? '?uppy=6' : ''), POST_URL).href);
  const posts = [];
  await page.route((u) => u.port === S3_PORT, async (route) => {
    const r = route.request();
    if (r.method() !== 'POST') return route.continue();
    posts.push({ url: r.url(), type: r.headers()['content-type'] || '', body: r.postDataBuffer() });
    const base = r.url().replace(/\/?$/, '/');
    const key = (/name="key"\r\n\r\n([^\r]*)/.exec((r.postDataBuffer() || '').toString('latin1')) || [])[1] || '';
    return route.fulfill({ status: 204, headers: { 'Access-Control-Allow-Origin': '*',
      'Access-Control-Expose-Headers': 'ETag, Location', ETag: '"0123456789abcdef0123456789abcdef"',
      Location: base + key } });
  });
  const file = makeFile(`form ${version}.txt`, 32 * 1024);
  const result = await uppyUpload(page, [file]);
  const answerR = seen.apiAnswers.find((r) => new URL(r.url()).pathname === '/api/s3/params');
  const answer = answerR ? await answerR.json().catch(() => null) : null;
  ok(answer && answer.method === 'POST' && answer.url && answer.fields && answer.fields.key && answer.fields.policy,
    `${label}: /api/s3/params answers a POST form {method, url, fields: {key, policy, ...}}`,
    answer && { method: answer.method, fields: Object.keys(answer.fields || {}) });
  const post = posts[0];
  const body = post && post.body ? post.body.toString('latin1') : '';
  const names = [...body.matchAll(/; name="([^"]+)"/g)].map((m) => m[1]);
  const want = answer && answer.fields ? Object.keys(answer.fields) : [];
  ok(posts.length === 1 && post.url === (answer && answer.url) && /^multipart\/form-data/.test(post.type),
    `${label}: Uppy ${version} POSTs multipart/form-data to the answer's url`, posts.map((p) => ({ type: p.type })));
  // (the file's bytes are not in what the interception sees of a Blob body: its part's head is)
  ok(want.length > 0 && want.every((k) => body.includes(`name="${k}"\r\n\r\n${answer.fields[k]}\r\n`)) &&
    JSON.stringify(names) === JSON.stringify([...want, 'file']) && /; name="file"; filename="/.test(body),
    `${label}: with every field as signed, in order, and the file last`,
    { names, fields: want.filter((k) => !body.includes(`name="${k}"\r\n\r\n${answer.fields[k]}\r\n`)) });
  const good = result && result.successful[0];
  const objectUrl = answer ? answer.url.replace(/\/?$/, '/') + answer.fields.key : '?';
  // Uppy 6 takes url + key as the location: the url must end in '/'
  ok(good && good.uploadURL === objectUrl && answer.url.endsWith('/'),
    `${label}: Uppy ${version} reports the object at url/key (the url ends in '/')`,
    { uploadURL: good && good.uploadURL, want: objectUrl });
  await page.close();
}

async function main() {
  for (const [k, v] of Object.entries({ PAGE_URL, POST_URL, SHORT_URL, OUT_DIR, S3_PORT })) {
    if (!v) throw new Error(k + ' not set');
  }
  const profile = fs.mkdtempSync(path.join(OUT_DIR, 'chromium-profile-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 900, height: 800 },
  });
  await ctx.addInitScript(() => {
    window.__states = [];
    new MutationObserver((muts) => {
      for (const m of muts) {
        const li = m.target;
        if (!li.parentNode || li.parentNode.id !== 'uploads') continue;
        const i = Array.prototype.indexOf.call(li.parentNode.children, li);
        (window.__states[i] = window.__states[i] || []).push(li.getAttribute('data-state'));
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
  });
  const only = (process.env.MULTIPART_CASES || 'page,giveup,expired,refused,cancel,uppy5,uppy6,post5,post6').split(',');
  const cases = { page: casePage, giveup: caseGiveUp, expired: caseExpired, refused: caseRefused, cancel: caseCancel,
    uppy5: caseUppy5, uppy6: caseUppy6,
    post5: (c) => casePost(c, 5), post6: (c) => casePost(c, 6) };
  try {
    for (const c of only) {
      const t = Date.now();
      await cases[c](ctx);
      note(`${c}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
  } finally {
    await ctx.close();
  }
}

const watchdog = setTimeout(() => {
  console.log('Bail out! multipart.spec.js took more than 240 s');
  process.exit(1);
}, 240000);

main().then(() => {
  clearTimeout(watchdog);
  process.exitCode = failed ? 1 : 0;
}, (e) => {
  clearTimeout(watchdog);
  ok(false, 'the browser test ran to its end', e && e.stack ? e.stack : String(e));
  process.exitCode = 1;
});
