// Guichet RH: the web chat. Talks to the JSON API of `guichet serve`
// (docs/server.md); renders the step objects of docs/protocol.md.
// Everything shown is built with DOM nodes and textContent: text from the
// rules or from the agent is never parsed as HTML.
'use strict';

(function () {
  const KEY = 'guichet.conversation';
  const log = document.getElementById('log');
  const form = document.getElementById('composer');
  const input = document.getElementById('reponse');
  const hint = document.getElementById('indication');
  const status = document.getElementById('status');
  let conversation = null; // { id, done }
  let previous = null; // id of the conversation finished before this one: its facts carry over
  let topics = [];
  let busy = false;

  // ------------------------------------------------------------ helpers

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === false || value === null || value === undefined) continue;
      if (name === 'onclick') node.addEventListener('click', value);
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  function fold(text) {
    return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  }

  async function api(method, path, body) {
    const options = { method, headers: {} };
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    try {
      const response = await fetch(path, options);
      let data = null;
      try { data = await response.json(); } catch (e) { data = null; }
      return { ok: response.ok, status: response.status, data };
    } catch (e) {
      return { ok: false, status: 0, data: null };
    }
  }

  function add(kind, ...children) {
    const item = el('li', { class: 'msg ' + kind }, children);
    log.append(item);
    item.scrollIntoView({ block: 'nearest' });
    return item;
  }

  function agentSays(text) {
    add('agent', el('span', { class: 'visually-hidden' }, 'Vous : '), el('p', {}, text));
  }

  function guichetSays(...children) {
    return add('guichet', el('span', { class: 'visually-hidden' }, 'Guichet : '), children);
  }

  function showError(message) {
    add('error', el('p', {}, message));
  }

  function freezeChoices() {
    for (const b of log.querySelectorAll('.choices button')) b.disabled = true;
  }

  function focusNext() {
    const last = log.lastElementChild;
    const first = last && last.querySelector('.choices button:not(:disabled)');
    (first || input).focus();
  }

  // Light markdown: blank lines separate paragraphs, `- ` lines are list items,
  // [texte](https://…) is a link. Anything else stays text.
  function inline(text) {
    const nodes = [];
    const link = /\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/g;
    let at = 0;
    let m;
    while ((m = link.exec(text)) !== null) {
      nodes.push(text.slice(at, m.index));
      nodes.push(el('a', { href: m[2], rel: 'noopener noreferrer', target: '_blank' }, m[1]));
      at = m.index + m[0].length;
    }
    nodes.push(text.slice(at));
    return nodes.filter((n) => n !== '');
  }

  function markdown(text) {
    const out = [];
    for (const block of String(text || '').split(/\n\s*\n/)) {
      let list = null;
      let paragraph = [];
      const flush = () => {
        if (paragraph.length) out.push(el('p', {}, inline(paragraph.join(' '))));
        paragraph = [];
      };
      for (const raw of block.split('\n')) {
        const line = raw.trim();
        if (line.startsWith('- ')) {
          flush();
          if (!list) { list = el('ul'); out.push(list); }
          list.append(el('li', {}, inline(line.slice(2))));
        } else if (line !== '') {
          list = null;
          paragraph.push(line);
        }
      }
      flush();
    }
    return out;
  }

  // A hand-off of a question no topic matched ends with the agent's own words
  // (« Votre question : « … » »): they are shown as typed, never read as markdown.
  function handoffMessage(message) {
    const text = String(message || '');
    const at = text.lastIndexOf('\n\nVotre question : « ');
    if (at < 0) return markdown(text);
    return markdown(text.slice(0, at)).concat([el('p', {}, text.slice(at + 2))]);
  }

  function trail(entries, open) {
    if (!entries || !entries.length) return null;
    return el('details', { class: 'trail', open },
      el('summary', {}, 'Pourquoi cette réponse ? Les règles appliquées'),
      el('ol', {}, entries.map((e) => el('li', {}, e.what, e.location ? [' ', el('code', {}, e.location)] : []))));
  }

  // ------------------------------------------------------------ steps

  function setHint(step) {
    let text = '';
    if (step && step.type === 'ask') {
      if (step.kind === 'choice') text = 'Cliquez sur une réponse, ou tapez son numéro ou ses mots.';
      else if (step.kind === 'yesno') text = 'Répondez oui ou non.';
      else if (step.kind === 'date') text = 'Une date au format jj/mm/aaaa.';
      else if (step.kind === 'number') {
        const unit = step.unit ? ' ' + step.unit : '';
        if (step.min !== undefined && step.max !== undefined) text = 'Un nombre entre ' + step.min + ' et ' + step.max + unit + '.';
        else text = 'Un nombre' + (unit ? ' (en' + unit + ')' : '') + '.';
      } else text = 'Répondez librement.';
      text += ' « Pourquoi ? » explique, « Parler à une personne » vous met en relation.';
    } else if (step) {
      text = 'Conversation terminée. Posez une autre question, ou choisissez « Nouveau sujet ».';
    } else {
      text = 'Posez votre question en quelques mots, ou choisissez un sujet (les mots tapés filtrent la liste).';
    }
    hint.textContent = text;
  }

  function askNode(step) {
    const parts = [el('p', { class: 'prompt', id: 'q' + log.children.length }, step.prompt)];
    if (step.options && step.options.length) {
      const group = el('div', { class: 'choices', role: 'group', 'aria-label': step.prompt });
      step.options.forEach((option) => {
        group.append(el('button', {
          type: 'button',
          onclick: (event) => {
            event.currentTarget.classList.add('chosen');
            send(option.value, option.label);
          },
        }, option.label));
      });
      parts.push(group);
    }
    if (step.help) parts.push(el('details', {}, el('summary', {}, 'Aide sur cette question'), el('p', {}, step.help)));
    return parts;
  }

  function feedbackNode(id) {
    const box = el('div', { class: 'feedback', role: 'group', 'aria-label': 'Votre avis' });
    const give = async (helpful) => {
      const r = await api('POST', '/api/sessions/' + id + '/feedback', { helpful });
      box.replaceChildren(el('p', {}, r.ok
        ? 'Merci pour votre avis.'
        : 'Votre avis n\'a pas pu être enregistré.'));
      input.focus();
    };
    box.append(
      el('p', {}, 'Cette réponse vous a-t-elle aidé ?'),
      el('div', { class: 'choices feedback-choices' },
        el('button', { type: 'button', onclick: () => give(true) }, 'Oui, merci'),
        el('button', { type: 'button', onclick: () => give(false) }, 'Non')));
    return box;
  }

  function channelNodes(channels) {
    const words = { name: 'Service', phone: 'Téléphone', email: 'Courriel', hours: 'Horaires', office: 'Bureau', web: 'En ligne' };
    const rows = [];
    for (const key of Object.keys(words)) {
      const value = channels && channels[key];
      if (!value) continue;
      let shown = value;
      if (key === 'phone') shown = el('a', { href: 'tel:' + value.replace(/[^0-9+]/g, '') }, value);
      else if (key === 'email' && /^[^\s@]+@[^\s@]+$/.test(value)) shown = el('a', { href: 'mailto:' + value }, value);
      else if (key === 'web' && /^https?:\/\//.test(value)) shown = el('a', { href: value, rel: 'noopener noreferrer', target: '_blank' }, value);
      rows.push(el('dt', {}, words[key]), el('dd', {}, shown));
    }
    return rows.length ? el('dl', {}, rows) : null;
  }

  // Shows a step; `replay` when rebuilding a conversation (no focus, no feedback
  // question unless it is still owed).
  function showStep(step, options) {
    const opts = options || {};
    freezeChoices();
    // What was taken from the question or an earlier topic, and how to correct it (issue 11).
    const understood = step.understood && !opts.understoodShown
      ? el('p', { class: 'understood' }, step.understood.message) : null;
    const note = step.note ? el('p', { class: 'note' }, step.note) : null;
    if (step.type === 'ask') {
      guichetSays(understood, askNode(step), trail(step.trail, true));
    } else if (step.type === 'answer') {
      const sources = step.sources && step.sources.length
        ? el('div', { class: 'sources' }, el('h4', {}, 'Sources'), el('ul', {}, step.sources.map((s) => el('li', {}, inline(s)))))
        : null;
      guichetSays(el('h3', {}, 'Réponse'), markdown(step.text), sources, note, trail(step.trail, false),
        opts.feedback ? feedbackNode(conversation.id) : null);
    } else if (step.type === 'handoff') {
      const contact = step.contact || {};
      const facts = step.facts && step.facts.length
        ? el('div', { class: 'facts' }, el('h4', {}, 'Ce que je lui transmets'),
          el('ul', {}, step.facts.map((f) => el('li', {}, f.question + ' ' + f.value))))
        : null;
      guichetSays(el('div', { class: 'contact' },
        el('h3', {}, 'Je vous oriente vers ' + (contact.label || 'une personne')),
        step.message ? handoffMessage(step.message) : null,
        channelNodes(contact.channels)), facts, note, trail(step.trail, false),
        opts.feedback ? feedbackNode(conversation.id) : null,
        (conversation || opts.question) && !opts.replay ? transmitNode(step, opts.question) : null);
    }
    setHint(step);
    // An outcome ends the conversation; a question after it (« corriger »,
    // « recommencer ») takes it up again.
    if (conversation) conversation.done = step.type !== 'ask';
    if (!opts.replay) focusNext();
  }

  // ------------------------------------------------------------ topics

  function showTopics(list, intro) {
    freezeChoices();
    const group = el('div', { class: 'choices topics', role: 'group', 'aria-label': 'Sujets' });
    list.forEach((topic) => {
      group.append(el('button', { type: 'button', onclick: () => start(topic) }, topic.title));
    });
    guichetSays(el('p', { class: 'prompt' }, intro || 'Bonjour ! Posez votre question, ou choisissez un sujet :'), group);
    setHint(null);
    focusNext();
  }

  // While no topic is chosen, typed words narrow the buttons of the latest
  // list of topics by their titles (all of them again when none matches).
  function filterTopics(text) {
    const groups = log.querySelectorAll('.choices.topics');
    const group = groups[groups.length - 1];
    if (!group || group.querySelector('button:disabled')) return;
    const words = fold(text).split(/[^a-z0-9]+/).filter((w) => w.length >= 3);
    const buttons = Array.from(group.querySelectorAll('button'));
    const matches = (b) => words.some((w) => fold(b.textContent).includes(w));
    const shown = words.length && buttons.some(matches) ? buttons.filter(matches) : buttons;
    for (const b of buttons) b.hidden = !shown.includes(b);
    status.textContent = shown.length < buttons.length ? shown.length + ' sujet(s) correspondent à vos mots.' : '';
  }

  // Envoyer before a topic is chosen: a topic's number starts it; anything else
  // is a question for the server to route (docs/server.md): a topic starts, a
  // choice of topics is offered, or a person takes over.
  function askQuestion(text) {
    const number = parseInt(text, 10);
    if (String(number) === text.trim() && number >= 1 && number <= topics.length) {
      start(topics[number - 1]);
      return;
    }
    begin({ question: text, profile: {} }, null);
  }

  // The topics offered for an ambiguous question, and « Autre chose ».
  function showOffer(step, question) {
    freezeChoices();
    const group = el('div', { class: 'choices', role: 'group', 'aria-label': step.prompt });
    step.options.forEach((option) => {
      group.append(el('button', {
        type: 'button',
        onclick: (event) => {
          if (busy) return;
          event.currentTarget.classList.add('chosen');
          agentSays(option.label);
          begin({ topic: option.value, question, profile: {} }, null);
        },
      }, option.label));
    });
    guichetSays(el('p', { class: 'prompt' }, step.prompt), group);
    setHint(null);
    focusNext();
  }

  // What the router understood of a question that started a topic, with the
  // facts the first step took from it (« J'ai compris : … », correctable).
  function routedNode(routed, step) {
    if (!routed || !routed.topics || !routed.topics.length) return null;
    return [
      el('p', {}, 'Votre question porte sur : ' + routed.topics[0].title + '.'),
      step && step.understood ? el('p', { class: 'understood' }, step.understood.message) : null,
    ];
  }

  // POST /api/sessions with a topic, a question, or both; `shown` is what the agent said, if not yet shown.
  async function begin(body, shown) {
    if (busy) return;
    busy = true;
    if (shown) agentSays(shown);
    status.textContent = 'Envoi en cours…';
    if (previous) body.after = previous;
    const r = await api('POST', '/api/sessions', body);
    if (!r.ok) previous = null;
    busy = false;
    status.textContent = '';
    const step = r.data && r.data.step;
    if (r.status === 201 && r.data) {
      conversation = { id: r.data.id, done: false };
      try { localStorage.setItem(KEY, r.data.id); } catch (e) { /* private mode */ }
      const routed = routedNode(r.data.routed, step);
      if (routed) guichetSays(routed);
      showStep(step, { feedback: true, understoodShown: !!routed });
    } else if (r.status === 200 && step && step.type === 'ask' && r.data.routed) {
      showOffer(step, body.question);
    } else if (r.status === 200 && step && step.type === 'ask') {
      showTopics(topics, 'Bonjour ! Quelle est votre question ? Vous pouvez aussi choisir un sujet :');
    } else if (r.status === 200 && step && step.type === 'handoff') {
      // No conversation behind it: nothing to give feedback on; the question can be transmitted.
      showStep(step, { feedback: false, question: body.question });
    } else if (r.data && r.data.error) {
      showError(r.data.error.message);
      if (r.data.step && r.data.step.type === 'ask') showTopics(topics, r.data.step.prompt);
      else focusNext();
    } else {
      showError('Le serveur ne répond pas. Réessayez dans un instant.');
      focusNext();
    }
  }

  function start(topic) {
    return begin({ topic: topic.id, profile: {} }, topic.title);
  }

  // ------------------------------------------------------------ replies

  async function send(text, shown) {
    const value = String(text).trim();
    if (busy || value === '') return;
    if (!conversation || (conversation.done && !/^(pourquoi|retour|recommencer|personne|corriger)/i.test(fold(value)))) {
      agentSays(shown || value);
      if (conversation && conversation.done) newTopic(false);
      askQuestion(value);
      return;
    }
    busy = true;
    agentSays(shown || value);
    status.textContent = 'Envoi en cours…';
    const why = fold(value) === 'pourquoi';
    const r = await api('POST', '/api/sessions/' + conversation.id + '/replies', { text: value });
    busy = false;
    status.textContent = '';
    if (r.ok && r.data) {
      const step = r.data.step;
      if (why && step.type !== 'ask') {
        const entries = step.trail || [];
        guichetSays(el('p', {}, entries.length ? 'Voici les règles appliquées :' : 'Aucune règle n\'a encore été appliquée.'), trail(entries, true));
        focusNext();
      } else {
        const wasDone = conversation.done;
        showStep(step, { feedback: !wasDone || step.type !== 'ask' });
      }
    } else if (r.data && r.data.error) {
      showError(r.data.error.message);
      if (r.data.step && r.data.step.type === 'ask') showStep(r.data.step);
      else focusNext();
      if (r.status === 404) forget();
    } else {
      showError('Le serveur ne répond pas. Réessayez dans un instant.');
      focusNext();
    }
  }

  function forget() {
    conversation = null;
    try { localStorage.removeItem(KEY); } catch (e) { /* private mode */ }
  }

  function newTopic(show) {
    const finished = conversation && conversation.id;
    forget();
    previous = finished || null;
    if (show !== false) showTopics(topics, 'Quel est le sujet de votre nouvelle question ?');
  }

  input.addEventListener('input', () => {
    if (!conversation || conversation.done) filterTopics(input.value);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value;
    input.value = '';
    send(text);
  });
  document.getElementById('pourquoi').addEventListener('click', () => {
    if (conversation) send('pourquoi', 'Pourquoi ?');
    else showTopics(topics, 'Choisissez d\'abord un sujet : je vous expliquerai ensuite chaque réponse.');
  });
  document.getElementById('personne').addEventListener('click', () => {
    if (conversation) send('personne', 'Parler à une personne');
    else showTopics(topics, 'Choisissez d\'abord un sujet : je vous orienterai vers la bonne personne, qui saura ce que vous m\'avez déjà dit.');
  });
  document.getElementById('retour').addEventListener('click', () => {
    if (conversation) send('retour', 'Question précédente');
  });
  document.getElementById('nouveau').addEventListener('click', () => newTopic(true));

  // ------------------------------------------------------------ requests to a person
  // « Transmettre ma question à … » on a hand-off: POST /api/sessions/{id}/request sends the
  // question, what was gathered and the agent's message to the contact; the reply shows here
  // when it comes (GET /api/sessions/{id}, looked at every few seconds while one is awaited).

  const REQUEST_POLL_MS = 5000;
  let requestPoll = null;
  const requestsShown = {}; // request id -> 'open' | 'answered'

  function frenchDate(iso) {
    const [y, m, d] = String(iso).split('-');
    return d + '/' + m + '/' + y;
  }

  // « à » before a contact's label: « au service paie », « à la direction… ».
  function toLabel(label) {
    if (label.startsWith('le ')) return 'au ' + label.slice(3);
    if (label.startsWith('les ')) return 'aux ' + label.slice(4);
    return 'à ' + label;
  }

  function requestNode(request) {
    const label = request.contact_label || request.contact;
    if (request.status === 'answered') {
      return el('div', { class: 'request-reply' },
        el('h3', {}, 'Réponse de ' + label), markdown(request.reply));
    }
    return el('p', { class: 'request-sent' }, 'Votre question a été transmise ' + toLabel(label)
      + '. Réponse attendue au plus tard le ' + frenchDate(request.due) + ' : elle s\'affichera ici.');
  }

  function showRequest(request) {
    if (requestsShown[request.id] === request.status) return;
    requestsShown[request.id] = request.status;
    guichetSays(requestNode(request));
    if (request.status === 'open') watchRequests();
  }

  function watchRequests() {
    if (requestPoll || !conversation) return;
    const id = conversation.id;
    requestPoll = setInterval(async () => {
      if (!conversation || conversation.id !== id) { clearInterval(requestPoll); requestPoll = null; return; }
      const r = await api('GET', '/api/sessions/' + encodeURIComponent(id));
      if (!r.ok || !r.data) return;
      (r.data.requests || []).forEach(showRequest);
      if (!(r.data.requests || []).some((q) => q.status === 'open')) { clearInterval(requestPoll); requestPoll = null; }
    }, REQUEST_POLL_MS);
  }

  // With `question` (a question no topic matched, no conversation yet), POST /api/requests
  // makes the conversation the reply will show on.
  function transmitNode(step, question) {
    const id = conversation ? conversation.id : null;
    const label = (step.contact && step.contact.label) || 'une personne';
    const n = log.children.length;
    const message = el('textarea', { id: 'transmettre-message-' + n, rows: 3, maxlength: 2000 });
    const email = el('input', { id: 'transmettre-courriel-' + n, type: 'email', autocomplete: 'email' });
    const problem = el('p', { class: 'error', role: 'alert' });
    const box = el('form', { class: 'transmit', 'aria-label': 'Transmettre ma question' },
      el('label', { for: message.id }, 'Votre message pour ' + label + ' (facultatif)'), message,
      el('label', { for: email.id }, 'Votre adresse électronique, pour recevoir aussi la réponse par courriel (facultatif)'), email,
      el('button', { type: 'submit', class: 'primary' }, 'Transmettre ma question ' + toLabel(label)), problem);
    box.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = { message: message.value };
      if (email.value.trim()) body.email = email.value.trim();
      if (!id) body.question = question;
      const r = id
        ? await api('POST', '/api/sessions/' + encodeURIComponent(id) + '/request', body)
        : await api('POST', '/api/requests', body);
      if (r.status === 201 && r.data) {
        if (!id) {
          conversation = { id: r.data.id, done: true };
          try { localStorage.setItem(KEY, r.data.id); } catch (e) { /* private mode */ }
        }
        requestsShown[r.data.request.id] = 'open';
        box.replaceWith(requestNode(Object.assign({ contact_label: label }, r.data.request)));
        watchRequests();
      } else {
        problem.textContent = r.data && r.data.error ? r.data.error.message : 'Le serveur ne répond pas. Réessayez dans un instant.';
      }
    });
    return box;
  }

  // On resume: each request's state; the form again if the hand-off has none yet.
  function showRequests(requests, step) {
    requests.forEach(showRequest);
    if (!requests.length && step && step.type === 'handoff') guichetSays(transmitNode(step));
  }

  // ------------------------------------------------------------ start

  async function resume(id) {
    const r = await api('GET', '/api/sessions/' + encodeURIComponent(id));
    if (!r.ok || !r.data) return false;
    conversation = { id, done: false };
    guichetSays(el('p', {}, 'Reprise de votre conversation : ' + (r.data.topic_title || r.data.topic) + '.'));
    const turns = r.data.transcript || [];
    turns.forEach((turn, i) => {
      if (turn.who === 'agent') agentSays(String(turn.text));
      else if (turn.step) {
        const last = i === turns.length - 1;
        showStep(turn.step, { replay: true, feedback: last && r.data.helpful === null });
      }
    });
    conversation.done = r.data.done;
    showRequests(r.data.requests || [], r.data.step);
    setHint(r.data.step);
    focusNext();
    return true;
  }

  async function boot() {
    const r = await api('GET', '/api/topics');
    topics = r.ok && r.data ? r.data.topics : [];
    let saved = null;
    try { saved = localStorage.getItem(KEY); } catch (e) { saved = null; }
    if (saved && await resume(saved)) return;
    forget();
    if (!topics.length) {
      showError('Le service est momentanément indisponible. Réessayez dans un instant.');
      return;
    }
    showTopics(topics);
  }

  boot();
})();
