// Guichet RH: the inbox of the people who answer requests (docs/guide-reponse.md).
// Talks to /api/requests with HTTP Basic credentials typed in the form, kept in
// memory only (never in the URL, never in storage: a reload asks again).
// Everything shown is built with DOM nodes and textContent.
'use strict';

(function () {
  let authorization = null;
  let reader = null;
  let contacts = [];
  let topics = [];
  let showing = 'open';
  const list = document.getElementById('demandes');
  const state = document.getElementById('etat');

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === false || value === null || value === undefined) continue;
      if (name === 'onclick') node.addEventListener('click', value);
      else if (name === 'onsubmit') node.addEventListener('submit', value);
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  async function api(method, path, body) {
    const options = { method, headers: { Authorization: authorization } };
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    try {
      const response = await fetch(path, options);
      const text = await response.text();
      let data = null;
      try { data = JSON.parse(text); } catch (e) { data = text; }
      return { ok: response.ok, status: response.status, data };
    } catch (e) {
      return { ok: false, status: 0, data: null };
    }
  }

  function frenchDate(iso) {
    const [y, m, d] = String(iso).split('-');
    return d + '/' + m + '/' + y;
  }

  function errorOf(r) {
    return r.data && r.data.error ? r.data.error.message : 'Le serveur ne répond pas. Réessayez dans un instant.';
  }

  function factsNode(facts) {
    if (!facts || !facts.length) return el('p', {}, 'Aucun fait recueilli.');
    const origin = { profile: 'profil', extracted: 'tiré de sa question', asked: 'répondu', earlier: 'répondu plus tôt dans la conversation' };
    return el('ul', { class: 'facts' }, facts.map((f) =>
      el('li', {}, f.question + ' ', el('strong', {}, f.value), ' (' + (origin[f.provenance] || f.provenance) + ')')));
  }

  function transcriptNode(turns) {
    const lines = (turns || []).map((t) => {
      if (t.who === 'agent') return el('li', {}, el('strong', {}, 'Agent : '), String(t.content));
      const step = t.content || {};
      const text = step.prompt || step.text || (step.contact ? 'Orienté vers ' + step.contact.label : '');
      return el('li', {}, el('strong', {}, 'Guichet : '), text);
    });
    return el('details', {}, el('summary', {}, 'Conversation complète'), el('ol', {}, lines));
  }

  function replyForm(request, item) {
    const id = 'reponse-' + request.id;
    const text = el('textarea', { id, rows: 6, required: true, maxlength: 8000 });
    const message = el('p', { role: 'alert' });
    return el('form', {
      class: 'reply',
      onsubmit: async (event) => {
        event.preventDefault();
        const r = await api('POST', '/api/requests/' + request.id + '/reply', { text: text.value });
        if (r.ok) item.replaceWith(requestNode(r.data.request));
        else message.textContent = errorOf(r);
      },
    }, el('label', { for: id }, 'Votre réponse à l\'agent'), text,
    el('button', { type: 'submit', class: 'primary' }, 'Envoyer la réponse'), message);
  }

  function assignForm(request, item) {
    const id = 'reaffecter-' + request.id;
    const select = el('select', { id }, contacts
      .filter((c) => c.id !== request.contact)
      .map((c) => el('option', { value: c.id }, c.label + ' (' + c.id + ')')));
    const message = el('p', { role: 'alert' });
    return el('form', {
      class: 'assign',
      onsubmit: async (event) => {
        event.preventDefault();
        const r = await api('POST', '/api/requests/' + request.id + '/assign', { contact: select.value });
        if (r.ok) {
          if (reader === 'admin') item.replaceWith(requestNode(r.data.request));
          else item.replaceWith(el('li', {}, 'Demande réaffectée à ' + r.data.request.contact_label + '.'));
        } else message.textContent = errorOf(r);
      },
    }, el('label', { for: id }, 'Réaffecter à'), select, el('button', { type: 'submit' }, 'Réaffecter'), message);
  }

  function draftNode(request) {
    const out = el('pre', { class: 'draft', hidden: true });
    return [el('button', {
      type: 'button',
      onclick: async () => {
        const r = await api('GET', '/api/requests/' + request.id + '/draft');
        out.textContent = r.ok ? r.data : errorOf(r);
        out.hidden = false;
      },
    }, 'Brouillon de sujet (.guichet)'), out];
  }

  // The agent's typed question as an `examples` line of an existing topic (the router learns
  // from them): the line and where it goes, for the person who writes the rules.
  function exampleNode(request) {
    if (!request.question) return null;
    const id = 'exemple-' + request.id;
    const select = el('select', { id }, topics.map((t) =>
      el('option', { value: t.id, selected: t.id === request.topic }, t.title)));
    const out = el('pre', { class: 'draft', hidden: true });
    return el('form', {
      class: 'example',
      onsubmit: async (event) => {
        event.preventDefault();
        const r = await api('GET', '/api/requests/' + request.id + '/example?topic=' + encodeURIComponent(select.value));
        out.textContent = r.ok ? r.data : errorOf(r);
        out.hidden = false;
      },
    }, el('label', { for: id }, 'Ajouter sa question comme exemple du sujet'), select,
    el('button', { type: 'submit' }, 'Voir la ligne à ajouter'), out);
  }

  function requestNode(request) {
    const item = el('li', { class: 'request' + (request.overdue ? ' overdue' : '') });
    const head = el('h2', {}, request.topic_title || request.topic);
    const meta = el('p', { class: 'meta' },
      'Pour ' + request.contact_label + ' · reçue il y a ' + request.age_days + ' jour(s) · ',
      el('strong', {}, (request.overdue ? 'en retard, ' : '') + 'réponse attendue le ' + frenchDate(request.due)),
      ' · réponse lue par l\'agent : ' + request.answer_by.join(', '));
    item.append(head, meta);
    if (request.question) item.append(el('p', {}, el('strong', {}, 'Sa question : '), request.question));
    item.append(el('p', {}, el('strong', {}, 'Son message : '), request.message || '(aucun)'));
    item.append(el('h3', {}, 'Ce que l\'agent a déjà dit'), factsNode(request.facts), transcriptNode(request.transcript));
    if (request.status === 'open') {
      item.append(replyForm(request, item), assignForm(request, item));
    } else {
      item.append(el('div', { class: 'reply-given' }, el('h3', {}, 'Réponse envoyée'), el('p', {}, request.reply)), draftNode(request), exampleNode(request));
    }
    return item;
  }

  async function load(status) {
    showing = status;
    state.textContent = 'Chargement…';
    const r = await api('GET', '/api/requests?status=' + status);
    if (!r.ok) {
      state.textContent = errorOf(r);
      return false;
    }
    reader = r.data.reader;
    contacts = r.data.contacts;
    topics = r.data.topics;
    document.getElementById('lecteur').textContent = r.data.admin
      ? 'Connecté en administrateur : toutes les demandes.'
      : 'Connecté : ' + reader + '.';
    list.replaceChildren(...r.data.requests.map(requestNode));
    const n = r.data.requests.length;
    state.textContent = status === 'open'
      ? n + ' demande(s) ouverte(s), la plus ancienne en premier.'
      : n + ' demande(s) répondue(s).';
    return true;
  }

  document.getElementById('connexion').addEventListener('submit', async (event) => {
    event.preventDefault();
    const contact = document.getElementById('contact').value.trim();
    const secret = document.getElementById('secret').value;
    const bytes = new TextEncoder().encode(contact + ':' + secret);
    authorization = 'Basic ' + btoa(String.fromCharCode(...bytes));
    const error = document.getElementById('connexion-erreur');
    error.textContent = '';
    if (await load('open')) {
      document.getElementById('connexion').hidden = true;
      document.getElementById('boite').hidden = false;
      document.getElementById('secret').value = '';
    } else {
      authorization = null;
      error.textContent = 'Identifiant ou mot de passe refusé.';
    }
  });
  document.getElementById('voir-ouvertes').addEventListener('click', () => load('open'));
  document.getElementById('voir-repondues').addEventListener('click', () => load('answered'));
})();
