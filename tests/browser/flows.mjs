#!/usr/bin/env node
// flows.mjs: the web page's flows in a real browser, one per run:
//
//   node tests/browser/flows.mjs FLOW [ARGS...]
//
// Each prints what it saw as "key value" lines for tests/browser.bats to
// assert (with the spool and the API's own answers), screenshots to
// $SOCA_SHOTS; exit 0, 1 when the page did not do what it should, 77 when
// the API does not offer the part a flow needs yet (the reason printed).

import fs from 'node:fs';
import path from 'node:path';
import {BASE, Skip, check, hygiene, login, main, newPage, press, report, rowOf,
	shot, status, view} from './lib.mjs';

const XSS = '<img src=x onerror="window.__socaXss=1;alert(1)">';

async function typeScript(page, script) {
	await page.focus('#submit-form textarea');
	await page.keyboard.down('Control');
	await page.keyboard.press('KeyA');
	await page.keyboard.up('Control');
	await page.keyboard.press('Backspace');
	await page.keyboard.type(script);
}

// a view's list box once it holds a table, "None." or the API's error
async function listed(page, box) {
	await page.waitForFunction((b) => {
		const el = document.querySelector(b);
		return el && el.firstChild;
	}, {}, box);
	const err = await page.$eval(box, (e) => {
		const p = e.querySelector('.error');
		return p ? p.textContent : null;
	});
	return err;
}

const flows = {
	// the login page, then a keyboard-only login; prints who the page
	// says is logged in and whether it shows the admin link; logs out
	async login(browser) {
		const page = await newPage(browser);
		await page.goto(BASE + '/', {waitUntil: 'load'});
		await page.waitForSelector('#login-form');
		await shot(page, 'login');
		await login(page);
		report('who', await page.$eval('#who', (e) => e.textContent));
		report('admin-link', await page.$eval('#nav-admin', (e) => (e.hidden ? 'hidden' : 'shown')));
		report('cookie', (await page.cookies(BASE + '/api/me')).filter((c) => c.name === 'soca_session')
			.map((c) => [c.httpOnly, c.secure, c.sameSite, c.path].join(' ')).join() || 'none');
		const [cookie] = (await page.cookies(BASE + '/api/me')).filter((c) => c.name === 'soca_session');
		await page.click('#logout');
		await page.waitForSelector('#login-form');
		// the old cookie put back: the server has forgotten its session
		if (cookie)
			await page.setCookie(cookie);
		report('after-logout', await page.evaluate(() => fetch('/api/me').then((r) => r.status)));
		report('hygiene', await hygiene(page));
	},

	// submit NAME SCRIPT: through the form; prints the id and the state
	// the list shows it in
	async submit(browser, name, script) {
		const page = await newPage(browser);
		await login(page);
		await typeScript(page, script);
		await page.type('#submit-form input[name=name]', name);
		await press(page, '#submit-form button[type=submit]');
		const st = await status(page, /submitted|Not submitted/);
		check(!st.error, 'submission refused: ' + st.text);
		const id = st.text.match(/^Job (\S+) submitted\.$/)[1];
		report('id', id);
		await page.waitForFunction((i) => [...document.querySelectorAll('#job-list td[data-label=Id]')]
			.some((td) => td.textContent === i), {}, id);
		const row = await rowOf(page, '#job-list', id);
		report('listed', row.Name + ' ' + row.State);
		await shot(page, 'jobs');
		report('hygiene', await hygiene(page));
	},

	// application NAME: the submit view offers the example application
	// profile; its form is filled with labelled inputs and submitted;
	// prints the form's labels and controls and the job's id
	async application(browser, name) {
		const page = await newPage(browser);
		await login(page);
		await page.waitForFunction(() => [...document.querySelectorAll('#submit-from option')]
			.some((o) => o.value === 'cfd-solver'));
		report('offered', await page.$$eval('#submit-from option', (l) => l.map((o) => o.textContent).join('|')));
		await page.select('#submit-from', 'cfd-solver');
		await page.waitForSelector('#app-form');
		report('labels', await page.$$eval('#app-form label', (l) => l.map((e) => e.textContent +
			'=' + (document.getElementById(e.htmlFor) || {}).tagName).join('|')));
		report('cores', await page.$eval('#app-form input[name=p-cores]', (e) => [e.type, e.min, e.max, e.value].join(' ')));
		report('precision', await page.$$eval('#app-form select[name=p-precision] option', (l) => l.map((o) => o.value).join(' ')));
		await page.type('#app-form input[name=p-input]', 'cases/wing');
		await page.click('#app-form input[name=p-cores]', {clickCount: 3});
		await page.keyboard.type('12');
		await page.select('#app-form select[name=p-precision]', 'single');
		await page.type('#app-form input[name=name]', name);
		await shot(page, 'application');
		await press(page, '#app-form button[type=submit]');
		const st = await status(page, /submitted|Not submitted/);
		check(!st.error, 'submission refused: ' + st.text);
		report('id', st.text.match(/^Job (\S+) submitted\.$/)[1]);
		report('hygiene', await hygiene(page));
	},

	// done ID: the list's live refresh shows ID done, with no reload
	async done(browser, id) {
		const page = await newPage(browser);
		await login(page);
		await page.waitForFunction((i) => [...document.querySelectorAll('#job-list tbody tr')]
			.some((tr) => tr.querySelector('td[data-label=Id]').textContent === i &&
				tr.querySelector('td[data-label=State]').textContent === 'done'),
		{timeout: 90000}, id);
		report('state', (await rowOf(page, '#job-list', id)).State);
		await shot(page, 'jobs-done');
		report('hygiene', await hygiene(page));
	},

	// output ID: the job's page (reached from the list) shows its stdout
	// as text, and the download link gives its bytes
	async output(browser, id) {
		const page = await newPage(browser);
		await login(page);
		const link = '#job-list a[href="#/jobs/' + encodeURIComponent(id) + '"]';
		await page.waitForSelector(link);
		await page.click(link);
		await page.waitForSelector('#show-stdout');
		const answer = page.waitForResponse((r) => /\/output\/stdout$/.test(r.url()));
		await page.click('#show-stdout');
		const res = await answer;
		check(res.ok(), 'GET ' + res.url() + ': ' + res.status());
		await page.waitForFunction(() => document.getElementById('output-stdout').textContent !== '');
		report('shown', JSON.stringify(await page.$eval('#output-stdout', (e) => e.textContent)));
		report('imgs', await page.$$eval('img', (l) => l.length));
		await shot(page, 'job');

		const dir = path.join(browser.socaDir, 'download');
		fs.mkdirSync(dir);
		const cdp = await browser.target().createCDPSession();
		await cdp.send('Browser.setDownloadBehavior', {behavior: 'allowAndName',
			downloadPath: dir, eventsEnabled: true});
		const finished = new Promise((resolve, reject) => {
			cdp.on('Browser.downloadProgress', (e) => {
				if (e.state === 'completed')
					resolve(e.guid);
				else if (e.state === 'canceled')
					reject(new Error('the download was cancelled'));
			});
		});
		await page.click('#download-stdout');
		const guid = await finished;
		report('downloaded', JSON.stringify(fs.readFileSync(path.join(dir, guid), 'utf8')));
		report('hygiene', await hygiene(page));
	},

	// xss: an HTML payload as a job name: whatever the API answers, the
	// page shows it as text, no element is made of it, no script runs
	async xss(browser) {
		const page = await newPage(browser);
		await login(page);
		await typeScript(page, 'true\n');
		await page.type('#submit-form input[name=name]', XSS);
		await press(page, '#submit-form button[type=submit]');
		const st = await status(page, /submitted|Not submitted/);
		report('status', st.text);
		report('refused', st.error);
		await new Promise((r) => setTimeout(r, 500));	// let a payload fire if it can
		report('imgs', await page.$$eval('img', (l) => l.length));
		report('hygiene', await hygiene(page));
	},

	// csrf: pages on other origins auto-submit forms to POST /api/jobs in
	// the browser that holds alice's session cookie: another port of the
	// same host (same site: the cookie goes, the Origin check must refuse),
	// another host name for the same server (cross site) and a data: URL
	// (an opaque origin). Prints each answer's status.
	async csrf(browser) {
		const page = await newPage(browser);
		await login(page);
		const real = new URL(BASE);
		const other = real.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
		const evil = {
			'same-site': real.protocol + '//' + real.hostname + ':' + (Number(real.port || 443) + 1),
			'cross-site': real.protocol + '//' + other + ':' + (real.port || 443),
		};
		const form = (kind, enctype) => '<!doctype html><title>evil</title>' +
			'<form id="f" method="POST" action="' + BASE + '/api/jobs" enctype="' + enctype + '">' +
			'<input name=\'{"script":"echo csrf","name":"csrf-' + kind + '","x":"\' value=\'"}\'>' +
			'</form><script>document.getElementById("f").submit()</script>';
		await page.setRequestInterception(true);
		page.on('request', (r) => {
			const u = new URL(r.url());
			const kind = Object.keys(evil).find((k) => u.origin === evil[k]);
			if (kind)
				r.respond({status: 200, contentType: 'text/html',
					body: form(kind, u.searchParams.get('enctype'))});
			else
				r.continue();
		});
		const post = async (kind, url) => {
			const answer = page.waitForResponse((res) => res.url() === BASE + '/api/jobs' &&
				res.request().method() === 'POST');
			await page.goto(url);
			const res = await answer;
			report('post', kind + ' ' + res.status());
		};
		for (const enc of ['text/plain', 'application/x-www-form-urlencoded'])
			for (const kind of Object.keys(evil))
				await post(kind + ' ' + enc, evil[kind] + '/evil.html?enctype=' + encodeURIComponent(enc));
		await post('data-url text/plain', 'data:text/html,' + encodeURIComponent(form('data', 'text/plain')));
	},

	// upload CONTENT DIR: the files view lists the home, DIR is opened
	// from it; a file uploaded there is listed and downloads with its
	// bytes; a file whose name is HTML is listed as text; a new folder is
	// listed
	async upload(browser, content, sub) {
		const page = await newPage(browser);
		await login(page);
		await view(page, 'files');
		const err = await listed(page, '#file-list');
		if (err)
			throw new Skip('the API does not list files yet: ' + err);
		await page.click('#file-list a[href="#/files/' + encodeURIComponent(sub) + '"]');
		await page.waitForFunction((s) => document.querySelector('.crumbs') &&
			document.querySelector('.crumbs').textContent === 'home / ' + s &&
			document.querySelector('#file-list').firstChild, {}, sub);
		const dir = path.join(browser.socaDir, 'upload');
		fs.mkdirSync(dir);
		const plain = path.join(dir, 'browser-upload.txt');
		const html = path.join(dir, XSS.replace(/\//g, '') + '.txt');
		fs.writeFileSync(plain, content);
		fs.writeFileSync(html, 'x\n');
		const input = await page.$('#upload-form input[type=file]');
		await input.uploadFile(plain, html);
		await press(page, '#upload-form button[type=submit]');
		for (const f of [plain, html]) {
			const name = path.basename(f);
			await page.waitForFunction((n) => [...document.querySelectorAll('#file-list td[data-label=Name]')]
				.some((td) => td.textContent === n), {}, name);
			report('listed', name);
		}
		const href = await page.$eval('#file-list a[download="browser-upload.txt"]', (a) => a.href);
		report('downloaded', JSON.stringify(await page.evaluate((u) => fetch(u, {credentials: 'same-origin'})
			.then((r) => r.text()), href)));
		await page.type('#mkdir-form input', 'browser-dir');
		await press(page, '#mkdir-form button[type=submit]');
		await page.waitForFunction(() => [...document.querySelectorAll('#file-list td[data-label=Name]')]
			.some((td) => td.textContent === 'browser-dir/'));
		report('listed', 'browser-dir/');
		report('imgs', await page.$$eval('img', (l) => l.length));
		await shot(page, 'files');
		report('hygiene', await hygiene(page));
	},

	// launch NAME: a desktop launched from the desktops view is listed
	async launch(browser, name) {
		const page = await newPage(browser);
		await login(page);
		await view(page, 'desktops');
		const err = await listed(page, '#desktop-list');
		if (err)
			throw new Skip('the API does not list desktops yet: ' + err);
		await page.type('#launch-form input[name=name]', name);
		await press(page, '#launch-form button[type=submit]');
		const st = await status(page, /launched|Not launched/);
		check(!st.error, 'launch refused: ' + st.text);
		await page.waitForFunction((n) => [...document.querySelectorAll('#desktop-list td[data-label=Name]')]
			.some((td) => td.textContent === n), {}, name);
		report('launched', (await rowOf(page, '#desktop-list', name)).State);
		report('hygiene', await hygiene(page));
	},

	// stop NAME: the desktop is listed running; its Stop button stops it
	async stop(browser, name) {
		const page = await newPage(browser);
		await login(page);
		await view(page, 'desktops');
		await page.waitForFunction((n) => [...document.querySelectorAll('#desktop-list td[data-label=Name]')]
			.some((td) => td.textContent === n), {}, name);
		report('before', (await rowOf(page, '#desktop-list', name)).State);
		await shot(page, 'desktops');
		await press(page, 'button[aria-label="Stop ' + name + '"]');
		const st = await status(page, /stopping|: /);
		check(!st.error, 'stop refused: ' + st.text);
		await page.waitForFunction((n) => [...document.querySelectorAll('#desktop-list tbody tr')]
			.some((tr) => tr.querySelector('td[data-label=Name]').textContent === n &&
				tr.querySelector('td[data-label=State]').textContent !== 'running'), {}, name);
		report('after', (await rowOf(page, '#desktop-list', name)).State);
		report('hygiene', await hygiene(page));
	},

	// key NAME: an API key made in the account view: its token is shown
	// once (printed for the test to use), the key is listed
	async key(browser, name) {
		const page = await newPage(browser);
		await login(page);
		await view(page, 'account');
		await listed(page, '#key-list');
		await page.type('#key-form input[name=name]', name);
		await press(page, '#key-form button[type=submit]');
		await page.waitForSelector('#key-token');
		report('token', await page.$eval('#key-token', (e) => e.value));
		await page.waitForFunction((n) => [...document.querySelectorAll('#key-list td[data-label=Name]')]
			.some((td) => td.textContent === n), {}, name);
		report('listed', name);
		await shot(page, 'account');
		// a new visit: the token is not shown again
		await view(page, 'jobs');
		await view(page, 'account');
		await listed(page, '#key-list');
		report('token-again', (await page.$('#key-token')) ? 'shown' : 'gone');
		report('hygiene', await hygiene(page));
	},

	// password OLD NEW: the account view's password form, typed into:
	// first the repetition mistyped (the page refuses, sends nothing),
	// then a wrong current password (the API's 403, said), then right
	async password(browser, old, next) {
		const page = await newPage(browser);
		await login(page);
		await view(page, 'account');
		await page.waitForSelector('#password-form');
		report('labels', await page.$$eval('#password-form input', (l) => l.map((e) =>
			(e.labels[0] ? e.labels[0].textContent : '-') + ':' + e.type).join(',')));
		const fill = async (values) => {
			for (const [n, v] of Object.entries(values)) {
				await page.$eval('#password-form input[name=' + n + ']', (e) => {
					e.value = '';
				});
				await page.type('#password-form input[name=' + n + ']', v);
			}
			await press(page, '#password-form button[type=submit]');
		};
		await fill({old, new: next, again: next + 'x'});
		let st = await status(page, /differ/);
		report('mismatch', (st.error ? 'error ' : 'ok ') + st.text);
		await fill({old: 'not-' + old, new: next, again: next});
		st = await status(page, /^Password not changed/);
		report('wrong-old', (st.error ? 'error ' : 'ok ') + st.text);
		await fill({old, new: next, again: next});
		st = await status(page, /^Password changed/);
		report('changed', (st.error ? 'error ' : 'ok ') + st.text);
		report('cleared', await page.$$eval('#password-form input', (l) => l.every((e) => e.value === '')));
		await shot(page, 'account-password');
		report('hygiene', await hygiene(page));
	},

	// revoke NAME: the key's Revoke button, pressed twice (it asks again)
	async revoke(browser, name) {
		const page = await newPage(browser);
		await login(page);
		await view(page, 'account');
		await page.waitForSelector('button[aria-label="Revoke key ' + name + '"]');
		await press(page, 'button[aria-label="Revoke key ' + name + '"]');
		await press(page, 'button[aria-label="Confirm: revoke key ' + name + '"]');
		const st = await status(page, /revoked|: /);
		check(!st.error, 'revoke refused: ' + st.text);
		await page.waitForFunction((n) => ![...document.querySelectorAll('#key-list td[data-label=Name]')]
			.some((td) => td.textContent === n), {}, name);
		report('revoked', name);
		report('hygiene', await hygiene(page));
	},

	// control ID: a queued job's Hold, Release and Cancel (asked twice)
	// buttons in the list; prints the state the list shows after each
	async control(browser, id) {
		const page = await newPage(browser);
		await login(page);
		const after = async (label, done) => {
			await press(page, 'button[aria-label="' + label + '"]');
			await status(page, new RegExp('^Job ' + id.replace(/[[\]]/g, '\\$&') + ' ' + done));
			await page.waitForFunction((i, d) => [...document.querySelectorAll('#job-list tbody tr')]
				.some((tr) => tr.querySelector('td[data-label=Id]').textContent === i &&
					(d === 'held' ? /^held/.test(tr.querySelector('td[data-label=Reason]').textContent) :
						d === 'released' ? !/^held/.test(tr.querySelector('td[data-label=Reason]').textContent) :
							tr.querySelector('td[data-label=State]').textContent === 'cancelled')), {}, id, done);
			const row = await rowOf(page, '#job-list', id);
			report(done, row.State + ' ' + row.Reason);
		};
		await page.waitForSelector('button[aria-label="Hold job ' + id + '"]');
		await after('Hold job ' + id, 'held');
		await after('Release job ' + id, 'released');
		await press(page, 'button[aria-label="Cancel job ' + id + '"]');
		await after('Confirm: cancel job ' + id, 'cancelled');
		report('hygiene', await hygiene(page));
	},

	// admin: an administrator sees the admin link and view: its sections
	// and what each shows (a table, or the API's error said politely)
	async admin(browser) {
		const page = await newPage(browser);
		await login(page);
		report('admin-link', await page.$eval('#nav-admin', (e) => (e.hidden ? 'hidden' : 'shown')));
		await view(page, 'admin');
		await page.waitForNetworkIdle({idleTime: 300});
		for (const s of await page.$$eval('#view section', (l) => l.map((e) => ({
			title: e.querySelector('h2').textContent,
			shows: e.querySelector('table') ? 'table' : e.querySelector('.error') ?
				'error ' + e.querySelector('.error').textContent : e.querySelector('.empty') ? 'none' : '?',
		}))))
			report('section', s.title + ': ' + s.shows);
		await shot(page, 'admin');
		report('hygiene', await hygiene(page));
	},

	// adduser NAME PASSWORD: an administrator adds NAME from the admin
	// view's form; the status line says so and the users table lists it
	async adduser(browser, name, password) {
		const page = await newPage(browser);
		await login(page);
		await view(page, 'admin');
		await page.waitForSelector('#user-form');
		const err = await listed(page, '#admin-users');
		check(!err, 'the users table: ' + err);
		await page.type('#user-form input[name="name"]', name);
		await page.type('#user-form input[name="email"]', name + '@example.com');
		await page.type('#user-form input[name="password"]', password);
		await press(page, '#user-form button[type="submit"]');
		const st = await status(page, /^Added /);
		report('status', st.text + (st.error ? ' (error)' : ''));
		await page.waitForFunction((n) => [...document.querySelectorAll('#admin-users tbody td')]
			.some((td) => td.textContent === n), {timeout: 30000}, name);
		const row = await rowOf(page, '#admin-users', name);
		report('listed', row ? row.name + ' ' + row.email : 'no');
		await shot(page, 'admin-users');
		report('hygiene', await hygiene(page));
	},

	// mobile: every view at 375x667: no horizontal scroll, every control
	// named; screenshots of each
	async mobile(browser) {
		const page = await newPage(browser, 375, 667);
		await page.goto(BASE + '/', {waitUntil: 'load'});
		await page.waitForSelector('#login-form');
		await shot(page, 'mobile-login');
		await login(page);
		const admin = await page.$eval('#nav-admin', (e) => !e.hidden);
		for (const v of ['jobs', 'files', 'desktops', 'costs', 'account'].concat(admin ? ['admin'] : [])) {
			await view(page, v);
			await page.waitForNetworkIdle({idleTime: 300});
			const w = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
			report('width', v + ' ' + w[0] + ' ' + w[1]);
			report('unnamed', v + ' ' + JSON.stringify(await page.evaluate(() => {
				const bad = [];
				for (const el of document.querySelectorAll('input, select, textarea, button, a[href]')) {
					if (el.type === 'hidden' || el.closest('[hidden]'))
						continue;
					const named = el.getAttribute('aria-label') ||
						(el.labels && el.labels.length) ||
						(/^(BUTTON|A)$/.test(el.tagName) && el.textContent.trim());
					if (!named)
						bad.push(el.outerHTML.slice(0, 80));
				}
				return bad;
			})));
			await shot(page, 'mobile-' + v);
		}
		report('live', await page.$eval('#status', (e) => e.getAttribute('aria-live')));
		report('hygiene', await hygiene(page));
	},
};

main(flows);
