// End-to-end test of the web workstation in headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core; no browser download).
//
//   node test_e2e.mjs --server 'CMD … {port} …' --artifacts DIR
//                     --trader USER:PASS[@TENANT] --admin USER:PASS[@TENANT]
//   node test_e2e.mjs --url http://127.0.0.1:PORT …          (server already running)
//
// --server is a shell command line started here (and stopped at the end); its
// {port} is replaced by a free 127.0.0.1 port unless --url names the port.
// --stale-cmd 'stale {sym} {on}': a line written to the server's stdin to mark
// an instrument's feed stale (cp_testd), to check the stale highlight.
// Screenshots (*.png), the exported CSV and logs go to --artifacts.
// Exit 0 pass, 1 fail, 77 skip (with the reason).
//
// Scenario: log in; ticks stream (values change); watchlist create / rename /
// reorder / delete persisted per user; an order that fills against a resting
// order; a resting order canceled; the trades blotter (filter, sort, CSV with
// correlation ids); the kill switch turned on from an admin session and a new
// order rejected with a notification; a dropped WebSocket message detected
// (sequence gap -> resubscribe) and a dropped connection reconnected; theme
// and layout kept across a reload; the app without the chart library; every
// request stays on 127.0.0.1; no page errors.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';

const T0 = Date.now();
const BUDGET_MS = 110000;

// ------------------------------------------------------------------ args

function parseArgs(argv) {
  const a = { server: null, url: null, artifacts: 'artifacts', chromium: '/usr/bin/chromium',
    trader: 'trader:trader-pw', admin: 'admin:admin-pw', modules: process.env.NODE_PATH || '', 'stale-cmd': '' };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i].replace(/^--/, '');
    const v = argv[i + 1];
    if (!(k in a) || v === undefined) { console.error(`usage: unknown or incomplete option ${argv[i]}`); process.exit(2); }
    a[k] = v;
    i++;
  }
  return a;
}

function cred(s) {
  const m = /^([^:]+):([^@]*)(?:@(.*))?$/.exec(s);
  if (!m) throw new Error(`bad credential ${s} (USER:PASS[@TENANT])`);
  return { user: m[1], pass: m[2], tenant: m[3] || '' };
}

const args = parseArgs(process.argv);
fs.mkdirSync(args.artifacts, { recursive: true });
const logFile = fs.createWriteStream(path.join(args.artifacts, 'e2e.log'));
function log(...m) {
  const line = `[${((Date.now() - T0) / 1000).toFixed(1).padStart(5)}s] ${m.join(' ')}`;
  console.log(line);
  logFile.write(`${line}\n`);
}
function skip(reason) {
  console.log(`SKIP: ${reason}`);
  process.exit(77);
}

if (!fs.existsSync(args.chromium)) skip(`${args.chromium} not found (Debian package chromium)`);
let chromium;
try {
  const req = createRequire(path.join(args.modules || process.cwd(), 'noop.js'));
  ({ chromium } = req('playwright-core'));
} catch (e) {
  skip(`playwright-core not found under ${args.modules || 'NODE_PATH'} (tests/web/setup.sh installs it): ${e.message}`);
}

// ------------------------------------------------------------------ helpers

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function waitHttp(url, ms) {
  const end = Date.now() + ms;
  let last = '';
  while (Date.now() < end) {
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
      last = `HTTP ${r.status}`;
    } catch (e) { last = e.message; }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server not answering ${url}: ${last}`);
}

class Fail extends Error {}
function check(cond, msg) { if (!cond) throw new Fail(msg); }

// Poll fn until it returns a truthy value.
async function until(what, fn, ms = 8000, every = 100) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e.message; }
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Fail(`timed out (${ms} ms) waiting for ${what}${last ? ` (last: ${String(last).slice(0, 200)})` : ''}`);
}

// ------------------------------------------------------------------ run

let server = null;
let serverOut = '';
let browser = null;
const pageErrors = [];
const foreign = [];
let shotNo = 0;

async function shot(page, name) {
  shotNo++;
  const f = path.join(args.artifacts, `${String(shotNo).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: f, fullPage: true });
  log(`screenshot ${f}`);
}

async function newPage(ctx, label) {
  const page = await ctx.newPage();
  page.setDefaultTimeout(8000);
  page.on('pageerror', (e) => pageErrors.push(`${label}: ${e.message}`));
  page.on('console', (m) => {
    log(`${label} console.${m.type()}: ${m.text().slice(0, 300)}`);
    // "Data frame received after close": the server's last update crossed the
    // browser's close frame on the wire. RFC 6455 allows that (the endpoint
    // that sent Close discards what still arrives); Chrome logs it anyway.
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of (401|403|404|409|429)/.test(m.text()) &&
        !/Data frame received after close/.test(m.text())) {
      pageErrors.push(`${label} console: ${m.text()}`);
    }
  });
  return page;
}

async function login(page, base, c) {
  await page.goto(base);
  const form = page.locator('#login-form');
  await form.getByLabel('Tenant').fill(c.tenant);
  await form.getByLabel('Username').fill(c.user);
  await form.getByLabel('Password').fill(c.pass);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#app-view').waitFor({ state: 'visible' });
  await until('connection live', async () => (await page.locator('#conn-state').getAttribute('data-state')) === 'live');
}

const rowText = (page, sel) => page.locator(sel).evaluateAll((rows) => rows.map((r) => r.innerText));

async function orderRow(page, corr) {
  return page.locator(`#orders-table tbody tr[data-corr="${corr}"], #orders-table tbody tr[data-order-id="${corr}"]`).first();
}

async function placeOrder(page, { side, qty, price, tif = 'DAY' }) {
  await page.locator(side === 'BUY' ? 'label[for="t-side-buy"]' : 'label[for="t-side-sell"]').click();
  await page.locator('#t-type').selectOption('LIMIT');
  await page.locator('#t-tif').selectOption(tif);
  await page.locator('#t-qty').fill(String(qty));
  await page.locator('#t-price').fill(String(price));
  const before = await page.locator('#ticket-result').innerText();
  await page.locator('#t-qty').press('Enter'); // submit from the keyboard
  const res = await until('order acknowledgement', async () => {
    const t = await page.locator('#ticket-result').innerText();
    const err = await page.locator('#ticket-error').innerText();
    if (err) return `ERROR ${err}`;
    return t && t !== before && t !== 'Sending…' ? t : null;
  });
  check(!res.startsWith('ERROR'), `order refused by the API: ${res}`);
  const m = /correlation (\S+)/.exec(res) || /order (\S+)/.exec(res);
  check(m, `no correlation id shown after placing: "${res}"`);
  return m[1].replace(/,$/, '');
}

async function main() {
  const trader = cred(args.trader);
  const admin = cred(args.admin);
  let base = args.url;
  if (args.server) {
    const port = args.url ? new URL(args.url).port : await freePort();
    const cmd = args.server.replaceAll('{port}', String(port));
    log(`server: ${cmd}`);
    server = spawn('/bin/sh', ['-c', `exec ${cmd}`], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const keep = (d) => { serverOut += d; if (serverOut.length > 200000) serverOut = serverOut.slice(-100000); };
    server.stdout.on('data', keep);
    server.stderr.on('data', keep);
    server.on('exit', (code, sig) => log(`server exited (${code ?? sig})`));
    base = args.url || `http://127.0.0.1:${port}`;
  }
  check(base, 'give --server or --url');
  base = base.replace(/\/$/, '');
  check(/^https?:\/\/127\.0\.0\.1[:/]/.test(`${base}/`), `the server must be on 127.0.0.1 (got ${base})`);
  await waitHttp(`${base}/healthz`, 15000);
  log(`server up at ${base}`);

  browser = await chromium.launch({
    executablePath: args.chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-extensions',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--metrics-recording-only',
      '--disable-default-apps', '--no-default-browser-check'],
  });
  const ctxOpts = { viewport: { width: 1440, height: 1000 }, acceptDownloads: true, serviceWorkers: 'block' };
  const ctx = await browser.newContext(ctxOpts);
  const guard = (c) => c.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.protocol === 'data:' || u.protocol === 'blob:' || u.hostname === '127.0.0.1') return route.continue();
    foreign.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  await guard(ctx);

  // WebSocket proxy: counts SUBSCRIBEs, can drop one server message (gap) or
  // close the browser's side (reconnect).
  const wsCtl = { subscribes: 0, connections: 0, dropNextMd: false, dropped: null, routes: [] };
  await ctx.routeWebSocket(/\/api\/v1\/ws/, (ws) => {
    wsCtl.connections++;
    wsCtl.routes.push(ws);
    const srv = ws.connectToServer();
    ws.onMessage((m) => {
      if (typeof m === 'string' && /"op"\s*:\s*"SUBSCRIBE"/.test(m)) wsCtl.subscribes++;
      srv.send(m);
    });
    srv.onMessage((m) => {
      if (wsCtl.dropNextMd && typeof m === 'string' && /"type"\s*:\s*"md"/.test(m)) {
        wsCtl.dropNextMd = false;
        wsCtl.dropped = m.slice(0, 120);
        return;
      }
      ws.send(m);
    });
    ws.onClose((code, reason) => srv.close({ code, reason }));
    srv.onClose((code, reason) => ws.close({ code, reason }));
  });

  // ---- 1. login, market watch streams
  const page = await newPage(ctx, 'trader');
  await login(page, base, trader);
  log('trader logged in');
  await until('market watch rows', async () => (await page.locator('#watch-table tbody tr').count()) > 0);
  const firstRows = await rowText(page, '#watch-table tbody tr');
  log(`watch rows: ${firstRows.length}`);
  const changed = await until('quotes to change (streaming ticks)', async () => {
    const now = await rowText(page, '#watch-table tbody tr');
    return now.some((r, i) => r.split('\t').slice(1, 6).join() !== (firstRows[i] || '').split('\t').slice(1, 6).join()
      && !/—\t—\t—/.test(r)) ? now : null;
  }, 10000);
  log(`ticks stream: ${changed[0].replace(/\s+/g, ' ').slice(0, 100)}`);
  const sparkCount = await page.locator('#watch-table .spark canvas').count();
  check(sparkCount > 0, 'no sparkline charts drawn (vendor/uPlot.esm.js missing?)');
  await shot(page, 'market-watch');

  // ---- 1b. a feed going stale is flagged and highlighted, then clears
  if (args['stale-cmd'] && server) {
    const sym0 = await page.locator('#watch-table tbody tr').first().getAttribute('data-symbol');
    const row0 = page.locator(`#watch-table tbody tr[data-symbol="${sym0}"]`);
    server.stdin.write(`${args['stale-cmd'].replace('{sym}', sym0).replace('{on}', '1')}\n`);
    await until(`${sym0} flagged stale`, async () => (await row0.getAttribute('data-stale')) === '1'
      && (await row0.locator('.flag-stale').count()) === 1);
    check(await row0.evaluate((r) => r.classList.contains('stale')), 'stale row not highlighted');
    await shot(page, 'stale');
    server.stdin.write(`${args['stale-cmd'].replace('{sym}', sym0).replace('{on}', '0')}\n`);
    await until(`${sym0} no longer stale`, async () => (await row0.getAttribute('data-stale')) === '0');
    log(`stale flag on ${sym0} shown and cleared`);
  }

  // ---- 2. watchlists: create, add, rename, reorder, delete (persisted per user)
  await page.locator('#wl-new').click();
  await page.locator('#prompt-input').fill('E2E list');
  await page.locator('#prompt-input').press('Enter');
  await until('new watchlist selected', async () => (await page.locator('#wl-select option:checked').innerText()) === 'E2E list');
  const options = await page.locator('#wl-add-select option').evaluateAll((o) => o.map((x) => x.value));
  check(options.length >= 2, 'fewer than two instruments to add');
  for (const sym of options.slice(0, 2)) {
    await page.locator('#wl-add-select').selectOption(sym);
    await page.locator('#wl-add').click();
  }
  await until('two rows in the new list', async () => (await page.locator('#watch-table tbody tr').count()) === 2);
  const order1 = await page.locator('#watch-table tbody tr').evaluateAll((r) => r.map((x) => x.dataset.symbol));
  await page.locator('#watch-table tbody tr').first().focus();
  await page.keyboard.press('Alt+ArrowDown');
  const order2 = await page.locator('#watch-table tbody tr').evaluateAll((r) => r.map((x) => x.dataset.symbol));
  check(order2[0] === order1[1] && order2[1] === order1[0], `Alt+Down did not reorder (${order1} -> ${order2})`);
  await page.locator('#wl-rename').click();
  await page.locator('#prompt-input').fill('E2E renamed');
  await page.locator('#prompt-input').press('Enter');
  await page.locator('#wl-left').click();
  const lists = await page.locator('#wl-select option').evaluateAll((o) => o.map((x) => x.textContent));
  check(lists[lists.length - 2] === 'E2E renamed' || lists.length === 1, `watchlist reorder failed: ${lists}`);
  const stored = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('orion.prefs.')));
  check(stored.length === 1 && stored[0].endsWith(`/${trader.user}`), `prefs not stored per user: ${stored}`);
  page.once('dialog', (d) => d.accept());
  await page.locator('#wl-delete').click();
  await until('watchlist deleted', async () => !(await page.locator('#wl-select option').allInnerTexts()).includes('E2E renamed'));
  log('watchlists: create / add / reorder / rename / move / delete ok');

  // ---- 3. an order that fills against a resting order
  // Choose an instrument with both sides quoted; buy at the ask.
  const rows = page.locator('#watch-table tbody tr');
  const n = await rows.count();
  let target = null;
  for (let i = 0; i < n; i++) {
    const cells = await rows.nth(i).locator('td').allInnerTexts();
    if (cells[0] !== '—' && cells[1] !== '—') { target = rows.nth(i); break; }
  }
  check(target, 'no instrument with a two-sided quote');
  const sym = await target.getAttribute('data-symbol');
  await target.focus();
  await page.keyboard.press('Enter'); // loads the ticket
  check(await page.locator('#t-instrument').inputValue() === sym, 'Enter on a watch row did not load the ticket');
  const lot = Number(await page.locator('#t-qty').getAttribute('min')) || 1;
  const askText = (await target.locator('td').nth(1).innerText()).replace(/,/g, '');
  const bidText = (await target.locator('td').nth(0).innerText()).replace(/,/g, '');
  const tick = Number(await page.locator('#t-price').getAttribute('step')) || 0.01;
  const dp = Math.max(0, Math.round(-Math.log10(tick)));
  log(`trading ${sym}: bid ${bidText} ask ${askText} tick ${tick} lot ${lot}`);
  // A marketable limit: the ask plus 0.5 % of room for the market moving.
  const buyPx = (Math.ceil((Number(askText) * 1.005) / tick) * tick).toFixed(dp);
  const fillCorr = await placeOrder(page, { side: 'BUY', qty: lot, price: buyPx, tif: 'IOC' });
  log(`marketable order sent, correlation ${fillCorr}`);
  await until('the order to fill', async () => {
    const r = await orderRow(page, fillCorr);
    if (!(await r.count())) {
      await page.locator('#orders-live-only').setChecked(false);
      return false;
    }
    return (await r.getAttribute('data-status')) === 'FILLED';
  }, 10000);
  await until('the fill in the trades blotter', async () => (await page.locator(`#trades-table tbody tr[data-corr="${fillCorr}"]`).count()) > 0);
  log('order filled; trade in blotter');

  // ---- 4. a resting order, then cancel it
  await page.locator('#orders-live-only').setChecked(true);
  // Well below the market (3 %), still inside any sane price band.
  const bidNow = Number((await target.locator('td').nth(0).innerText()).replace(/,/g, ''));
  const restPx = (Math.floor((bidNow * 0.97) / tick) * tick).toFixed(dp);
  const restCorr = await placeOrder(page, { side: 'BUY', qty: lot, price: restPx, tif: 'DAY' });
  await until('the resting order to be NEW', async () => {
    const r = await orderRow(page, restCorr);
    return (await r.count()) && (await r.getAttribute('data-status')) === 'NEW';
  });
  // Amend it (quantity up, price one tick lower) through the dialog.
  const amendPx = (Number(restPx) - tick).toFixed(dp);
  await (await orderRow(page, restCorr)).getByRole('button', { name: /^Amend order/ }).click();
  await page.locator('#amend-dialog').waitFor({ state: 'visible' });
  await page.locator('#amend-qty').fill(String(2 * lot));
  await page.locator('#amend-price').fill(amendPx);
  await page.locator('#amend-price').press('Enter');
  await until('the amended order', async () => {
    const r = await orderRow(page, restCorr);
    const qty = (await r.locator('td[data-col="qty"]').innerText()).replace(/,/g, '');
    const px = (await r.locator('td[data-col="price"]').innerText()).replace(/,/g, '');
    return (await r.getAttribute('data-status')) === 'NEW' && !(await r.getAttribute('data-pending'))
      && qty === String(2 * lot) && px === amendPx;
  });
  log(`resting order ${restCorr} amended to ${2 * lot} @ ${amendPx}`);
  await shot(page, 'order-resting');
  const restRow = await orderRow(page, restCorr);
  await restRow.getByRole('button', { name: /^Cancel order/ }).click();
  await until('the order to be canceled', async () => {
    await page.locator('#orders-live-only').setChecked(false);
    const r = await orderRow(page, restCorr);
    return (await r.count()) && (await r.getAttribute('data-status')) === 'CANCELED';
  });
  log(`resting order ${restCorr} canceled`);

  // ---- 5. trades blotter: filter, sort, CSV
  await page.locator('#trades-filter').fill(sym);
  const tradeRows = await rowText(page, '#trades-table tbody tr');
  check(tradeRows.length > 0 && tradeRows.every((r) => r.includes(sym)), `filter by ${sym} failed`);
  await page.locator('#trades-filter').fill('no-such-thing-xyz');
  check((await page.locator('#trades-table tbody tr').count()) === 0, 'filter kept unrelated rows');
  await page.locator('#trades-filter').fill('');
  await page.locator('#trades-table th[data-key="price"] button').click();
  check((await page.locator('#trades-table th[data-key="price"]').getAttribute('aria-sort')) !== null, 'sort state not shown');
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#trades-csv').click()]);
  const csvPath = path.join(args.artifacts, 'trades.csv');
  await download.saveAs(csvPath);
  const csv = fs.readFileSync(csvPath, 'utf8');
  check(csv.startsWith('time,trade_id,order_id,correlation_id,symbol,side,qty,price,notional'), 'CSV header wrong');
  check(csv.includes(fillCorr), 'CSV lacks the fill\'s correlation id');
  log(`CSV export ok (${csv.trim().split('\n').length - 1} rows)`);
  await shot(page, 'orders-trades');

  // ---- 6. WebSocket: sequence gap -> resubscribe; dropped connection -> reconnect
  const subsBefore = wsCtl.subscribes;
  wsCtl.dropNextMd = true;
  await until('a dropped md message', async () => wsCtl.dropped, 8000);
  await until('a resubscribe after the sequence gap', async () => wsCtl.subscribes > subsBefore, 8000);
  await until('the gap notification', async () => (await page.locator('#notes-list li[data-kind="WS_GAP"]').count()) > 0);
  log('sequence gap detected, resubscribed');
  const conns = wsCtl.connections;
  await wsCtl.routes[wsCtl.routes.length - 1].close({ code: 1012, reason: 'e2e: drop connection' });
  await until('the reconnecting state', async () => ['reconnecting', 'connecting'].includes(await page.locator('#conn-state').getAttribute('data-state')), 5000, 20);
  // While not connected every price is flagged stale.
  const staleRows = await page.locator('#watch-table tbody tr[data-stale="1"]').count();
  check(staleRows === await page.locator('#watch-table tbody tr').count(), `rows not marked stale while disconnected (${staleRows})`);
  await until('a new connection', async () => wsCtl.connections > conns, 10000);
  await until('live again', async () => (await page.locator('#conn-state').getAttribute('data-state')) === 'live', 10000);
  await until('a SUBSCRIBE on the new connection', async () => wsCtl.subscribes > subsBefore + 1, 5000);
  log('reconnected and resubscribed');

  // ---- 7. kill switch from an admin session; the trader's new order is rejected
  const actx = await browser.newContext(ctxOpts);
  await guard(actx);
  const apage = await newPage(actx, 'admin');
  await login(apage, base, admin);
  await apage.locator('#panel-admin').waitFor({ state: 'visible' });
  await apage.locator('#tab-kill').click();
  // PLATFORM may use the global switch; ADMIN / RISK their own tenant's.
  const platform = /PLATFORM/.test(await apage.locator('#user-badge').innerText());
  const scope = platform ? 'global' : 'tenant';
  const globalShown = await apage.locator('#kill-scope option[value="global"]').evaluate((o) => !o.hidden);
  check(globalShown === platform, `global kill switch ${globalShown ? 'offered to' : 'hidden from'} this role`);
  await apage.locator('#kill-scope').selectOption(scope);
  await apage.locator('#kill-on').click();
  await until('kill switch acknowledged', async () => /ON/.test(await apage.locator('#kill-state').innerText())
    || (await apage.locator('#admin-error').innerText()));
  const adminErr = await apage.locator('#admin-error').innerText();
  check(!adminErr, `kill switch refused: ${adminErr}`);
  await shot(apage, 'admin-kill-switch');
  log('kill switch ON');
  await page.locator('#orders-live-only').setChecked(false);
  const killedCorr = await placeOrder(page, { side: 'BUY', qty: lot, price: restPx, tif: 'DAY' });
  // The kill switch is the dataplane's (risk) business: the server's engine
  // (oriond, or cp_testd's fake one) must refuse the order.
  await until('the order to be rejected under the kill switch (the engine behind the API must enforce it)', async () => {
    const r = await orderRow(page, killedCorr);
    return (await r.count()) && (await r.getAttribute('data-status')) === 'REJECTED';
  }, 8000);
  const note = await until('a reject notification', async () => {
    const t = await page.locator('#notes-list li.level-error').allInnerTexts();
    return t.find((x) => /reject/i.test(x));
  });
  log(`rejected with notification: ${note.replace(/\s+/g, ' ').slice(0, 120)}`);
  await shot(page, 'kill-switch-reject');
  await apage.locator('#kill-off').click();
  await until('kill switch off', async () => /OFF/.test(await apage.locator('#kill-state').innerText()));
  await actx.close();

  // ---- 8. theme and layout per user, kept across a reload (session restored)
  await page.locator('#theme-toggle').click();
  await page.locator('#layout-select').selectOption('stack');
  await page.reload();
  await page.locator('#app-view').waitFor({ state: 'visible' });
  check(await page.evaluate(() => document.documentElement.dataset.theme) === 'dark', 'theme not kept');
  check(await page.locator('#main').getAttribute('data-layout') === 'stack', 'layout not kept');
  await until('live after reload', async () => (await page.locator('#conn-state').getAttribute('data-state')) === 'live');
  await page.locator('#layout-select').selectOption('grid');
  await until('rows after reload', async () => (await page.locator('#watch-table tbody tr').count()) > 0);
  await page.waitForTimeout(600);
  await shot(page, 'dark-theme');

  // ---- 9. accessibility basics: every control has a name; keyboard shortcut
  const unnamed = await page.evaluate(() => {
    const out = [];
    for (const e of document.querySelectorAll('#app-view input, #app-view select, #app-view button')) {
      if (e.closest('[hidden]') || e.type === 'hidden') continue;
      const name = e.labels?.length || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || (e.tagName === 'BUTTON' && e.textContent.trim());
      if (!name) out.push(e.id || e.outerHTML.slice(0, 60));
    }
    return out;
  });
  check(unnamed.length === 0, `controls without an accessible name: ${unnamed.join(', ')}`);
  await page.keyboard.press('Alt+T');
  check(await page.evaluate(() => document.activeElement?.closest('#panel-ticket') !== null), 'Alt+T did not focus the ticket');

  // ---- 10. logout
  await page.locator('#logout-btn').click();
  await page.locator('#login-view').waitFor({ state: 'visible' });
  check(await page.evaluate(() => sessionStorage.getItem('orion.session')) === null, 'token left in sessionStorage after logout');

  // ---- 11. without the chart library the app still works
  const nctx = await browser.newContext(ctxOpts);
  await guard(nctx);
  await nctx.route(/\/vendor\//, (r) => r.fulfill({ status: 404, body: 'absent' }));
  const npage = await newPage(nctx, 'nocharts');
  const before = pageErrors.length;
  await login(npage, base, trader);
  await until('rows without charts', async () => (await npage.locator('#watch-table tbody tr').count()) > 0);
  await until('quotes without charts', async () => !(await npage.locator('#watch-table tbody tr td').first().innerText()).includes('—'));
  check((await npage.locator('#watch-table .spark').count()) === 0, 'charts drawn without the library?');
  // The 404 of the module itself is expected here.
  pageErrors.splice(before).filter((e) => !/vendor|Failed to fetch dynamically imported module|status of 404/.test(e)).forEach((e) => pageErrors.push(e));
  await shot(npage, 'no-charts');
  await nctx.close();

  check(foreign.length === 0, `requests left 127.0.0.1: ${foreign.join(', ')}`);
  check(pageErrors.length === 0, `page errors:\n  ${pageErrors.join('\n  ')}`);
}

let rc = 0;
const deadline = setTimeout(() => {
  log(`FAIL: over the time budget (${BUDGET_MS} ms)`);
  cleanup().finally(() => process.exit(1));
}, BUDGET_MS);

async function cleanup() {
  try { if (browser) await browser.close(); } catch { /* already gone */ }
  if (server && server.exitCode === null) {
    try { process.kill(-server.pid, 'SIGTERM'); } catch { /* gone */ }
    await new Promise((r) => { const t = setTimeout(r, 3000); server.once('exit', () => { clearTimeout(t); r(); }); });
    if (server.exitCode === null) { try { process.kill(-server.pid, 'SIGKILL'); } catch { /* gone */ } }
  }
  fs.writeFileSync(path.join(args.artifacts, 'server.log'), serverOut);
}

try {
  await main();
  log(`PASS (${((Date.now() - T0) / 1000).toFixed(1)} s)`);
} catch (e) {
  rc = 1;
  log(`FAIL: ${e instanceof Fail ? e.message : e.stack || e}`);
  if (pageErrors.length) log(`page errors:\n  ${pageErrors.join('\n  ')}`);
  try {
    for (const ctx of browser?.contexts() || []) for (const p of ctx.pages()) await shot(p, 'failure');
  } catch { /* browser gone */ }
  if (serverOut) log(`server output (tail):\n${serverOut.slice(-3000)}`);
} finally {
  clearTimeout(deadline);
  await cleanup();
  logFile.end();
}
process.exit(rc);
