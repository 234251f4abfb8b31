// lib.mjs: what every browser flow shares: Debian's chromium driven by
// npm's puppeteer-core (tests/npm; it downloads no browser), logged in
// through the page's own form, with every dialog, page error and CSP
// violation recorded so a flow can assert there were none.
//
// The flows take their setting from the environment (tests/browser.bats
// sets it): SOCA_WEB_URL (the site, https://127.0.0.1:PORT),
// SOCA_WEB_USER and SOCA_WEB_PASSWORD, SOCA_SHOTS (the directory for
// screenshots), CHROMIUM (default /usr/bin/chromium).

import {createRequire} from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(new URL('../npm/package.json', import.meta.url));
const puppeteer = require('puppeteer-core');

export const BASE = (process.env.SOCA_WEB_URL || '').replace(/\/$/, '');
export const USER = process.env.SOCA_WEB_USER || '';
export const PASSWORD = process.env.SOCA_WEB_PASSWORD || '';
export const SHOTS = process.env.SOCA_SHOTS || '';
const TIMEOUT = Number(process.env.SOCA_BROWSER_TIMEOUT || 30) * 1000;

// a finding the flow prints for the bats test to assert: "key value"
export function report(key, value) {
	process.stdout.write(key + ' ' + (typeof value === 'string' ? value : JSON.stringify(value)) + '\n');
}

export class Skip extends Error {}
export class Fail extends Error {}

export function check(cond, msg) {
	if (!cond)
		throw new Fail(msg);
}

export async function launch() {
	const args = ['--headless=new', '--disable-gpu', '--disable-dev-shm-usage',
		'--no-first-run', '--no-default-browser-check'];
	if (process.getuid && process.getuid() === 0)
		args.push('--no-sandbox');	// chromium's sandbox refuses root
	const dir = fs.mkdtempSync(path.join(process.env.TMPDIR || '/tmp', 'soca-chromium-'));
	let browser;
	try {
		browser = await puppeteer.launch({
			executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
			headless: true,
			acceptInsecureCerts: true,	// the suite's self-signed certificate
			args,
			userDataDir: path.join(dir, 'profile'),
		});
	} catch (e) {
		fs.rmSync(dir, {recursive: true, force: true});
		throw e;
	}
	browser.socaDir = dir;	// the profile and the flow's scratch, removed with it
	return browser;
}

// a page with its dialogs, errors and CSP violations recorded in page.seen
export async function newPage(browser, width, height) {
	const page = await browser.newPage();
	page.setDefaultTimeout(TIMEOUT);
	await page.setViewport({width: width || 1200, height: height || 900});
	page.seen = {dialogs: [], errors: [], csp: []};
	page.on('dialog', async (d) => {
		page.seen.dialogs.push(d.message());
		await d.dismiss().catch(() => {});
	});
	page.on('pageerror', (e) => page.seen.errors.push(String(e.message || e)));
	page.on('console', (m) => {
		if (process.env.SOCA_BROWSER_DEBUG)
			process.stderr.write('console: ' + m.type() + ' ' + m.text() + '\n');
	});
	if (process.env.SOCA_BROWSER_DEBUG) {
		// the headers chromium really sent (Origin, Cookie) for /api/
		const cdp = await page.createCDPSession();
		await cdp.send('Network.enable');
		cdp.on('Network.requestWillBeSentExtraInfo', (e) => {
			const h = e.headers || {};
			const p = h[':path'] || '';
			if (/^\/api\//.test(p) || /api/.test(JSON.stringify(h)))
				process.stderr.write('sent: ' + JSON.stringify(h) + '\n');
		});
	}
	await page.evaluateOnNewDocument(() => {
		window.__socaCsp = [];
		document.addEventListener('securitypolicyviolation', (e) =>
			window.__socaCsp.push(e.violatedDirective + ' ' + e.blockedURI));
	});
	return page;
}

// log in with the keyboard only: the user field has the focus, Tab to the
// password, Enter submits
export async function login(page, user, password) {
	await page.goto(BASE + '/#/login', {waitUntil: 'load'});
	await page.waitForSelector('#login-form');
	await page.waitForFunction(() => document.activeElement &&
		document.activeElement.name === 'user');
	await page.keyboard.type(user || USER);
	await page.keyboard.press('Tab');
	await page.keyboard.type(password || PASSWORD);
	await page.keyboard.press('Enter');
	await page.waitForFunction((u) => document.getElementById('who').textContent === u &&
		document.querySelector('#submit-form'), {}, user || USER);
}

export async function shot(page, name) {
	if (!SHOTS)
		return;
	fs.mkdirSync(SHOTS, {recursive: true});
	const file = path.join(SHOTS, name + '.png');
	await page.screenshot({path: file, fullPage: true});
	process.stderr.write('screenshot: ' + file + '\n');
}

// go to a view and wait until its heading is there
export async function view(page, route) {
	await page.evaluate((r) => {
		location.hash = '#/' + r;
	}, route);
	await page.waitForFunction((r) => location.hash === '#/' + r &&
		document.querySelector('#view h1'), {}, route);
}

// the text of the status line once it says something matching RE; when
// it never does, what it says instead
export async function status(page, re) {
	try {
		await page.waitForFunction((src) => new RegExp(src).test(
			document.getElementById('status').textContent), {}, re.source);
	} catch (e) {
		const now = await page.$eval('#status', (el) => el.textContent).catch(() => '?');
		throw new Error('the status line never matched ' + re + ': it says "' + now + '" (' + e.message + ')');
	}
	return page.$eval('#status', (e) => ({text: e.textContent, error: e.classList.contains('error')}));
}

// press SELECTOR: a form's button activated from the keyboard (focus,
// Enter), as a keyboard user does.  Unlike a mouse click at the
// button's place, it cannot land elsewhere when a list above the form
// fills in or grows between finding the button and clicking it.
export async function press(page, sel) {
	await page.focus(sel);
	await page.keyboard.press('Enter');
}

// the cells of the table row whose first cell is ID, by column label
export function rowOf(page, box, id) {
	return page.evaluate((sel, want) => {
		for (const tr of document.querySelectorAll(sel + ' tbody tr')) {
			const cells = {};
			for (const td of tr.querySelectorAll('td'))
				cells[td.dataset.label] = td.textContent;
			if (Object.values(cells)[0] === String(want))
				return cells;
		}
		return null;
	}, box, id);
}

// what the page saw that it should not have: dialogs, errors, CSP
// violations, and the XSS payloads' flag
export async function hygiene(page) {
	const csp = await page.evaluate(() => window.__socaCsp || []);
	const flag = await page.evaluate(() => window.__socaXss === undefined ? null : window.__socaXss);
	return {dialogs: page.seen.dialogs, errors: page.seen.errors, csp, xss: flag};
}

// run FLOWS[name](args) in a fresh browser; exit 0, 1 (failed) or 77 (skip)
export async function main(flows) {
	const [name, ...args] = process.argv.slice(2);
	if (!flows[name]) {
		process.stderr.write('usage: flows.mjs ' + Object.keys(flows).join('|') + ' [ARGS...]\n');
		process.exit(2);
	}
	check(BASE, 'SOCA_WEB_URL is not set');
	let browser;
	let code = 0;
	try {
		browser = await launch();
		await flows[name](browser, ...args);
	} catch (e) {
		if (e instanceof Skip) {
			process.stdout.write('skip ' + e.message + '\n');
			code = 77;
		} else {
			process.stderr.write(name + ': ' + (e instanceof Fail ? e.message : e.stack || e) + '\n');
			code = 1;
		}
	} finally {
		if (browser) {
			await browser.close().catch(() => {});
			fs.rmSync(browser.socaDir, {recursive: true, force: true});
		}
	}
	process.exit(code);
}
