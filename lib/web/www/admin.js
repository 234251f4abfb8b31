// admin.js: the administrators' view: users (add, lock/unlock, admin
// grant/revoke, password reset, delete), groups (add, delete, members),
// queues and budgets. Shown only when /api/me says admin; the API checks
// the admin group again on every request, so this is convenience only.

import {api, list, seg} from './api.js';
import {h, field, input, button, say, table, autoCols, section, failed,
	confirmButton} from './dom.js';

// run an admin action, say what happened, reload the section
async function act(label, fn, reload) {
	try {
		await fn();
		say(label + '.');
	} catch (e) {
		say(label + ': ' + e.message, 'error');
	}
	reload();
}

function passwordForm(u, reload, out) {
	const pw = input('password', {type: 'password', autocomplete: 'new-password', required: true});
	const f = h('form', {class: 'card'}, field('New password for ' + u, pw),
		h('button', {type: 'submit'}, 'Set the password'), button('Close', () => out.replaceChildren()));
	f.addEventListener('submit', (ev) => {
		ev.preventDefault();
		act('Password of ' + u + ' set', () => api('POST', '/users/' + seg(u) + '/password',
			{password: pw.value}), reload);
		out.replaceChildren();
	});
	return f;
}

function users() {
	const box = h('div', {id: 'admin-users'});
	const out = h('div', {'aria-live': 'polite'});
	const post = (u, verb) => () => api('POST', '/users/' + seg(u) + '/' + verb, {});
	async function reload() {
		try {
			const rows = await list('/users');
			const cols = autoCols(rows, ['name', 'uid', 'email']);
			cols.push({label: 'Actions', get: (r) => h('span', {class: 'actions'},
				button(r.locked ? 'Unlock' : 'Lock', () => act((r.locked ? 'Unlocked ' : 'Locked ') + r.name,
					post(r.name, r.locked ? 'unlock' : 'lock'), reload), {'aria-label': (r.locked ? 'Unlock ' : 'Lock ') + r.name}),
				button(r.admin ? 'Revoke admin' : 'Make admin', () => act('Admin rights of ' + r.name + ' changed',
					post(r.name, r.admin ? 'unadmin' : 'admin'), reload), {'aria-label': (r.admin ? 'Revoke admin of ' : 'Make admin ') + r.name}),
				button('Password', () => out.replaceChildren(passwordForm(r.name, reload, out)),
					{'aria-label': 'Set the password of ' + r.name}),
				confirmButton('Delete', () => act('Deleted ' + r.name,
					() => api('DELETE', '/users/' + seg(r.name)), reload), r.name))});
			box.replaceChildren(table(cols, rows, 'Users'));
		} catch (e) {
			box.replaceChildren(failed(e));
		}
	}
	const f = h('form', {class: 'card', id: 'user-form'},
		h('div', {class: 'row'},
			field('User name', input('name', {required: true, autocomplete: 'off'})),
			field('Email', input('email', {type: 'email', autocomplete: 'off'})),
			field('Password', input('password', {type: 'password', autocomplete: 'new-password'}))),
		h('div', {class: 'check'}, h('input', {type: 'checkbox', name: 'admin', id: 'user-admin'}),
			h('label', {for: 'user-admin'}, 'Administrator')),
		h('button', {type: 'submit'}, 'Add the user'));
	f.addEventListener('submit', (ev) => {
		ev.preventDefault();
		const e = f.elements;
		const b = {name: e.name.value.trim(), admin: e.admin.checked};
		if (e.email.value)
			b.email = e.email.value;
		if (e.password.value)
			b.password = e.password.value;
		act('Added ' + b.name, async () => {
			await api('POST', '/users', b);
			f.reset();
		}, reload);
	});
	reload();
	return section('Users', f, out, box);
}

function groups() {
	const box = h('div', {id: 'admin-groups'});
	async function reload() {
		try {
			const rows = (await list('/groups')).map((g) => Object.assign({}, g,
				{members: (g.members || []).join(', ')}));
			const cols = autoCols(rows, ['name', 'gid', 'members']);
			cols.push({label: 'Actions', get: (g) => {
				const who = input('member', {'aria-label': 'User to add to or remove from ' + g.name});
				const member = (method, done) => () => who.value && act(done + ' ' + who.value,
					() => api(method, '/groups/' + seg(g.name) + '/members/' + seg(who.value),
						method === 'PUT' ? {} : undefined), reload);
				return h('span', {class: 'actions'}, who,
					button('Add member', member('PUT', 'Added to ' + g.name + ':'),
						{'aria-label': 'Add the user to ' + g.name}),
					button('Remove member', member('DELETE', 'Removed from ' + g.name + ':'),
						{'aria-label': 'Remove the user from ' + g.name}),
					confirmButton('Delete', () => act('Deleted ' + g.name,
						() => api('DELETE', '/groups/' + seg(g.name)), reload), 'group ' + g.name));
			}});
			box.replaceChildren(table(cols, rows, 'Groups'));
		} catch (e) {
			box.replaceChildren(failed(e));
		}
	}
	const name = input('name', {required: true});
	const f = h('form', {class: 'card', id: 'group-form'}, field('Group name', name),
		h('button', {type: 'submit'}, 'Add the group'));
	f.addEventListener('submit', (ev) => {
		ev.preventDefault();
		act('Added ' + name.value, async () => {
			await api('POST', '/groups', {name: name.value.trim()});
			name.value = '';
		}, reload);
	});
	reload();
	return section('Groups', f, box);
}

function readOnly(title, path, first) {
	const box = h('div', {});
	list(path).then((rows) => box.replaceChildren(table(autoCols(rows, first), rows, title)))
		.catch((e) => box.replaceChildren(failed(e)));
	return section(title, box);
}

export function admin(main, ctx) {
	if (!ctx.me.admin) {
		main.append(h('p', {class: 'error'}, 'This page is for administrators.'));
		return;
	}
	main.append(users(), groups(),
		readOnly('Queues', '/queues', ['name']),
		readOnly('Budgets', '/budgets', ['project', 'spent', 'limit']));
}
