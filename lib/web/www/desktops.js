// desktops.js: the user's remote desktops: list, launch, connect,
// stop/start/hibernate, terminate, and the weekly schedule.

import {api, list, seg} from './api.js';
import {h, field, input, button, say, table, failed, confirmButton, section} from './dom.js';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

// a link for the API's session URL, only when it is http(s)
function safeLink(u, label) {
	try {
		const p = new URL(u, location.href);
		if (p.protocol === 'https:' || p.protocol === 'http:')
			return h('a', {href: p.href, target: '_blank', rel: 'noopener noreferrer'}, label);
	} catch (e) {
		// not a URL: shown as text below
	}
	return null;
}

async function connect(d, out) {
	try {
		const c = await api('GET', '/desktops/' + seg(d.name) + '/connect');
		const kids = [h('span', {}, d.name + ': ')];
		const link = c && c.url ? safeLink(c.url, 'Open the session in the browser') : null;
		if (link)
			kids.push(link);
		if (c && typeof c.dcv_file === 'string') {
			const blob = new Blob([c.dcv_file], {type: 'application/x-dcv'});
			kids.push(' ', h('a', {href: URL.createObjectURL(blob), download: d.name + '.dcv'},
				'Download the DCV file'));
		}
		out.replaceChildren(h('p', {}, kids));
	} catch (e) {
		out.replaceChildren(failed(e));
	}
}

function scheduleForm(d, done) {
	const tz = input('tz', {placeholder: 'Europe/Paris'});
	const days = DAYS.map((day) => input(day, {placeholder: 'off', pattern: '(off|all-day|[0-9]{2}:[0-9]{2}-[0-9]{2}:[0-9]{2})?'}));
	const put = async (b, what) => {
		try {
			await api('PUT', '/desktops/' + seg(d.name) + '/schedule', b);
			say('Schedule of ' + d.name + ' ' + what + '.');
			done();
		} catch (e) {
			say(d.name + ': ' + e.message, 'error');
		}
	};
	const f = h('form', {class: 'card schedule'},
		h('p', {}, 'Windows as HH:MM-HH:MM, all-day or off, in the time zone.'),
		field('Time zone', tz),
		h('div', {class: 'row'}, days.map((i, n) => field(DAYS[n], i))),
		h('div', {class: 'buttons'}, h('button', {type: 'submit'}, 'Save the schedule'),
			button('Clear the schedule', () => put({clear: true}, 'cleared')),
			button('Close', () => done())));
	f.addEventListener('submit', (ev) => {
		ev.preventDefault();
		const windows = {};
		DAYS.forEach((day, n) => {
			windows[day] = days[n].value.trim() || 'off';
		});
		const b = {windows};
		if (tz.value.trim())
			b.tz = tz.value.trim();
		put(b, 'saved');
	});
	return f;
}

function actions(d, out, reload) {
	const post = async (verb, done) => {
		try {
			await api('POST', '/desktops/' + seg(d.name) + '/' + verb, {});
			say('Desktop ' + d.name + ' ' + done + '.');
		} catch (e) {
			say(d.name + ': ' + e.message, 'error');
		}
		reload();
	};
	const lbl = (v) => ({'aria-label': v + ' ' + d.name});
	const b = [];
	if (d.state === 'running') {
		b.push(button('Connect', () => connect(d, out), lbl('Connect to')));
		b.push(button('Stop', () => post('stop', 'stopping'), lbl('Stop')));
		b.push(button('Hibernate', () => post('hibernate', 'hibernating'), lbl('Hibernate')));
	}
	if (d.state === 'stopped')
		b.push(button('Start', () => post('start', 'starting'), lbl('Start')));
	b.push(button('Schedule', () => out.replaceChildren(
		scheduleForm(d, () => {
			out.replaceChildren();
			reload();
		})), lbl('Schedule')));
	b.push(confirmButton('Terminate', async () => {
		try {
			await api('DELETE', '/desktops/' + seg(d.name));
			say('Desktop ' + d.name + ' terminated.');
		} catch (e) {
			say(d.name + ': ' + e.message, 'error');
		}
		reload();
	}, d.name));
	return h('span', {class: 'actions'}, b);
}

function launchForm(reload) {
	const f = h('form', {class: 'card', id: 'launch-form'},
		h('div', {class: 'row'},
			field('Name', input('name', {required: true})),
			field('Instance type', input('type', {placeholder: 'the site default'})),
			field('Image', input('image', {placeholder: 'the site default'})),
			field('Root volume (GiB)', input('root_size', {type: 'number', min: 1, inputmode: 'numeric'})),
			field('Project', input('project'))),
		h('div', {class: 'check'}, h('input', {type: 'checkbox', name: 'hibernate', id: 'launch-hibernate'}),
			h('label', {for: 'launch-hibernate'}, 'Allow hibernation')),
		h('button', {type: 'submit'}, 'Launch'));
	f.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const e = f.elements;
		const b = {name: e.name.value.trim()};
		for (const k of ['type', 'image', 'project'])
			if (e[k].value.trim())
				b[k] = e[k].value.trim();
		if (e.root_size.value !== '')
			b.root_size = Number(e.root_size.value);
		if (e.hibernate.checked)
			b.hibernate = true;
		try {
			await api('POST', '/desktops', b);
			say('Desktop ' + b.name + ' launched.');
			f.reset();
		} catch (err) {
			say('Not launched: ' + err.message, 'error');
		}
		reload();
	});
	return f;
}

export async function desktops(main) {
	const box = h('div', {id: 'desktop-list'});
	const out = h('div', {id: 'desktop-detail', 'aria-live': 'polite'});
	async function reload() {
		try {
			const rows = await list('/desktops');
			box.replaceChildren(table([
				{label: 'Name', get: (d) => d.name},
				{label: 'State', get: (d) => d.state},
				{label: 'Type', get: (d) => d.type},
				{label: 'Image', get: (d) => d.image},
				{label: 'Project', get: (d) => d.project},
				{label: 'Schedule', get: (d) => d.schedule},
				{label: 'Actions', get: (d) => actions(d, out, reload)},
			], rows, 'Desktops'));
		} catch (e) {
			box.replaceChildren(failed(e));
		}
	}
	main.append(section('My desktops', box, out), section('Launch a desktop', launchForm(reload)));
	await reload();
}
