// The profile screen: a modal opened from the header's "Profile: <name>" button. Lists the
// profiles (the Demo tenant is built in), creates and edits them (fields per backend, advanced
// URLs, device-contract names and concurrency), switches, removes, signs in with a device code
// or a service principal, stores secrets in the OS keychain, and shows who is signed in with
// which role.
//
// Secrets (client secret, IoT Hub connection string) are typed into password fields, sent once
// to the shell and cleared from the DOM at once; the screen only ever shows whether the
// keychain holds one (`hasClientSecret`, `hasIothubConnectionString`).

import { call, toBackendError } from './backend.js';
import { createModal } from './dialog.js';
import { announce, copyText, el, setAttr, setText } from './dom.js';
import { getLanguage, t, tn } from './i18n.js';
import { ADVANCED_FIELDS, CONTRACT_FIELDS, PROFILE_FIELDS, clock, describeSession, newProfile, profileForSave, profileProblems, secondsLeft } from './logic.js';
import { errorNotice, errorParts, roleText } from './widgets.js';

/** Every backend-specific field of the editor, in the order it shows them. */
const EDITOR_FIELDS = Object.freeze([
  'tenantId', 'sphereTenantId', 'subscriptionId', 'resourceGroup', 'catalog',
  'clientId', 'servicePrincipalClientId', 'iothubHost', 'iothubAuth',
]);

/**
 * Mounts the profile screen. `onSession(session, list)` tells app.js who is signed in after
 * any change; `confirm(options)` asks before removing a profile.
 * Returns `{ open({ signIn }), update(view) }`.
 */
export function mountProfileScreen({ onSession, confirm, openMigration }) {
  const local = {
    list: null,
    session: null,
    editing: null, // a profile object being edited, or null
    isNew: false,
    busy: null, // what is running: 'save' | 'activate' | 'signin' | 'sp' | 'secret:…' | 'remove'
    error: null,
    problems: [],
    device: null, // { userCode, verificationUri, message, expiresAt }
    saved: null, // message key after a save
    retirement: null, // { retiresOn, daysLeft } of the legacy API (issue 14)
  };

  const title = el('h2', { className: 'modal-title', attrs: { id: 'profile-title' } });
  const close = el('button', { className: 'button subtle small', testid: 'profile-close', attrs: { type: 'button' }, on: { click: () => hide() } });
  const modal = createModal({ className: 'profile-modal', labelledBy: 'profile-title', testid: 'profile-dialog', onClose: () => hide() });
  const error = errorNotice({ signIn: () => startSignIn() });

  // Who is signed in.
  const sessionTitle = el('h3', { className: 'subsection-title' });
  const who = el('p', { className: 'session-who', testid: 'session-who' });
  const role = el('p', { className: 'session-role muted' });
  const signInButton = el('button', { className: 'button primary', testid: 'signin-start', attrs: { type: 'button' }, on: { click: () => startSignIn() } });
  const signOutButton = el('button', { className: 'button', testid: 'signout', attrs: { type: 'button' }, on: { click: () => signOut() } });
  const spSecret = el('input', { className: 'text-input', testid: 'sp-secret', attrs: { type: 'password', autocomplete: 'off', id: 'sp-secret' } });
  const spLabel = el('label', { className: 'field-label', attrs: { for: 'sp-secret' } });
  const spButton = el('button', { className: 'button', testid: 'signin-sp', attrs: { type: 'button' }, on: { click: () => signInServicePrincipal() } });
  const spStored = el('p', { className: 'stored-line' });
  const spBox = el('div', { className: 'sp-box', children: [spLabel, el('div', { className: 'inline-field', children: [spSecret, spButton] }), spStored] });
  spSecret.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') signInServicePrincipal();
  });

  // The device code, big, while a device-code sign-in runs.
  const codeTitle = el('p', { className: 'code-title' });
  const code = el('code', { className: 'signin-code', testid: 'signin-code' });
  const codeCopy = el('button', { className: 'button small copy-button', testid: 'signin-code-copy', attrs: { type: 'button' }, on: { click: () => copyCode() } });
  const url = el('code', { className: 'signin-url', testid: 'signin-url' });
  const codeMessage = el('p', { className: 'muted small-text' });
  const countdown = el('p', { className: 'countdown', testid: 'signin-countdown', attrs: { 'aria-live': 'off' } });
  const codeCancel = el('button', { className: 'button', testid: 'signin-cancel', attrs: { type: 'button' }, on: { click: () => cancelSignIn() } });
  const codeBox = el('div', {
    className: 'code-box',
    testid: 'signin-panel',
    children: [codeTitle, el('div', { className: 'code-line', children: [code, codeCopy] }), url, codeMessage, el('div', { className: 'toolbar', children: [countdown, el('span', { className: 'toolbar-spacer' }), codeCancel] })],
  });

  const sessionCard = el('section', {
    className: 'profile-section',
    children: [sessionTitle, who, role, el('div', { className: 'toolbar', children: [signInButton, signOutButton] }), codeBox, spBox],
  });

  // The list of profiles.
  const listTitle = el('h3', { className: 'subsection-title' });
  const list = el('ul', { className: 'profile-list', testid: 'profile-list' });
  const newButtons = ['legacy', 'arm'].map((backend) => el('button', { className: 'button small', testid: `profile-new-${backend}`, attrs: { type: 'button' }, on: { click: () => edit(newProfile(backend), true) } }));
  // Issue 14: the legacy-to-ARM check, a screen of its own.
  const migrationButton = el('button', { className: 'button small subtle', testid: 'profile-migration', attrs: { type: 'button' }, on: { click: () => openMigrationScreen() } });
  const listCard = el('section', { className: 'profile-section', children: [listTitle, list, el('div', { className: 'toolbar', children: [...newButtons, migrationButton] })] });

  // The editor.
  const editorTitle = el('h3', { className: 'subsection-title' });
  const form = el('form', { className: 'profile-form', testid: 'profile-form', attrs: { novalidate: true } });
  const fields = new Map();
  const field = (key, input) => {
    const id = `pf-${key}`;
    input.id = id;
    input.dataset.field = key;
    const label = el('label', { className: 'field-label', attrs: { for: id } });
    const hint = el('span', { className: 'field-problem', attrs: { id: `${id}-problem` } });
    const wrap = el('div', { className: 'field', children: [label, input, hint] });
    fields.set(key, { wrap, label, input, hint });
    return wrap;
  };
  const text = () => el('input', { className: 'text-input', attrs: { type: 'text', autocomplete: 'off', spellcheck: 'false' } });
  const nameField = field('name', text());
  const backendSelect = el('select', { className: 'text-input' });
  for (const b of ['legacy', 'arm', 'demo']) backendSelect.append(el('option', { attrs: { value: b } }));
  backendSelect.addEventListener('change', () => {
    readForm();
    local.editing.backend = backendSelect.value;
    render();
  });
  const backendField = field('backend', backendSelect);
  const basic = el('div', { className: 'field-grid' });
  for (const key of EDITOR_FIELDS) {
    if (key === 'iothubAuth') {
      const select = el('select', { className: 'text-input' });
      for (const v of ['connectionString', 'entra']) select.append(el('option', { attrs: { value: v } }));
      basic.append(field(key, select));
    } else basic.append(field(key, text()));
  }
  const advancedSummary = el('summary');
  const advancedGrid = el('div', { className: 'field-grid' });
  for (const key of ADVANCED_FIELDS) advancedGrid.append(field(key, text()));
  for (const key of CONTRACT_FIELDS) advancedGrid.append(field(key, text()));
  advancedGrid.append(field('concurrency', el('input', { className: 'text-input', attrs: { type: 'number', min: '1', max: '64', step: '1' } })));
  const advanced = el('details', { className: 'advanced', children: [advancedSummary, advancedGrid] });

  // Secrets of a saved profile.
  const secretsTitle = el('h4', { className: 'subsection-title' });
  const secretRows = ['clientSecret', 'iothubConnectionString'].map((what) => {
    const input = el('input', { className: 'text-input', testid: `secret-${what}`, attrs: { type: 'password', autocomplete: 'off', id: `secret-${what}` } });
    const label = el('label', { className: 'field-label', attrs: { for: `secret-${what}` } });
    const button = el('button', { className: 'button small', testid: `secret-save-${what}`, attrs: { type: 'button' }, on: { click: () => storeSecret(what, input) } });
    const stored = el('p', { className: 'stored-line' });
    return { what, input, label, button, stored, el: el('div', { className: 'field', children: [label, el('div', { className: 'inline-field', children: [input, button] }), stored] }) };
  });
  const secrets = el('div', { className: 'secrets', children: [secretsTitle, ...secretRows.map((r) => r.el)] });

  const save = el('button', { className: 'button primary', testid: 'profile-save', attrs: { type: 'submit' } });
  const cancelEdit = el('button', { className: 'button', attrs: { type: 'button' }, on: { click: () => { local.editing = null; render(); } } });
  const savedLine = el('p', { className: 'stored-line', attrs: { role: 'status' } });
  form.append(editorTitle, el('div', { className: 'field-grid' , children: [nameField, backendField] }), basic, advanced, el('div', { className: 'modal-actions', children: [savedLine, cancelEdit, save] }), secrets);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    saveProfile();
  });

  modal.box.append(
    el('div', { className: 'modal-head', children: [title, close] }),
    error.el,
    el('div', { className: 'profile-columns', children: [el('div', { className: 'profile-col', children: [sessionCard, listCard] }), el('div', { className: 'profile-col', children: [form] })] }),
  );

  /** Hands over to the migration screen (a modal of its own), with a legacy active profile as its `from`. */
  function openMigrationScreen() {
    const current = active();
    hide();
    if (openMigration) openMigration(current && current.backend === 'legacy' ? current.name : undefined);
  }

  let ticker = null;
  let language = getLanguage();

  async function refresh() {
    try {
      const [listAnswer, session, retirement] = await Promise.all([call('profiles_list'), call('session_info'), call('legacy_retirement').catch(() => null)]);
      local.retirement = retirement;
      local.list = listAnswer;
      local.session = session;
      onSession(session, listAnswer);
    } catch (err) {
      local.error = toBackendError(err);
    }
    render();
  }

  function hide() {
    if (local.device) cancelSignIn();
    modal.close();
  }

  function active() {
    if (!local.list) return null;
    return local.list.profiles.find((p) => p.name === local.list.active) || null;
  }

  async function run(what, job) {
    local.busy = what;
    local.error = null;
    render();
    try {
      return await job();
    } catch (err) {
      const e = toBackendError(err);
      if (e.kind !== 'cancelled') local.error = e;
      return undefined;
    } finally {
      local.busy = null;
      render();
    }
  }

  async function startSignIn() {
    const profile = active();
    if (!profile || local.device) return;
    const info = await run('signin', () => call('sign_in_start', { name: profile.name }));
    if (!info) return;
    local.device = { ...info, expiresAt: Date.now() + info.expiresInSeconds * 1000 };
    clearInterval(ticker);
    ticker = setInterval(() => {
      if (!local.device) return;
      setText(countdown, t('profile.expiresIn', { time: clock(secondsLeft(local.device.expiresAt, Date.now())) }));
    }, 1000);
    render();
    code.focus();
    announce(t('profile.codeAnnounce', { code: info.userCode }));
    try {
      // The shell keeps one pending sign-in: finish and cancel take no arguments.
      const session = await call('sign_in_finish');
      local.session = session;
      const who = describeSession(session);
      announce(t('profile.signedInAnnounce', { name: who.name || who.profile }));
      await refresh();
    } catch (err) {
      const e = toBackendError(err);
      if (e.kind !== 'cancelled') local.error = e;
    } finally {
      local.device = null;
      clearInterval(ticker);
      render();
      if (modal.isOpen()) signInButton.focus();
    }
  }

  async function cancelSignIn() {
    local.device = null;
    clearInterval(ticker);
    render();
    try {
      await call('sign_in_cancel');
    } catch {
      // The sign-in is over either way; nothing to tell the user.
    }
  }

  async function copyCode() {
    const ok = await copyText(local.device ? local.device.userCode : '');
    announce(ok ? t('packages.copiedAnnounce', { field: t('profile.code') }) : t('packages.copyFailed'));
  }

  async function signInServicePrincipal() {
    const profile = active();
    if (!profile) return;
    // The secret leaves the page at once: read, clear, send. It is never written back.
    const secret = spSecret.value;
    spSecret.value = '';
    // The shell takes the secret with every service-principal sign-in (and stores it again).
    const clientSecret = secret;
    if (!clientSecret) {
      local.error = { kind: 'invalid_input', message: t('profile.secretEmpty'), params: { setting: t('profile.secret.clientSecret') } };
      render();
      return;
    }
    const session = await run('sp', () => call('sign_in_service_principal', { name: profile.name, clientSecret }));
    if (session) await refresh();
  }

  async function signOut() {
    const profile = active();
    if (!profile) return;
    await run('signout', () => call('sign_out', { name: profile.name }));
    await refresh();
  }

  async function activate(name) {
    const session = await run('activate', () => call('profile_activate', { name }));
    if (session) await refresh();
  }

  async function remove(profile) {
    const ok = await confirm({
      title: t('profile.removeTitle', { name: profile.name }),
      lines: [t('profile.removeText')],
      ok: t('profile.remove'),
      tone: 'danger',
    });
    if (!ok) return;
    await run('remove', () => call('profile_remove', { name: profile.name }));
    if (local.editing && local.editing.name === profile.name) local.editing = null;
    await refresh();
  }

  /**
   * The shell sends null for unset fields and may leave out the contract: the editor starts
   * from the defaults so that every input has a value and readForm has a contract to fill.
   */
  function editable(profile) {
    const defaults = newProfile(profile.backend);
    const copy = JSON.parse(JSON.stringify(profile));
    for (const [key, value] of Object.entries(copy)) if (value === null) delete copy[key];
    return { ...defaults, ...copy, contract: { ...defaults.contract, ...(copy.contract || {}) } };
  }

  function edit(profile, isNew) {
    local.editing = editable(profile);
    local.isNew = isNew;
    local.problems = [];
    local.saved = null;
    render();
    const first = [...form.querySelectorAll('input, select')].find((node) => !node.closest('[hidden]') && !node.readOnly && !node.disabled);
    if (first) first.focus();
  }

  function readForm() {
    const p = local.editing;
    for (const [key, f] of fields) {
      if (key === 'backend') continue;
      const value = f.input.value;
      if (CONTRACT_FIELDS.includes(key)) p.contract[key] = key === 'restartDelaySeconds' ? Number(value) : value;
      else if (key === 'concurrency') p.concurrency = Number(value);
      else p[key] = value;
    }
    p.backend = backendSelect.value;
  }

  async function saveProfile() {
    readForm();
    const others = (local.list ? local.list.profiles : []).map((p) => p.name).filter(() => local.isNew);
    local.problems = profileProblems(local.editing, others);
    if (local.problems.length) {
      render();
      const first = fields.get(local.problems[0].field);
      if (first) first.input.focus();
      return;
    }
    const profile = profileForSave(local.editing);
    const saved = await run('save', () => call('profile_save', { profile }));
    if (!saved) return;
    local.editing = editable(saved);
    local.isNew = false;
    local.saved = 'profile.saved';
    announce(t('profile.saved'));
    await refresh();
  }

  async function storeSecret(what, input) {
    if (!local.editing || local.isNew) return;
    const value = input.value;
    input.value = '';
    if (!value) return;
    const name = local.editing.name;
    const done = await run(`secret:${what}`, () => call('profile_set_secret', { name, what, value }).then(() => true));
    if (done) {
      announce(t('profile.storedAnnounce'));
      await refresh();
      const fresh = local.list && local.list.profiles.find((p) => p.name === name);
      if (fresh && local.editing) {
        local.editing.hasClientSecret = fresh.hasClientSecret;
        local.editing.hasIothubConnectionString = fresh.hasIothubConnectionString;
      }
      render();
    }
  }

  function render() {
    setText(title, t('profile.title'));
    setText(close, t('common.close'));
    error.update(local.error);
    const s = describeSession(local.session);
    const current = active();
    setText(sessionTitle, t('profile.sessionTitle', { name: s ? s.profile : '—' }));
    if (s && s.signedIn) {
      setText(who, s.name ? (s.upn ? t('profile.who', { name: s.name, upn: s.upn }) : t('profile.whoAccount', { name: s.name })) : t('profile.whoUnknown'));
      setText(role, t('profile.role', { role: roleText(s.role), tenant: s.tenant || '—' }));
      setAttr(role, 'title', null);
    } else {
      setText(who, t('profile.notSignedIn'));
      // Why the session could not open, in the user's language; the core's words on hover.
      const problem = s && s.problem && s.problem.kind !== 'signed_out' ? s.problem : null;
      setText(role, problem ? errorParts(problem).text : t('profile.notSignedInHelp'));
      setAttr(role, 'title', problem ? problem.message || null : null);
    }
    who.classList.toggle('is-signed-in', Boolean(s && s.signedIn));
    setText(signInButton, local.busy === 'signin' ? t('profile.starting') : s && s.signedIn ? t('profile.signInAgain') : t('profile.signIn'));
    signInButton.disabled = Boolean(local.busy) || Boolean(local.device) || !current;
    // The Demo tenant signs itself in: there is no account to sign in or out of.
    const demo = Boolean(current && current.backend === 'demo');
    signInButton.hidden = demo;
    signOutButton.hidden = demo || !(s && s.signedIn);
    setText(signOutButton, t('profile.signOut'));
    signOutButton.disabled = Boolean(local.busy);

    codeBox.hidden = !local.device;
    if (local.device) {
      setText(codeTitle, t('profile.codeTitle'));
      setText(code, local.device.userCode);
      setText(codeCopy, t('packages.copy'));
      setAttr(codeCopy, 'aria-label', t('packages.copyLabel', { field: t('profile.code'), value: local.device.userCode }));
      setText(url, local.device.verificationUri);
      // The identity service's own instructions are in its language (English from Entra ID
      // unless asked otherwise): the same advice from the catalogs, the service's words on hover.
      setText(codeMessage, t('profile.codeHelp'));
      setAttr(codeMessage, 'title', local.device.message || null);
      setText(countdown, t('profile.expiresIn', { time: clock(secondsLeft(local.device.expiresAt, Date.now())) }));
      setText(codeCancel, t('common.cancel'));
    }

    const spPossible = current && current.backend !== 'demo' && current.servicePrincipalClientId;
    spBox.hidden = !spPossible || Boolean(local.device);
    setText(spLabel, t('profile.spLabel', { id: current ? current.servicePrincipalClientId : '' }));
    setText(spButton, local.busy === 'sp' ? t('profile.signingIn') : t('profile.spSignIn'));
    spButton.disabled = Boolean(local.busy);
    setText(spStored, current && current.hasClientSecret ? t('profile.stored') : '');
    spStored.hidden = !(current && current.hasClientSecret);

    setText(listTitle, t('profile.listTitle'));
    newButtons.forEach((b, i) => setText(b, t(`profile.new.${['legacy', 'arm'][i]}`)));
    setText(migrationButton, t('migration.open'));
    migrationButton.hidden = !openMigration;
    renderList();
    renderEditor();
  }

  function renderList() {
    const profiles = local.list ? local.list.profiles : [];
    list.replaceChildren(
      ...profiles.map((p) => {
        const isActive = local.list.active === p.name;
        const li = el('li', { className: `profile-item${isActive ? ' is-active' : ''}`, testid: 'profile-row' });
        li.dataset.name = p.name;
        const facts = [t(`backend.${p.backend}`), p.signedIn ? t('profile.signedIn') : t('profile.signedOut')];
        if (p.builtIn) facts.push(t('profile.builtIn'));
        if (p.backend === 'legacy' && local.retirement) facts.push(tn('profile.retires', local.retirement.daysLeft));
        const use = el('button', { className: 'button small', testid: 'profile-activate', text: isActive ? t('profile.inUse') : t('profile.use'), attrs: { type: 'button', disabled: isActive || Boolean(local.busy) }, on: { click: () => activate(p.name) } });
        const editButton = el('button', { className: 'button small subtle', testid: 'profile-edit', text: t('profile.edit'), attrs: { type: 'button', 'aria-label': t('profile.editLabel', { name: p.name }) }, on: { click: () => edit(p, false) } });
        const removeButton = p.builtIn ? null : el('button', { className: 'button small subtle', testid: 'profile-remove', text: t('profile.remove'), attrs: { type: 'button', 'aria-label': t('profile.removeLabel', { name: p.name }) }, on: { click: () => remove(p) } });
        li.append(
          el('span', { className: 'profile-item-text', children: [el('span', { className: 'profile-item-name', text: p.name }), el('span', { className: 'muted small-text', text: facts.join(' · ') })] }),
          ...[use, editButton, removeButton].filter(Boolean),
        );
        return li;
      }),
    );
  }

  function renderEditor() {
    const p = local.editing;
    form.hidden = !p;
    modal.box.classList.toggle('is-editing', Boolean(p));
    if (!p) return;
    setText(editorTitle, local.isNew ? t('profile.newTitle') : t('profile.editTitle', { name: p.name }));
    const shown = new Set(['name', 'backend', ...PROFILE_FIELDS[p.backend] || []]);
    const problems = new Map(local.problems.map((x) => [x.field, x.code]));
    for (const [key, f] of fields) {
      const isAdvanced = ADVANCED_FIELDS.includes(key) || CONTRACT_FIELDS.includes(key) || key === 'concurrency';
      f.wrap.hidden = !isAdvanced && !shown.has(key);
      setText(f.label, t(`profile.field.${key}`));
      let value;
      if (key === 'backend') value = p.backend;
      else if (CONTRACT_FIELDS.includes(key)) value = p.contract ? p.contract[key] : '';
      else value = p[key];
      if (document.activeElement !== f.input) f.input.value = value === undefined || value === null ? '' : String(value);
      const problem = problems.get(key);
      setText(f.hint, problem ? t(`profile.problem.${problem}`) : '');
      setAttr(f.input, 'aria-invalid', problem ? 'true' : null);
      setAttr(f.input, 'aria-describedby', problem ? f.hint.id : null);
    }
    fields.get('name').input.readOnly = !local.isNew;
    backendSelect.disabled = !local.isNew;
    for (const option of backendSelect.options) setText(option, t(`backend.${option.value}`));
    const authSelect = fields.get('iothubAuth').input;
    for (const option of authSelect.options) setText(option, t(`profile.iothubAuth.${option.value}`));
    setText(advancedSummary, t('profile.advanced'));
    setText(save, local.busy === 'save' ? t('profile.saving') : t('profile.save'));
    save.disabled = Boolean(local.busy) || Boolean(p.builtIn);
    setText(cancelEdit, t('common.cancel'));
    setText(savedLine, local.saved ? t(local.saved) : '');

    secrets.hidden = local.isNew || p.backend === 'demo';
    setText(secretsTitle, t('profile.secretsTitle'));
    for (const row of secretRows) {
      const has = row.what === 'clientSecret' ? p.hasClientSecret : p.hasIothubConnectionString;
      setText(row.label, t(`profile.secret.${row.what}`));
      setText(row.button, local.busy === `secret:${row.what}` ? t('profile.saving') : has ? t('profile.replaceSecret') : t('profile.storeSecret'));
      row.button.disabled = Boolean(local.busy);
      setText(row.stored, has ? t('profile.stored') : t('profile.notStored'));
      row.stored.classList.toggle('is-stored', Boolean(has));
    }
  }

  return {
    /** Opens the screen; with `signIn: true` it starts a sign-in for the active profile. */
    async open(options = {}) {
      local.error = null;
      render();
      modal.open(close);
      await refresh();
      if (options.signIn && !(local.session && local.session.signedIn)) {
        signInButton.focus();
        startSignIn();
      }
    },
    /**
     * Re-translates when the language changes. Nothing else in the app's state shows here, so
     * the app's frequent re-renders (progress events) do not rebuild the list under the focus.
     */
    update() {
      if (getLanguage() === language) return;
      language = getLanguage();
      if (modal.isOpen()) render();
    },
  };
}

