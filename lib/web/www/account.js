// account.js: who I am (GET /api/me), my password (POST /api/me/password:
// old, new and the new one again), my SSH key (GET /api/me/ssh-key, once;
// again only when asked twice) and my API keys: create (the token is shown
// once, here, and never again), list, revoke.

import {api, list, seg} from './api.js';
import {h, field, input, button, say, table, text, section, failed, confirmButton} from './dom.js';

function passwordForm() {
	const pw = (name, auto) => h('input', {name, type: 'password', autocomplete: auto,
		required: true, maxlength: 1024});
	const old = pw('old', 'current-password');
	const next = pw('new', 'new-password');
	const again = pw('again', 'new-password');
	const form = h('form', {class: 'card', id: 'password-form'},
		field('Current password', old),
		field('New password', next, 'without your user name; the site sets its minimum length'),
		field('New password again', again),
		h('button', {type: 'submit'}, 'Change the password'));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		if (next.value !== again.value) {
			say('The new password and its repetition differ: nothing changed.', 'error');
			again.focus();
			return;
		}
		try {
			await api('POST', '/me/password', {old: old.value, new: next.value});
			form.reset();
			say('Password changed. Your other sessions have been logged out.');
		} catch (e) {
			say('Password not changed: ' + e.message, 'error');
		}
	});
	return form;
}

// the key comes as bytes; the browser saves it from a blob: link
function keyDownload() {
	const out = h('div', {id: 'ssh-key-out'});
	async function fetchKey(again) {
		try {
			const key = await api('GET', '/me/ssh-key', undefined,
				{text: true, query: again ? {again: 1} : undefined});
			const a = h('a', {href: URL.createObjectURL(new Blob([key],
				{type: 'application/octet-stream'})), download: 'id_soca', id: 'ssh-key-link'},
			'Save the key again');
			out.replaceChildren(h('p', {}, 'Your private key is downloading. Keep it private (chmod 600). ', a));
			a.click();
			say('SSH key downloaded.');
		} catch (e) {
			say('No key: ' + e.message, 'error');
			out.replaceChildren(e.status === 409 ? h('p', {},
				confirmButton('Download it once more', () => fetchKey(true), 'my SSH key')) : failed(e));
		}
	}
	return h('div', {class: 'card'},
		h('p', {}, 'Your private SSH key, to log in to the cluster with ssh. It can be downloaded once.'),
		button('Download my SSH key', () => fetchKey(false), {id: 'ssh-key-button'}), out);
}

export async function account(main, ctx) {
	const me = ctx.me;
	const keys = h('div', {id: 'key-list'});
	const created = h('div', {id: 'key-created', 'aria-live': 'polite'});
	async function reload() {
		try {
			keys.replaceChildren(table([
				{label: 'Name', get: (k) => k.name},
				{label: 'Id', get: (k) => k.id},
				{label: 'Created', get: (k) => k.created},
				{label: 'Last used', get: (k) => k.last_used},
				{label: 'Actions', get: (k) => confirmButton('Revoke', async () => {
					try {
						await api('DELETE', '/keys/' + seg(k.id));
						say('Key ' + k.name + ' revoked.');
					} catch (e) {
						say(k.name + ': ' + e.message, 'error');
					}
					reload();
				}, 'key ' + k.name)},
			], await list('/keys'), 'API keys'));
		} catch (e) {
			keys.replaceChildren(failed(e));
		}
	}
	const name = input('name', {required: true});
	const form = h('form', {class: 'card', id: 'key-form'},
		field('Name of a new key', name, 'e.g. the script or machine that will use it'),
		h('button', {type: 'submit'}, 'Create a key'));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		try {
			const k = await api('POST', '/keys', {name: name.value});
			const tok = h('input', {type: 'text', readonly: true, value: k.token, id: 'key-token',
				class: 'token', spellcheck: 'false'});
			created.replaceChildren(h('div', {class: 'card notice'},
				h('p', {}, 'The key\u2019s token, shown this once: copy it now.'),
				field('Token of ' + k.name, tok),
				button('Copy', async () => {
					tok.select();
					try {
						await navigator.clipboard.writeText(tok.value);
						say('Copied.');
					} catch (e) {
						say('Select the token and copy it.', 'error');
					}
				}),
				h('p', {}, 'Send it as: Authorization: Bearer <token>')));
			form.reset();
			say('Key ' + k.name + ' created.');
			tok.focus();
			tok.select();
		} catch (e) {
			say('No key created: ' + e.message, 'error');
		}
		reload();
	});
	main.append(
		section('Me', h('dl', {class: 'fields'},
			h('dt', {}, 'User'), h('dd', {}, text(me.user)),
			h('dt', {}, 'Uid'), h('dd', {}, text(me.uid)),
			h('dt', {}, 'Groups'), h('dd', {}, text(me.groups)),
			h('dt', {}, 'Administrator'), h('dd', {}, me.admin ? 'yes' : 'no'))),
		section('Password', passwordForm()),
		section('SSH key', keyDownload()),
		section('API keys', form, created, keys));
	await reload();
}
