// login.js: the login form (the LDAP user name and password, POST
// /api/login); on success the API sets the session cookie and the page
// goes to the jobs.

import {api} from './api.js';
import {h, field, input, say} from './dom.js';

export function login(main, ctx) {
	const user = input('user', {autocomplete: 'username', required: true,
		autocapitalize: 'none', spellcheck: 'false'});
	const pass = input('password', {type: 'password', autocomplete: 'current-password', required: true});
	const submit = h('button', {type: 'submit'}, 'Log in');
	const form = h('form', {class: 'card', id: 'login-form'},
		field('User name', user), field('Password', pass), submit);
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		submit.disabled = true;
		try {
			await api('POST', '/login', {user: user.value, password: pass.value}, {login: true});
			pass.value = '';
			await ctx.refreshMe();
			say('Logged in as ' + (ctx.me ? ctx.me.user : user.value) + '.');
			ctx.go('jobs');
		} catch (e) {
			pass.value = '';
			let msg = e.status === 401 ? 'Wrong user name or password.' : e.message;
			if (e.status === 429 && e.retryAfter)
				msg += ' (try again in ' + e.retryAfter + ' s)';
			say(msg, 'error');
			pass.focus();
		} finally {
			submit.disabled = false;
		}
	});
	main.append(form);
	user.focus();
}
