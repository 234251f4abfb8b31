// app.js: the page's entry. Hash routes (#/jobs, #/jobs/12, #/files/a/b,
// #/desktops, #/costs, #/account, #/admin, #/login) pick a view; a view
// is a function (main, ctx) that fills main and may return a cleanup (a
// live refresh to stop). Who is logged in comes from GET /api/me on every
// page load; the admin link shows only when /api/me says admin (the API
// checks again on every admin request anyway).

import {api, onUnauthorized} from './api.js';
import {h, say} from './dom.js';
import {login} from './login.js';
import {jobs, job} from './jobs.js';
import {files} from './files.js';
import {desktops} from './desktops.js';
import {costs} from './costs.js';
import {account} from './account.js';
import {admin} from './admin.js';

const views = {login, jobs, job, files, desktops, costs, account, admin};
const titles = {login: 'Log in', jobs: 'Jobs', job: 'Job', files: 'Files',
	desktops: 'Desktops', costs: 'Costs', account: 'My account', admin: 'Administration'};

const ctx = {me: null, go, refreshMe};
let cleanup = null;
let generation = 0;

export function go(route) {
	if (location.hash === '#/' + route)
		show();
	else
		location.hash = '#/' + route;
}

async function refreshMe() {
	try {
		ctx.me = await api('GET', '/me', undefined, {login: true});
	} catch (e) {
		ctx.me = null;
		if (e.status !== 401)
			say(e, 'error');
	}
	header();
	return ctx.me;
}

function header() {
	const me = ctx.me;
	document.getElementById('nav').hidden = !me;
	document.getElementById('logout').hidden = !me;
	document.getElementById('nav-admin').hidden = !(me && me.admin);
	document.getElementById('who').textContent = me ? me.user : '';
}

function parse() {
	const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean)
		.map((p) => {
			try {
				return decodeURIComponent(p);
			} catch (e) {
				return p;
			}
		});
	let name = parts.shift() || 'jobs';
	if (name === 'jobs' && parts.length)
		name = 'job';
	return {name, args: parts};
}

async function show() {
	const gen = ++generation;
	if (cleanup) {
		cleanup();
		cleanup = null;
	}
	let {name, args} = parse();
	if (!views[name])
		name = 'jobs';
	if (name !== 'login' && !ctx.me && !(await refreshMe())) {
		if (gen === generation)
			go('login');
		return;
	}
	if (gen !== generation)
		return;
	for (const a of document.querySelectorAll('#nav a'))
		a.toggleAttribute('aria-current', a.getAttribute('href') === '#/' + name.replace(/^job$/, 'jobs'));
	const main = document.getElementById('view');
	const heading = h('h1', {tabindex: '-1'}, titles[name]);
	main.replaceChildren(heading);
	document.title = titles[name] + ' \u2013 soca';
	const r = await views[name](main, Object.assign({args}, ctx));
	if (gen !== generation) {
		if (typeof r === 'function')
			r();
		return;
	}
	cleanup = typeof r === 'function' ? r : null;
	if (document.activeElement === document.body || !main.contains(document.activeElement))
		heading.focus();
}

onUnauthorized(() => {
	ctx.me = null;
	header();
	if (!location.hash.startsWith('#/login')) {
		say('Your session has ended; please log in again.', 'error');
		go('login');
	}
});

document.getElementById('logout').addEventListener('click', async () => {
	try {
		await api('POST', '/logout', {});
	} catch (e) {
		// the session may already be gone: the page forgets it all the same
	}
	ctx.me = null;
	header();
	say('Logged out.');
	go('login');
});

window.addEventListener('hashchange', show);
show();
