// Commerce.Jobs dashboard: plain script, no dependencies, no build step. Every value from the server is written with
// textContent (never innerHTML), so nothing a job name, error or log line contains can become markup.
(() => {
  'use strict';

  const api = new URL('api/', document.baseURI);
  const byId = (id) => document.getElementById(id);
  const pageSize = 500;
  const state = { session: null, timer: null, busy: false, again: false, selectedJob: null, openLogs: new Set(), entityTypes: '', offset: 0, definition: null };

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null) continue;
      if (key === 'text') node.textContent = String(value);
      else if (key === 'class') node.className = value;
      else if (key === 'onclick') node.addEventListener('click', value);
      else node.setAttribute(key, String(value));
    }
    for (const child of children) {
      if (child !== undefined && child !== null) node.append(child);
    }
    return node;
  }

  const badge = (text) => el('span', { class: `badge ${text}`, text });
  const when = (value) => (value ? new Date(value).toLocaleString() : '—');
  // A time with its zone: the given IANA zone when the browser knows it, else the browser's own, named either way.
  const whenIn = (value, zone) => {
    if (!value) return '—';
    try {
      return new Date(value).toLocaleString(undefined, { timeZone: zone || undefined, timeZoneName: 'short' });
    } catch {
      return new Date(value).toLocaleString(undefined, { timeZoneName: 'short' });
    }
  };
  const counts = (c) => (c ? `${c.read} / ${c.delivered} / ${c.skipped} / ${c.failed}` : '—');
  const duration = (ms) => (ms < 1000 ? `${Math.round(ms)} ms` : ms < 120000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60000).toFixed(1)} min`);
  const jobPath = (name) => `jobs/${encodeURIComponent(name)}`;
  const entityPath = (type) => `entity-sync/${encodeURIComponent(type)}`;

  async function request(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (method !== 'GET' && state.session && state.session.antiforgeryHeaderName) {
      headers[state.session.antiforgeryHeaderName] = state.session.antiforgeryToken;
    }
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(new URL(path, api), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
    if (!response.ok) {
      let detail = response.statusText;
      try {
        const problem = await response.json();
        detail = problem.detail || problem.title || detail;
      } catch {
        // Not JSON (an authentication challenge, a proxy page): the status says enough.
      }
      throw new Error(`${response.status}: ${detail}`);
    }
    return response.status === 204 ? null : response.json();
  }

  function say(text, isError) {
    const message = byId('message');
    message.textContent = text;
    message.className = isError ? 'error' : '';
    message.hidden = false;
  }

  async function act(button, work) {
    button.disabled = true;
    try {
      const text = await work();
      if (text) say(text, false);
    } catch (error) {
      say(error.message, true);
    } finally {
      button.disabled = false;
      await refresh();
    }
  }

  // ---- jobs ----

  function jobsQuery() {
    const query = new URLSearchParams({ offset: String(state.offset), limit: String(pageSize) });
    const search = byId('jobs-search').value.trim();
    const wanted = byId('jobs-state').value;
    if (search) query.set('search', search);
    if (wanted) query.set('state', wanted);
    return `jobs?${query}`;
  }

  function renderJobs(overview) {
    const shown = overview.jobs.length;
    byId('jobs-count').textContent = overview.total === 0
      ? 'No job matches.'
      : `Showing ${overview.offset + 1}–${overview.offset + shown} of ${overview.total}`;
    byId('jobs-previous').disabled = overview.offset === 0;
    byId('jobs-next').disabled = overview.offset + shown >= overview.total;
    const body = byId('jobs-body');
    body.replaceChildren(...overview.jobs.map((job) => {
      const last = job.lastRun;
      const paused = job.state === 'Paused';
      const disabled = job.state === 'Disabled';
      return el('tr', { 'data-job': job.name },
        el('td', { 'data-field': 'name' }, el('button', { class: 'link', 'data-action': 'history', text: job.name, title: 'Show runs', onclick: () => showHistory(job.name) })),
        el('td', { 'data-field': 'state' }, badge(job.state)),
        el('td', { 'data-field': 'schedule', text: job.schedule }),
        el('td', { 'data-field': 'next-run', 'data-next-run': job.nextRun || '', text: whenIn(job.nextRun) }),
        el('td', { 'data-field': 'last-run' },
          last ? badge(last.outcome) : el('span', { class: 'muted', text: 'never' }),
          last ? el('div', { class: 'muted', text: `${when(last.endedAt)} · ${last.trigger}` }) : null,
          job.consecutiveFailures > 1 ? el('div', { class: 'error', text: `${job.consecutiveFailures} failures in a row` }) : null),
        el('td', { 'data-field': 'totals', text: counts(job.totalCounts) }),
        el('td', { class: 'actions' },
          el('button', { 'data-action': 'run', text: 'Run now', disabled: disabled ? '' : null, onclick: (e) => act(e.currentTarget, () => runNow(job.name)) }),
          el('button', {
            'data-action': paused ? 'resume' : 'pause',
            text: paused ? 'Resume' : 'Pause',
            disabled: disabled ? '' : null,
            onclick: (e) => act(e.currentTarget, async () => { await request('POST', `${jobPath(job.name)}/${paused ? 'resume' : 'pause'}`); return `${paused ? 'Resumed' : 'Paused'} ${job.name}.`; }),
          }),
          el('button', {
            'data-action': disabled ? 'enable' : 'disable',
            text: disabled ? 'Enable' : 'Disable',
            onclick: (e) => act(e.currentTarget, async () => { await request('POST', `${jobPath(job.name)}/${disabled ? 'enable' : 'disable'}`); return `${disabled ? 'Enabled' : 'Disabled'} ${job.name}.`; }),
          }),
          el('button', { 'data-action': 'history', text: 'History', onclick: () => showHistory(job.name) }),
          el('button', { 'data-action': 'edit', 'data-job-edit': job.name, text: 'Edit', title: 'Edit the definition', onclick: () => openDefinition(job.name) })));
    }));
    const open = state.definition && overview.jobs.find((job) => job.name === state.definition.job);
    if (open) showDefinitionNextRun(open.nextRun);
  }

  async function runNow(name) {
    state.selectedJob = name;
    // Wait a moment for short runs so the answer can carry the outcome; longer ones report that they started.
    const run = await request('POST', `${jobPath(name)}/run?wait=2`);
    if (run.status === 'Finished') return `Run ${run.runId} of ${name}: ${run.outcome}${run.error ? ` (${run.error})` : ''}.`;
    return run.jobState === 'Paused'
      ? `Run ${run.runId} of ${name} waits: the job is paused; it runs on resume.`
      : `Run ${run.runId} of ${name} started.`;
  }

  function showHistory(name) {
    state.selectedJob = name;
    state.openLogs.clear();
    refresh();
  }

  function renderRuns(job, runs) {
    byId('history').hidden = false;
    byId('history-job').textContent = job;
    byId('runs-empty').hidden = runs.length > 0;
    const rows = [];
    for (const run of runs) {
      const open = state.openLogs.has(run.runId);
      rows.push(el('tr', { 'data-run': run.runId },
        el('td', { 'data-field': 'started', text: when(run.startedAt) }),
        el('td', { 'data-field': 'trigger', text: run.trigger }),
        el('td', { 'data-field': 'outcome' }, badge(run.outcome)),
        el('td', { 'data-field': 'duration', text: duration(run.durationMs) }),
        el('td', { 'data-field': 'counts', text: counts(run.counts) }),
        el('td', { 'data-field': 'error', class: 'error', text: run.error || '' }),
        el('td', {}, el('button', {
          'data-action': 'log',
          text: open ? 'Hide log' : `View log (${run.log ? run.log.length : 0})`,
          onclick: () => { if (open) state.openLogs.delete(run.runId); else state.openLogs.add(run.runId); renderRuns(job, runs); },
        }))));
      if (open) {
        const lines = (run.log || []).map((entry) => el('span', { class: entry.level, text: `${new Date(entry.timestamp).toLocaleTimeString()} ${entry.level}: ${entry.message}\n` }));
        rows.push(el('tr', { class: 'log-row', 'data-log-for': run.runId },
          el('td', { colspan: 7 }, el('pre', { class: 'log' }, ...(lines.length ? lines : [el('span', { class: 'muted', text: 'No log lines.' })])))));
      }
    }
    byId('runs-body').replaceChildren(...rows);
  }

  // ---- definitions (api/jobs/{name}/definition): values, their source, edit, reset ----

  const flagFields = new Set(['RunOnSchedule', 'UpdateStatus', 'NotifyOnFailure']);
  const numberFields = new Set(['CleanupRunsPerDay', 'BatchSize', 'RetryWindow:MaxRetries', 'MaxItemsToSkip', 'MaxArchivedRuns', 'MaxConcurrency']);
  const hints = {
    Interval: '[d.]hh:mm:ss, empty for none', DailyAt: 'HH:mm, HH:mm…', TimeZone: 'Europe/Berlin, empty for the server’s', Cron: 'cron, empty for none',
    MaxAge: '[d.]hh:mm:ss, empty for no limit', 'RetryWindow:Window': '[d.]hh:mm:ss', HistoryRetention: '[d.]hh:mm:ss',
  };

  // Sends a definition request; answers { status, body } for the statuses the form handles itself (200, 400, 412).
  async function definitionRequest(method, body) {
    const definition = state.definition;
    const headers = { Accept: 'application/json', 'If-Match': `"${definition.version}"` };
    if (state.session.antiforgeryHeaderName) headers[state.session.antiforgeryHeaderName] = state.session.antiforgeryToken;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(new URL(`${jobPath(definition.job)}/definition`, api), {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store',
    });
    let answer = null;
    try { answer = await response.json(); } catch { /* not JSON: the status says enough */ }
    if (response.ok || response.status === 400 || response.status === 412) return { status: response.status, body: answer };
    throw new Error(`${response.status}: ${(answer && (answer.detail || answer.title)) || response.statusText}`);
  }

  function definitionStatus(text, isError) {
    const status = byId('definition-status');
    status.textContent = text;
    status.className = isError ? 'error' : '';
  }

  function showDefinitionNextRun(nextRun) {
    const zone = state.definition && state.definition.timeZone;
    byId('definition-next-run').textContent = `${whenIn(nextRun, zone)}${zone ? ` (${zone})` : ''}`;
  }

  async function openDefinition(name) {
    state.definition = { job: name, version: null, values: {}, timeZone: null };
    byId('definition-job').textContent = name;
    byId('definition-fields').replaceChildren();
    byId('definition-changes').replaceChildren();
    byId('definition-changes-status').textContent = '';
    definitionStatus('Loading…', false);
    const dialog = byId('definition');
    if (!dialog.open) dialog.showModal();
    const changes = loadChanges();
    try {
      renderDefinition(await request('GET', `${jobPath(name)}/definition`));
      definitionStatus('', false);
    } catch (error) {
      definitionStatus(error.message, true);
    }
    await changes;
  }

  function renderDefinition(definition) {
    if (!state.definition || state.definition.job !== definition.jobName) return;
    state.definition.version = definition.version;
    state.definition.timeZone = definition.timeZone;
    state.definition.values = {};
    showDefinitionNextRun(definition.nextRun);
    const rows = Object.entries(definition.fields).map(([name, field], index) => {
      const value = field.value === null ? '' : field.value;
      state.definition.values[name] = value;
      const id = `definition-field-${index}`;
      const input = flagFields.has(name)
        ? el('input', { id, type: 'checkbox', 'data-field-input': '' })
        : el('input', { id, type: numberFields.has(name) ? 'number' : 'text', step: numberFields.has(name) ? '1' : null, placeholder: hints[name], autocomplete: 'off', 'data-field-input': '' });
      if (input.type === 'checkbox') input.checked = value === 'true';
      else input.value = value;
      const source = field.source.toLowerCase();
      return el('tr', { 'data-field': name },
        el('th', { scope: 'row' }, el('label', { for: id, text: name })),
        el('td', {},
          input,
          name === 'DailyAt' || name === 'Cron' ? el('span', { class: 'muted', 'data-field-zone': '', text: ` in ${definition.timeZone}` }) : null,
          el('div', { 'data-field-error': '' })),
        el('td', {},
          el('span', { class: source, 'data-field-source': source, text: source }),
          el('div', { class: 'muted', 'data-field-declared': '', text: `declared: ${field.declaredValue === null ? '(none)' : field.declaredValue}` })),
        el('td', {},
          el('button', {
            type: 'button', class: 'link', 'data-field-reset': '', text: 'reset', title: 'Back to the declared value',
            disabled: field.source === 'Override' ? null : '',
            onclick: () => changeDefinition('PUT', { [name]: null }),
          })));
    });
    byId('definition-fields').replaceChildren(...rows);
  }

  function changedFields() {
    const changed = {};
    for (const row of byId('definition-fields').querySelectorAll('tr[data-field]')) {
      const name = row.dataset.field;
      const input = row.querySelector('[data-field-input]');
      const value = input.type === 'checkbox' ? String(input.checked) : input.value;
      if (value !== state.definition.values[name]) changed[name] = value;
    }
    return changed;
  }

  async function changeDefinition(method, body) {
    const buttons = [...byId('definition').querySelectorAll('button')];
    for (const row of byId('definition-fields').querySelectorAll('[data-field-error]')) row.textContent = '';
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const { status, body: answer } = await definitionRequest(method, body);
      if (status === 412) {
        definitionStatus('The definition was changed meanwhile (by someone else, or on another host); it is shown again as it is now: check and save again.', true);
        renderDefinition(await request('GET', `${jobPath(state.definition.job)}/definition`));
        loadChanges();
        return;
      }
      if (status === 400) {
        const general = [];
        for (const [name, messages] of Object.entries((answer && answer.errors) || {})) {
          const row = [...byId('definition-fields').querySelectorAll('tr[data-field]')].find((r) => r.dataset.field === name);
          if (row) row.querySelector('[data-field-error]').textContent = messages.join('\n');
          else general.push(...messages);
        }
        if (general.length === 0 && !(answer && answer.errors)) general.push((answer && answer.detail) || 'Refused.');
        definitionStatus(`Not saved.${general.length ? ` ${general.join(' ')}` : ' See the messages by the settings.'}`, true);
        return;
      }
      renderDefinition(answer);
      definitionStatus(method === 'DELETE' ? 'Every setting is back to its declared value.' : 'Saved; in force now.', false);
      refresh();
    } catch (error) {
      definitionStatus(error.message, true);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      for (const button of byId('definition-fields').querySelectorAll('[data-field-reset]')) {
        const row = button.closest('tr');
        button.disabled = row.querySelector('[data-field-source]').dataset.fieldSource !== 'override';
      }
    }
  }

  function saveDefinition(event) {
    event.preventDefault();
    const changed = changedFields();
    if (Object.keys(changed).length === 0) {
      definitionStatus('Nothing changed.', false);
      return;
    }
    changeDefinition('PUT', changed);
  }

  // ---- the job's last changes (api/jobs/{name}/changes): when, who, the action, each value old → new ----

  const changeValue = (value) => (value === null || value === undefined ? '(none)' : value);

  function renderChanges(changes) {
    const status = byId('definition-changes-status');
    status.textContent = changes.length === 0 ? 'No changes recorded yet.' : '';
    status.className = 'muted';
    byId('definition-changes').replaceChildren(...changes.map((change) => el('li', { 'data-change': '' },
      el('time', { datetime: change.changedAt, 'data-change-at': '', text: whenIn(change.changedAt) }),
      ' · ',
      el('span', { 'data-change-by': '', text: change.changedBy || 'unknown' }),
      ' · ',
      el('strong', { 'data-change-action': '', text: change.action }),
      el('ul', {}, ...change.values.map((value) => el('li', { 'data-change-value': value.field },
        el('span', { class: 'muted', text: `${value.field}: ` }),
        el('span', { 'data-change-old': '', text: changeValue(value.oldValue) }),
        ' → ',
        el('span', { 'data-change-new': '', text: changeValue(value.newValue) })))))));
  }

  // Loads the open form's job's changes; an answer for a form closed or switched to another job meanwhile is dropped.
  async function loadChanges() {
    const job = state.definition && state.definition.job;
    if (!job) return;
    try {
      const changes = await request('GET', `${jobPath(job)}/changes?limit=20`);
      if (state.definition && state.definition.job === job) renderChanges(changes);
    } catch (error) {
      if (state.definition && state.definition.job === job) {
        const status = byId('definition-changes-status');
        status.textContent = `Cannot load the changes: ${error.message}`;
        status.className = 'error';
      }
    }
  }

  // ---- targets ----

  function renderTargets(targets) {
    byId('targets-empty').hidden = targets.length > 0;
    byId('targets-body').replaceChildren(...targets.map((t) => el('tr', { 'data-target': t.targetName },
      el('td', { text: t.targetName }),
      el('td', { 'data-field': 'health' }, badge(t.state)),
      el('td', { text: when(t.unhealthySince) }),
      el('td', { text: when(t.pausedUntil) }),
      el('td', { text: t.deliveriesInProgress }),
      el('td', { class: 'last-error', text: t.lastError || '' }))));
  }

  // ---- entity sync ----

  function renderEntitySync(overview) {
    byId('entity-sync').hidden = false;
    byId('entity-body').replaceChildren(...overview.configurations.map((c) => {
      const statuses = overview.statuses.filter((s) => s.entityType.toLowerCase() === c.entityType.toLowerCase());
      return el('tr', { 'data-entity-type': c.entityType },
        el('td', { text: c.entityType }),
        el('td', { 'data-field': 'settings' },
          c.paused ? badge('Paused') : null,
          el('div', { class: 'muted', text: `${c.enabled ? 'enabled' : 'disabled'}, ${c.incrementalSync ? 'incremental' : 'full and targeted only'}` })),
        el('td', { 'data-field': 'targets' }, ...statuses.map((s) => el('div', { 'data-target': s.targetName, text:
          `${s.targetName}: ${s.pendingCount} pending, ${s.deliveredCount} delivered` +
          (s.lastDeliveredVersion !== null ? `, last version ${s.lastDeliveredVersion} at ${when(s.lastDeliveredAt)}` : '') +
          (s.fullSyncRunning ? ', full sync running' : '') +
          (s.lastError ? ` — ${s.lastError}` : '') }))),
        el('td', { class: 'actions' },
          el('button', {
            'data-action': c.paused ? 'resume' : 'pause',
            text: c.paused ? 'Resume' : 'Pause',
            onclick: (e) => act(e.currentTarget, async () => { await request('POST', `${entityPath(c.entityType)}/${c.paused ? 'resume' : 'pause'}`); return `${c.paused ? 'Resumed' : 'Paused'} ${c.entityType}.`; }),
          }),
          el('button', {
            'data-action': 'full-sync',
            text: 'Full sync',
            onclick: (e) => act(e.currentTarget, async () => { await request('POST', `${entityPath(c.entityType)}/full-sync`); return `Full sync of ${c.entityType} started.`; }),
          })));
    }));

    // The type list only changes with the configurations, so a choice in progress survives a refresh.
    const types = overview.configurations.map((c) => c.entityType).join('\n');
    if (types !== state.entityTypes) {
      state.entityTypes = types;
      byId('sync-ids-type').replaceChildren(...overview.configurations.map((c) => el('option', { value: c.entityType, text: c.entityType })));
    }
  }

  async function syncIds(event) {
    event.preventDefault();
    const type = byId('sync-ids-type').value;
    const ids = byId('sync-ids').value.split(/[\s,;]+/).filter((id) => id.length > 0);
    const button = event.submitter || event.target.querySelector('button');
    await act(button, async () => {
      const result = await request('POST', `${entityPath(type)}/sync`, { ids });
      byId('sync-ids').value = '';
      return `Queued ${result.queued} of ${result.requested} ${type} for delivery.`;
    });
  }

  // ---- refresh ----

  async function refresh() {
    if (state.busy) {
      // One more refresh once this one ends, so an action's effect always shows.
      state.again = true;
      return;
    }
    state.busy = true;
    const status = byId('status');
    try {
      let overview = await request('GET', jobsQuery());
      if (overview.jobs.length === 0 && state.offset > 0) {
        // The page emptied (jobs filtered away): start again from the first.
        state.offset = 0;
        overview = await request('GET', jobsQuery());
      }
      renderJobs(overview);
      renderTargets(overview.targets);
      const job = state.selectedJob;
      if (job) {
        // The history may be closed, or another job chosen, while the answer is on its way: then it is stale, and
        // is dropped (a choice made during a refresh is shown by the refresh that follows it).
        try {
          const runs = await request('GET', `${jobPath(job)}/runs?limit=20`);
          if (state.selectedJob === job) renderRuns(job, runs);
        } catch (error) {
          if (state.selectedJob === job) {
            state.selectedJob = null;
            byId('history').hidden = true;
            say(error.message, true);
          }
        }
      }
      // The open form's last changes: a save, reset, pause… made here or elsewhere shows with the next refresh.
      await loadChanges();
      if (state.session.entitySync) renderEntitySync(await request('GET', 'entity-sync'));
      status.textContent = `Updated ${new Date(overview.serverTime).toLocaleTimeString()}`;
      status.className = '';
    } catch (error) {
      status.textContent = `Refresh failed: ${error.message}`;
      status.className = 'error';
    } finally {
      state.busy = false;
      if (state.again) {
        state.again = false;
        refresh();
      }
    }
  }

  function schedule() {
    clearInterval(state.timer);
    state.timer = byId('auto-refresh').checked ? setInterval(refresh, state.session.refreshIntervalMs) : null;
  }

  async function start() {
    try {
      state.session = await request('GET', 'dashboard');
    } catch (error) {
      byId('status').textContent = `Cannot load the dashboard: ${error.message}`;
      byId('status').className = 'error';
      return;
    }
    byId('title').textContent = state.session.title;
    document.title = state.session.title;
    byId('refresh').addEventListener('click', refresh);
    byId('auto-refresh').addEventListener('change', schedule);
    byId('history-close').addEventListener('click', () => { state.selectedJob = null; byId('history').hidden = true; });
    byId('entity-pause-all').addEventListener('click', (e) => act(e.currentTarget, async () => { await request('POST', 'entity-sync/pause-all'); return 'Paused every entity type.'; }));
    byId('entity-resume-all').addEventListener('click', (e) => act(e.currentTarget, async () => { await request('POST', 'entity-sync/resume-all'); return 'Resumed every entity type.'; }));
    byId('sync-ids-form').addEventListener('submit', syncIds);
    byId('definition-form').addEventListener('submit', saveDefinition);
    byId('definition-reset').addEventListener('click', () => changeDefinition('DELETE'));
    byId('definition-close').addEventListener('click', () => byId('definition').close());
    byId('definition').addEventListener('close', () => { state.definition = null; });
    const refilter = () => { state.offset = 0; refresh(); };
    byId('jobs-filter').addEventListener('submit', (e) => { e.preventDefault(); refilter(); });
    byId('jobs-search').addEventListener('input', refilter);
    byId('jobs-state').addEventListener('change', refilter);
    byId('jobs-previous').addEventListener('click', () => { state.offset = Math.max(0, state.offset - pageSize); refresh(); });
    byId('jobs-next').addEventListener('click', () => { state.offset += pageSize; refresh(); });
    await refresh();
    schedule();
  }

  start();
})();
