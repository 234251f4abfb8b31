// files.js: the file browser, inside the user's home (#/files/dir/sub):
// list, download, upload, new folder, rename, delete. Paths are relative
// to the home; the API refuses anything leaving it and acts as the user.

import {api, list, seg, url} from './api.js';
import {h, field, input, button, say, table, failed, confirmButton} from './dom.js';

const join = (dir, name) => (dir ? dir + '/' + name : name);
const route = (p) => '#/files' + (p ? '/' + p.split('/').map(seg).join('/') : '');
const q = (p) => (p ? {path: p} : {});

function size(n) {
	if (typeof n !== 'number')
		return '';
	const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let i = 0;
	while (n >= 1024 && i < u.length - 1) {
		n /= 1024;
		i++;
	}
	return (i ? n.toFixed(1) : String(n)) + ' ' + u[i];
}

// the rename form of one entry, shown in place of its actions
function renameForm(dir, e, done) {
	const to = input('to', {value: e.name, 'aria-label': 'New name for ' + e.name, required: true});
	const f = h('form', {class: 'inline'}, to,
		h('button', {type: 'submit'}, 'Rename'),
		button('Cancel', () => done(false)));
	f.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		try {
			await api('POST', '/files/rename', {from: join(dir, e.name), to: join(dir, to.value)});
			say('Renamed ' + e.name + ' to ' + to.value + '.');
			done(true);
		} catch (err) {
			say(e.name + ': ' + err.message, 'error');
		}
	});
	setTimeout(() => to.focus());
	return f;
}

function entryActions(dir, e, reload) {
	const cell = h('span', {class: 'actions'});
	const normal = () => cell.replaceChildren(
		button('Rename', () => cell.replaceChildren(
			renameForm(dir, e, (changed) => (changed ? reload() : normal()))),
		{'aria-label': 'Rename ' + e.name}),
		confirmButton('Delete', async () => {
			try {
				await api('DELETE', '/files', undefined, {query: {path: join(dir, e.name)}});
				say('Deleted ' + e.name + '.');
			} catch (err) {
				say(e.name + ': ' + err.message, 'error');
			}
			reload();
		}, e.name));
	normal();
	return cell;
}

function nameCell(dir, e) {
	const p = join(dir, e.name);
	if (e.type === 'dir')
		return h('a', {href: route(p)}, e.name + '/');
	if (e.type === 'file')
		return h('a', {href: url('/files', {path: p}), download: e.name}, e.name);
	return e.name;
}

function breadcrumbs(dir) {
	const parts = dir ? dir.split('/') : [];
	const out = [h('a', {href: route('')}, 'home')];
	parts.forEach((p, i) => out.push(' / ', h('a', {href: route(parts.slice(0, i + 1).join('/'))}, p)));
	return h('nav', {class: 'crumbs', 'aria-label': 'Folder'}, out);
}

function uploadForm(dir, reload) {
	const file = h('input', {type: 'file', name: 'upload', required: true, multiple: true});
	const f = h('form', {class: 'card', id: 'upload-form'},
		field('Upload files here', file),
		h('button', {type: 'submit'}, 'Upload'));
	f.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		for (const one of file.files) {
			try {
				await api('PUT', '/files', undefined, {query: {path: join(dir, one.name)}, raw: one});
				say('Uploaded ' + one.name + '.');
			} catch (err) {
				say(one.name + ': ' + err.message, 'error');
			}
		}
		f.reset();
		reload();
	});
	return f;
}

function mkdirForm(dir, reload) {
	const name = input('folder', {required: true});
	const f = h('form', {class: 'card', id: 'mkdir-form'},
		field('New folder', name), h('button', {type: 'submit'}, 'Create'));
	f.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		try {
			await api('POST', '/files/mkdir', {path: join(dir, name.value)});
			say('Created ' + name.value + '.');
			f.reset();
		} catch (err) {
			say(name.value + ': ' + err.message, 'error');
		}
		reload();
	});
	return f;
}

export async function files(main, ctx) {
	const dir = ctx.args.join('/');
	const box = h('div', {id: 'file-list'});
	async function reload() {
		try {
			const rows = await list('/files', q(dir));
			box.replaceChildren(table([
				{label: 'Name', get: (e) => nameCell(dir, e)},
				{label: 'Type', get: (e) => e.type},
				{label: 'Size', get: (e) => (e.type === 'file' ? size(e.size) : '')},
				{label: 'Modified', get: (e) => e.mtime},
				{label: 'Actions', get: (e) => entryActions(dir, e, reload)},
			], rows, 'Files'));
		} catch (e) {
			box.replaceChildren(failed(e));
		}
	}
	main.append(breadcrumbs(dir), box,
		h('div', {class: 'row'}, uploadForm(dir, reload), mkdirForm(dir, reload)));
	await reload();
}
