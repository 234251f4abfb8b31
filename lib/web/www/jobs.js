// jobs.js: the jobs view (a submit form: a script or an administrator's
// application profile's form; the list refreshed every few seconds,
// cancel/hold/release) and one job's details with its output.

import {api, list, seg, url} from './api.js';
import {h, field, input, select, button, say, table, text, when, section,
	failed, confirmButton} from './dom.js';

const REFRESH_MS = 4000;
const ACTIVE = ['queued', 'provisioning', 'running', 'begun'];

const isHeld = (j) => j.state === 'queued' && /^held/.test(j.reason || '');
const jobLink = (id) => h('a', {href: '#/jobs/' + seg(id)}, String(id));

// cancel, hold, release: the buttons a job's state allows
function actions(j, after) {
	const id = String(j.id);
	const act = async (method, path, done) => {
		try {
			await api(method, '/jobs/' + seg(id) + path, method === 'DELETE' ? undefined : {});
			say('Job ' + id + ' ' + done + '.');
		} catch (e) {
			say('Job ' + id + ': ' + e.message, 'error');
		}
		after();
	};
	const out = [];
	if (isHeld(j))
		out.push(button('Release', () => act('POST', '/release', 'released'),
			{'aria-label': 'Release job ' + id}));
	else if (j.state === 'queued')
		out.push(button('Hold', () => act('POST', '/hold', 'held'),
			{'aria-label': 'Hold job ' + id}));
	if (ACTIVE.includes(j.state)) {
		out.push(confirmButton('Cancel', () => act('DELETE', '', 'cancelled'), 'job ' + id));
	}
	return h('span', {class: 'actions'}, out);
}

// the submit form's fields as the API's body; empty fields are left out
function body(form) {
	const f = form.elements;
	const b = {script: f.script.value};
	for (const k of ['name', 'queue', 'project', 'interpreter'])
		if (f[k].value.trim())
			b[k] = f[k].value.trim();
	const r = {};
	if (f.walltime.value.trim())
		r.walltime = f.walltime.value.trim();
	if (f.instance_type.value.trim())
		r.instance_type = f.instance_type.value.trim();
	for (const k of ['nodes', 'ncpus'])
		if (f[k].value !== '')
			r[k] = Number(f[k].value);
	if (Object.keys(r).length)
		b.resources = r;
	if (f.hold.checked)
		b.hold = true;
	return b;
}

function submitForm(onSubmitted) {
	const queue = h('input', {name: 'queue', list: 'queue-names', autocomplete: 'off'});
	const queues = h('datalist', {id: 'queue-names'});
	const interps = h('datalist', {id: 'interpreter-names'});
	// the queues' names and allowed interpreters, as suggestions
	list('/queues').then((qs) => {
		queues.replaceChildren(...qs.map((q) => h('option', {value: String(q.name)})));
		const all = new Set(qs.flatMap((q) => (Array.isArray(q.interpreters) ? q.interpreters : [])));
		interps.replaceChildren(...[...all].map((i) => h('option', {value: String(i)})));
	}).catch(() => {});
	const script = h('textarea', {name: 'script', rows: 6, required: true,
		spellcheck: 'false'}, '#!/bin/bash\n');
	const file = h('input', {type: 'file', name: 'scriptfile'});
	file.addEventListener('change', async () => {
		if (file.files[0])
			script.value = await file.files[0].text();
	});
	const result = h('div', {class: 'result', 'aria-live': 'polite'});
	const form = h('form', {class: 'card', id: 'submit-form'},
		field('Script', script),
		field('Or load the script from a file', file),
		h('div', {class: 'row'},
			field('Name', input('name')),
			field('Queue', queue), queues,
			field('Project', input('project')),
			field('Interpreter', input('interpreter', {list: 'interpreter-names',
				placeholder: 'the queue\u2019s default', autocomplete: 'off'})), interps),
		h('div', {class: 'row'},
			field('Walltime', input('walltime', {placeholder: '1:00:00'})),
			field('Nodes', input('nodes', {type: 'number', min: 1, inputmode: 'numeric'})),
			field('CPUs per node', input('ncpus', {type: 'number', min: 1, inputmode: 'numeric'})),
			field('Instance type', input('instance_type', {placeholder: 'c5.large'}))),
		h('div', {class: 'check'}, h('input', {type: 'checkbox', name: 'hold', id: 'submit-hold'}),
			h('label', {for: 'submit-hold'}, 'Hold the job after submitting')),
		h('div', {class: 'buttons'},
			h('button', {type: 'submit'}, 'Submit'),
			button('Estimate the cost', async () => {
				try {
					const e = await api('POST', '/estimate', body(form));
					result.replaceChildren(h('pre', {}, JSON.stringify(e, null, 2)));
				} catch (err) {
					result.replaceChildren(failed(err));
				}
			})),
		result);
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		try {
			const r = await api('POST', '/jobs', body(form));
			say('Job ' + r.id + ' submitted.');
			result.replaceChildren(h('p', {}, 'Submitted: job ', jobLink(r.id), '.'));
			onSubmitted();
		} catch (err) {
			say('Not submitted: ' + err.message, 'error');
		}
	});
	return form;
}

// one application profile's field as a labelled control
function appInput(f) {
	const a = {name: 'p-' + f.name, required: f.required === true};
	let el;
	if (f.type === 'choice') {
		const opts = (Array.isArray(f.choices) ? f.choices : []).map(String);
		el = select(a.name, f.required === true || f.default !== undefined ? opts : [['', '(none)'], ...opts],
			f.default === undefined ? undefined : String(f.default));
		el.required = a.required;
	} else if (f.type === 'int' || f.type === 'number') {
		el = input(a.name, Object.assign(a, {type: 'number', inputmode: f.type === 'int' ? 'numeric' : 'decimal',
			step: f.type === 'int' ? 1 : 'any', min: f.min, max: f.max}));
	} else {
		el = input(a.name, Object.assign(a, {maxlength: f.type === 'string' ? 256 : 4095,
			placeholder: f.type === 'path' ? 'relative to your home' : undefined}));
		if (f.type === 'string' && typeof f.pattern === 'string')
			el.setAttribute('pattern', f.pattern);
	}
	if (f.default !== undefined && f.type !== 'choice')
		el.value = String(f.default);
	const hint = f.type === 'int' || f.type === 'number' ?
		[f.min !== undefined ? 'from ' + f.min : '', f.max !== undefined ? 'to ' + f.max : ''].join(' ').trim() :
		f.type === 'path' ? 'a path in your home' : '';
	return field(text(f.label || f.name), el, hint || undefined);
}

// an application profile's form: its fields, then name, project, hold
function appForm(app, onSubmitted) {
	const fields = Array.isArray(app.fields) ? app.fields : [];
	const result = h('div', {class: 'result', 'aria-live': 'polite'});
	const form = h('form', {class: 'card', id: 'app-form'},
		app.description ? h('p', {class: 'description'}, text(app.description)) : null,
		h('div', {class: 'row'}, fields.map(appInput)),
		h('div', {class: 'row'},
			field('Name', input('name', {placeholder: String(app.name)})),
			field('Project', input('project'))),
		h('div', {class: 'check'}, h('input', {type: 'checkbox', name: 'hold', id: 'app-hold'}),
			h('label', {for: 'app-hold'}, 'Hold the job after submitting')),
		h('div', {class: 'buttons'}, h('button', {type: 'submit'}, 'Submit')),
		result);
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const e = form.elements;
		const b = {application: String(app.name), parameters: {}};
		for (const f of fields) {
			const v = e['p-' + f.name].value;
			if (v !== '')
				b.parameters[f.name] = (f.type === 'int' || f.type === 'number') ? Number(v) : v;
		}
		for (const k of ['name', 'project'])
			if (e[k].value.trim())
				b[k] = e[k].value.trim();
		if (e.hold.checked)
			b.hold = true;
		try {
			const r = await api('POST', '/jobs', b);
			say('Job ' + r.id + ' submitted.');
			result.replaceChildren(h('p', {}, 'Submitted: job ', jobLink(r.id), '.'));
			onSubmitted();
		} catch (err) {
			say('Not submitted: ' + err.message, 'error');
			result.replaceChildren(failed(err));
		}
	});
	return form;
}

// "Submit from": a script, or one of the application profiles
function submitBox(onSubmitted) {
	const from = select('from', [['', 'Script']]);
	from.id = 'submit-from';
	const slot = h('div', {});
	const scriptForm = submitForm(onSubmitted);
	let apps = [];
	slot.replaceChildren(scriptForm);
	list('/applications').then((a) => {
		apps = Array.isArray(a) ? a : [];
		from.append(...apps.map((p) => h('option', {value: String(p.name)}, text(p.label || p.name))));
	}).catch(() => {});
	from.addEventListener('change', () => {
		const app = apps.find((p) => String(p.name) === from.value);
		slot.replaceChildren(app ? appForm(app, onSubmitted) : scriptForm);
	});
	return h('div', {}, field('Submit from', from), slot);
}

export function jobs(main, ctx) {
	const box = h('div', {id: 'job-list', tabindex: '-1'});
	const updated = h('small', {class: 'updated'});
	const state = select('state', [['', 'any state'], 'queued', 'provisioning',
		'running', 'done', 'failed', 'cancelled']);
	const mine = h('input', {type: 'checkbox', id: 'jobs-mine', checked: true});
	const hist = h('input', {type: 'checkbox', id: 'jobs-history', checked: true});
	let busy = false;
	// the timer leaves the table alone while the keyboard is in it (a
	// rebuilt table would lose the focus); an action rebuilds it at once
	async function refresh(force) {
		const inside = box.contains(document.activeElement);
		if (busy || (inside && force !== true))
			return;
		busy = true;
		try {
			const rows = await list('/jobs', {state: state.value,
				user: mine.checked ? ctx.me.user : '', history: hist.checked ? 1 : ''});
			box.replaceChildren(table([
				{label: 'Id', get: (j) => jobLink(j.id)},
				{label: 'Name', get: (j) => j.name},
				{label: 'User', get: (j) => j.user},
				{label: 'Queue', get: (j) => j.queue},
				{label: 'State', get: (j) => h('span', {class: 'state state-' + text(j.state)}, text(j.state))},
				{label: 'Elapsed', get: (j) => j.elapsed},
				{label: 'Exit', get: (j) => j.exit},
				{label: 'Reason', get: (j) => j.reason},
				{label: 'Actions', get: (j) => actions(j, () => refresh(true))},
			], rows, 'Jobs'));
			updated.textContent = 'Updated ' + new Date().toLocaleTimeString();
			if (inside)
				box.focus();
		} catch (e) {
			box.replaceChildren(failed(e));
		} finally {
			busy = false;
		}
	}
	for (const c of [state, mine, hist])
		c.addEventListener('change', () => refresh(true));
	main.append(
		section('My jobs',
			h('div', {class: 'row filters'}, field('State', state),
				h('div', {class: 'check'}, mine, h('label', {for: 'jobs-mine'}, 'Only mine')),
				h('div', {class: 'check'}, hist, h('label', {for: 'jobs-history'}, 'Include finished'))),
			box, updated),
		section('Submit a job', submitBox(() => refresh(true))));
	refresh(true);
	const timer = setInterval(refresh, REFRESH_MS);
	return () => clearInterval(timer);
}

function outputBox(id, which) {
	const pre = h('pre', {class: 'output', id: 'output-' + which, tabindex: 0});
	const href = url('/jobs/' + seg(id) + '/output/' + which);
	return h('div', {},
		h('h3', {}, which),
		h('div', {class: 'buttons'},
			h('button', {type: 'button', id: 'show-' + which, onclick: async () => {
				try {
					pre.textContent = await api('GET', '/jobs/' + seg(id) + '/output/' + which,
						undefined, {text: true});
				} catch (e) {
					pre.textContent = e.message;
				}
			}}, 'Show ' + which),
			h('a', {href, download: 'job-' + id + '.' + which, class: 'button',
				id: 'download-' + which}, 'Download ' + which)),
		pre);
}

export async function job(main, ctx) {
	const id = ctx.args[0];
	main.querySelector('h1').textContent = 'Job ' + id;
	const box = h('div', {});
	main.append(h('p', {}, h('a', {href: '#/jobs'}, 'Back to the jobs')), box);
	async function load() {
		let j;
		try {
			j = await api('GET', '/jobs/' + seg(id));
		} catch (e) {
			box.replaceChildren(failed(e));
			return;
		}
		const dl = h('dl', {class: 'fields'});
		for (const [k, v] of Object.entries(j || {}))
			dl.append(h('dt', {}, k), h('dd', {},
				['submit', 'start', 'end'].includes(k) ? when(v) : text(v)));
		box.replaceChildren(
			h('div', {class: 'buttons'}, actions(j, load)),
			dl,
			section('Output', outputBox(id, 'stdout'), outputBox(id, 'stderr')));
	}
	await load();
}
