// account.js: who I am (GET /api/me) and my API keys: create (the token
// is shown once, here, and never again), list, revoke.

import {api, list, seg} from './api.js';
import {h, field, input, button, say, table, text, section, failed, confirmButton} from './dom.js';

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
		section('API keys', form, created, keys));
	await reload();
}
