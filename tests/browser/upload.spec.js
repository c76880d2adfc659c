#!/usr/bin/env node
// upload.spec.js - the demo page (www/) in a real browser: Debian's chromium
// driven by playwright-core, against real stacks started by tests/browser.sh
// (nginx + sign_s3 + the local S3). Nothing is mocked: no page.route, every
// request goes to the real servers.
//
// Environment (set by tests/browser.sh):
//   PAGE_URL     the page of the working stack (sign_s3 with the local S3's credentials)
//   BROKEN_URL   the page of a stack whose sign_s3 has no credentials (answers 503)
//   BADKEY_URL   the page of a stack whose sign_s3 signs with a wrong secret (S3 answers 403)
//   OUT_DIR      temp dir: the browser profile and screenshot go there
//   TAP_START    number of the TAP tests printed before this script's (default 0)
//   CHROMIUM     the browser, default /usr/bin/chromium
// Output: TAP lines "ok N - ..." numbered from TAP_START + 1, no plan (the
// wrapper prints it). Exit 0 when every test passed.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const PAGE_URL = process.env.PAGE_URL;
const BROKEN_URL = process.env.BROKEN_URL;
const BADKEY_URL = process.env.BADKEY_URL;
const OUT_DIR = process.env.OUT_DIR;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const DONE_TIMEOUT = 30000;   // ms for one upload to reach complete/failed

let n = Number(process.env.TAP_START || 0);
let failed = 0;

function ok(cond, desc, diag) {
  n += 1;
  if (!cond) failed += 1;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${desc.replace(/#/g, '<hash>')}`);
  if (!cond && diag !== undefined) {
    for (const line of String(typeof diag === 'string' ? diag : JSON.stringify(diag)).split('\n')) {
      console.log('#   ' + line);
    }
  }
  return !!cond;
}
const note = (s) => console.log('# ' + s);
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');

// Every state a row went through, recorded in the page from its start.
function recordStates() {
  window.__states = [];
  new MutationObserver((muts) => {
    for (const m of muts) {
      const li = m.target;
      const i = Array.prototype.indexOf.call(li.parentNode ? li.parentNode.children : [], li);
      (window.__states[i] = window.__states[i] || []).push(li.getAttribute('data-state'));
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
}

// Opens url in a new page; collects the sign answers and the PUTs it makes.
async function open(ctx, url) {
  const page = await ctx.newPage();
  const seen = { sign: [], puts: [], putResponses: [], putFailures: [], console: [] };
  page.on('response', (r) => {
    if (new URL(r.url()).pathname === '/api/sign_s3') seen.sign.push(r);
    if (r.request().method() === 'PUT') seen.putResponses.push(r);
  });
  page.on('request', (r) => { if (r.method() === 'PUT') seen.puts.push(r); });
  page.on('requestfailed', (r) => {
    if (r.method() === 'PUT') seen.putFailures.push(r.failure() && r.failure().errorText);
  });
  page.on('console', (m) => seen.console.push(m.type() + ': ' + m.text()));
  page.on('pageerror', (e) => seen.console.push('pageerror: ' + e.message));
  await page.goto(url, { waitUntil: 'load' });
  return { page, seen };
}

// Waits until row i (0-based) is complete or failed; returns its summary.
async function settle(page, i, timeout) {
  const sel = `#uploads li:nth-child(${i + 1})`;
  try {
    await page.waitForSelector(`${sel}[data-state="complete"], ${sel}[data-state="failed"]`,
      { timeout: timeout || DONE_TIMEOUT });
  } catch (e) { /* reported below as a wrong state */ }
  return page.evaluate(([s, idx]) => {
    const li = document.querySelector(s);
    if (!li) return null;
    const bar = li.querySelector('progress');
    const a = li.querySelector('.state a');
    return {
      state: li.getAttribute('data-state'),
      text: li.querySelector('.state').textContent,
      name: li.querySelector('.name').textContent,
      progress: bar ? [bar.value, bar.max] : null,
      href: a ? a.href : null,
      key: li.getAttribute('data-key'),
      url: li.getAttribute('data-url'),
      md5: li.getAttribute('data-md5'),
      multipart: li.getAttribute('data-multipart'),
      detected: li.getAttribute('data-detected-type'),
      states: (window.__states || [])[idx] || [],
    };
  }, [sel, i]);
}

async function readBack(url) {
  const r = await fetch(url);
  return { status: r.status, type: r.headers.get('content-type'),
    disposition: r.headers.get('content-disposition'), body: Buffer.from(await r.arrayBuffer()) };
}

// One uploaded file checked end to end: row, answer, PUT, bytes in S3.
async function checkUpload(label, row, answer, put, file) {
  ok(row && row.state === 'complete', `${label}: the row reaches data-state="complete"`, row);
  if (!row || !answer) return;
  ok(row.progress && row.progress[0] === 100 && row.progress[1] === 100,
    `${label}: its progress bar is at 100 of 100`, row.progress);
  // the page hashes the file (file_md5) before signing and verifies what
  // landed after the PUT (issue 12)
  ok(JSON.stringify(row.states) ===
     JSON.stringify(['hashing', 'signing', 'uploading', 'verifying', 'complete']),
    `${label}: states hashing -> signing -> uploading -> verifying -> complete`, row.states);
  ok(row.href === answer.url && row.url === answer.url && row.key === answer.key,
    `${label}: the link and data-url are the signer's url, data-key its key`,
    { href: row.href, url: row.url, key: row.key, answer_url: answer.url, answer_key: answer.key });
  ok(row.text.includes('Stored as ' + answer.key), `${label}: the row shows the key it was stored as`, row.text);
  ok(put && put.url() === answer.signed_request, `${label}: the PUT went to signed_request`,
    put ? put.url() : 'no PUT seen');
  if (put) {
    const h = await put.allHeaders();
    const want = Object.entries(answer.headers);
    ok(want.every(([k, v]) => h[k.toLowerCase()] === v) && !h.cookie && !h.authorization,
      `${label}: with every header of the answer (${want.map(([k, v]) => k + ': ' + v).join(', ')}), ` +
      'no cookie, no authorization', { sent: h, answer: answer.headers });
  }
  const got = await readBack(answer.url);
  ok(got.status === 200 && sha256(got.body) === sha256(file.buffer) && got.body.length === file.buffer.length,
    `${label}: the object read back from S3 (public url) has the same ${file.buffer.length} bytes (sha256)`,
    { status: got.status, length: got.body.length, want: sha256(file.buffer), got: sha256(got.body) });
  ok(got.type === answer.file_type, `${label}: S3 serves it as ${answer.file_type}`, got.type);
  return got;
}

async function main() {
  for (const [k, v] of Object.entries({ PAGE_URL, BROKEN_URL, BADKEY_URL, OUT_DIR })) {
    if (!v) throw new Error(k + ' not set');
  }
  const profile = fs.mkdtempSync(path.join(OUT_DIR, 'chromium-profile-'));
  const t0 = Date.now();
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 900, height: 700 },
  });
  note(`chromium ${ctx.browser() ? ctx.browser().version() : ''} up in ${Date.now() - t0} ms (profile ${profile})`);
  await ctx.addInitScript(recordStates);
  try {
    await caseA(ctx);
    await caseB(ctx);
    await caseDrop(ctx);
    await caseActive(ctx);
    await caseMd5(ctx);
    await caseC(ctx);
    await caseD(ctx);
  } finally {
    await ctx.close();
  }
}

// (a) one 3 MB file through the file input
async function caseA(ctx) {
  const { page, seen } = await open(ctx, PAGE_URL);
  ok(/sign_s3/.test(await page.title()), 'a: the page opens', await page.title());
  const byLabel = page.getByLabel(/choose files/i);
  ok(await byLabel.count() === 1 && await byLabel.getAttribute('id') === 'files',
    'a: the file input is found by its label (accessible name)');
  await page.keyboard.press('Tab');
  ok(await page.evaluate(() => document.activeElement && document.activeElement.id) === 'files',
    'a: the first Tab focuses the file input');

  const file = { name: 'Random 3MB (é).bin', mimeType: 'application/octet-stream',
    buffer: crypto.randomBytes(3 * 1024 * 1024) };
  await page.setInputFiles('#files', file);
  const row = await settle(page, 0);
  const answer = seen.sign[0] ? await seen.sign[0].json() : null;
  ok(answer && seen.sign[0].status() === 200 && answer.method === 'PUT',
    'a: POST /api/sign_s3 answered 200 with a PUT', answer);
  ok(row && row.name.startsWith(file.name), 'a: the row shows the file name', row && row.name);
  await checkUpload('a', row, answer, seen.puts[0], file);
  const shot = path.join(OUT_DIR, 'after-upload.png');
  await page.screenshot({ path: shot, fullPage: true });
  ok(fs.statSync(shot).size > 1000, `a: screenshot ${shot}`);
  ok(seen.console.filter((l) => /^(error|pageerror)/.test(l)).length === 0,
    'a: no error in the console', seen.console);
  await page.close();
}

// n bytes that start with a format's magic and go on at random: the page
// sends the first 4 KiB as file_head, and bare random bytes now and then
// look to libmagic like some other format (then 415, a contradiction)
function withMagic(magic, n) {
  return Buffer.concat([Buffer.from(magic, 'latin1'), crypto.randomBytes(n - magic.length)]);
}

// (b) two files chosen at once
async function caseB(ctx) {
  const { page, seen } = await open(ctx, PAGE_URL);
  const files = [
    { name: 'notes ü.txt', mimeType: 'text/plain', buffer: Buffer.from('héllo\n'.repeat(2000)) },
    { name: 'Résumé final (v2).pdf', mimeType: 'application/pdf', buffer: withMagic('%PDF-1.7\n', 300 * 1024) },
  ];
  const keyNames = ['notes_ü.txt', 'résumé_final_(v2).pdf'];   // as sign_s3 sanitizes them
  await page.setInputFiles('#files', files);
  const rows = [await settle(page, 0), await settle(page, 1)];
  const answers = await Promise.all(seen.sign.map((r) => r.json()));
  ok(answers.length === 2, 'b: two signatures asked', answers.length);
  for (let i = 0; i < 2; i++) {
    const answer = answers.find((a) => a && a.key.endsWith('/' + keyNames[i]));
    const put = answer && seen.puts.find((p) => p.url() === answer.signed_request);
    ok(!!answer, `b: an answer with a key ending in '${keyNames[i]}'`, answers.map((a) => a.key));
    await checkUpload(`b ${files[i].name}`, rows[i], answer, put, files[i]);
  }
  await page.close();
}

// drop: two files dropped on the drop zone (a DataTransfer made in the page),
// one without a type: sign_s3 resolves it from the extension and the page
// must send that type, or S3 refuses the PUT
async function caseDrop(ctx) {
  const { page, seen } = await open(ctx, PAGE_URL);
  const files = [
    { name: 'dropped.csv', type: 'text/csv', buffer: Buffer.from('a,b\n1,' + crypto.randomBytes(8).toString('hex') + '\n') },
    { name: 'chart.png', type: '', buffer: withMagic('\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x02\0\0\0', 200 * 1024) },
  ];
  await page.evaluate((fs) => {
    const dt = new DataTransfer();
    for (const f of fs) dt.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
    const drop = document.getElementById('drop');
    drop.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    drop.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, files.map((f) => ({ name: f.name, type: f.type, bytes: Array.from(f.buffer) })));
  const rows = [await settle(page, 0), await settle(page, 1)];
  const answers = await Promise.all(seen.sign.map((r) => r.json()));
  const asked = seen.sign.map((r) => r.request().postDataJSON());
  ok(answers.length === 2, 'drop: two signatures asked', answers.length);
  for (let i = 0; i < 2; i++) {
    const j = answers.findIndex((a) => a && a.key.endsWith('/' + files[i].name));
    const answer = answers[j];
    const put = answer && seen.puts.find((p) => p.url() === answer.signed_request);
    ok(!!answer, `drop: an answer for '${files[i].name}'`, answers.map((a) => a.key));
    if (!answer) continue;
    if (files[i].type === '') {
      ok(asked[j].file_type === '' && answer.file_type === 'image/png',
        "drop: 'chart.png' without a type: asked with file_type \"\", signed as image/png",
        { asked: asked[j], file_type: answer.file_type });
    }
    await checkUpload(`drop ${files[i].name}`, rows[i], answer, put, files[i]);
  }
  await page.close();
}

// active: an HTML file, through the default configuration
// (S3_ACTIVE_TYPES=attachment): the answer's headers add Content-Disposition:
// attachment, the page sends it (the bucket's CORS rule lets it through the
// preflight), and S3 serves the object as a download
async function caseActive(ctx) {
  const { page, seen } = await open(ctx, PAGE_URL);
  const file = { name: 'page.html', mimeType: 'text/html',
    buffer: Buffer.from('<!DOCTYPE html>\n<script>alert(document.domain)</script>\n') };
  await page.setInputFiles('#files', file);
  const row = await settle(page, 0);
  const answer = seen.sign[0] ? await seen.sign[0].json() : null;
  ok(answer && answer.headers && answer.headers['Content-Disposition'] === 'attachment' &&
    answer.headers['Content-Type'] === 'text/html',
    'active: the answer\'s headers are Content-Type: text/html and Content-Disposition: attachment',
    answer);
  const got = await checkUpload('active', row, answer, seen.puts[0], file);
  ok(got && got.disposition === 'attachment',
    'active: S3 serves the object with Content-Disposition: attachment', got && got.disposition);
  await page.close();
}

// md5: a 20 MB file as one PUT (the threshold raised above it for this page),
// its MD5 computed in the browser (spark-md5, 2 MiB slices): the sign request
// carries file_size and file_md5 = base64 of the MD5 of exactly these bytes,
// the answer's headers carry it as Content-MD5, the PUT sends it (S3 refuses
// other bytes with BadDigest), and the object in S3 has the same bytes
async function caseMd5(ctx) {
  const { page, seen } = await open(ctx, PAGE_URL);
  await page.evaluate(() => document.getElementById('upload-form')
    .setAttribute('data-multipart-threshold', String(64 * 1048576)));
  const file = { name: 'big 20MB.bin', mimeType: 'application/octet-stream',
    buffer: crypto.randomBytes(20 * 1000 * 1000) };
  const md5 = crypto.createHash('md5').update(file.buffer).digest('base64');
  await page.setInputFiles('#files', file);
  const row = await settle(page, 0, 60000);
  const asked = seen.sign[0] ? seen.sign[0].request().postDataJSON() : null;
  const answer = seen.sign[0] ? await seen.sign[0].json() : null;
  ok(asked && asked.file_md5 === md5 && asked.file_size === file.buffer.length,
    `md5: the page asked with file_size ${file.buffer.length} and file_md5 ${md5} (the MD5 of the bytes, computed in the browser)`,
    asked && { file_size: asked.file_size, file_md5: asked.file_md5 });
  ok(answer && answer.headers && answer.headers['Content-MD5'] === md5,
    'md5: the answer\'s headers carry it as Content-MD5', answer && answer.headers);
  ok(row && row.multipart === null && row.md5 === md5,
    'md5: the row went up as one PUT (not in parts) with data-md5 set', row);
  await checkUpload('md5', row, answer, seen.puts[0], file);
  ok(row && row.detected === 'application/octet-stream',
    'md5: verify answered and the row shows the detected type', row && row.detected);
  await page.close();
}

// (c) the signer refuses (no credentials: 503 from sign_s3 itself)
async function caseC(ctx) {
  const { page, seen } = await open(ctx, BROKEN_URL);
  await page.setInputFiles('#files', { name: 'report.pdf', mimeType: 'application/pdf',
    buffer: Buffer.from('%PDF-1.4\n') });
  const row = await settle(page, 0);
  const r = seen.sign[0];
  const body = r ? await r.json().catch(() => null) : null;
  ok(r && r.status() === 503 && body && body.statusCode === 503 && body.message,
    'c: the signer answers 503 with a message', body);
  ok(row && row.state === 'failed', 'c: the row is data-state="failed"', row);
  ok(row && body && row.text.includes(body.message) && row.text.includes('503'),
    `c: it says why in words: "${row && row.text}"`, { text: row && row.text, message: body && body.message });
  ok(seen.puts.length === 0, 'c: nothing was sent to S3', seen.puts.map((p) => p.url()));
  ok(row && row.progress && row.progress[0] === 0 && !row.href, 'c: no progress, no link', row);
  await page.screenshot({ path: path.join(OUT_DIR, 'signer-refused.png') });
  await page.close();
}

// (d) S3 refuses the PUT (signed with a wrong secret: 403 SignatureDoesNotMatch)
async function caseD(ctx) {
  const { page, seen } = await open(ctx, BADKEY_URL);
  await page.setInputFiles('#files', { name: 'refused.txt', mimeType: 'text/plain',
    buffer: Buffer.from('refused\n') });
  const row = await settle(page, 0);
  ok(seen.sign[0] && seen.sign[0].status() === 200, 'd: the signer answers 200');
  ok(seen.puts.length === 1, 'd: the page PUT the file to S3', seen.puts.length);
  ok(row && row.state === 'failed', 'd: the row is data-state="failed"', row);
  ok(row && /S3/.test(row.text) && !row.href, `d: it says so in words: "${row && row.text}"`, row);
  // the refusal carries CORS headers (as AWS S3's do with a bucket CORS rule),
  // so the page can read S3's own reason and show it
  ok(row && /HTTP 403/.test(row.text) && /SignatureDoesNotMatch/.test(row.text),
    `d: it names S3's status and error code: "${row && row.text}"`, row);
  const st = seen.putResponses.map((r) => r.status());
  note(`d: S3's answers to the PUT as the browser saw them: ${JSON.stringify(st)}; failures ${JSON.stringify(seen.putFailures)}`);
  await page.close();
}

const watchdog = setTimeout(() => {
  console.log('Bail out! upload.spec.js took more than 150 s');
  process.exit(1);
}, 150000);

main().then(() => {
  clearTimeout(watchdog);
  process.exitCode = failed ? 1 : 0;
}, (e) => {
  clearTimeout(watchdog);
  ok(false, 'the browser test ran to its end', e && e.stack ? e.stack : String(e));
  process.exitCode = 1;
});
