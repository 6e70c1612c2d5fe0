// Guichet RH: the web chat. Talks to the JSON API of `guichet serve`
// (docs/server.md); renders the step objects of docs/protocol.md.
// Everything shown is built with DOM nodes and textContent: text from the
// rules or from the agent is never parsed as HTML.
//
// Shared computers: the conversation id lives in sessionStorage (gone when
// the tab closes), a finished conversation is never resumed, « Terminer et
// effacer » deletes it on the server, and the page clears itself after the
// inactivity delay of `guichet serve --idle-minutes` (a warning a minute before).
//
// One small function a piece of the page (a message, a button row, a card):
// a new piece is a function returning nodes, given to `guichetSays`.
'use strict';

(function () {
  const KEY = 'guichet.conversation';
  const log = document.getElementById('log');
  const scroller = document.getElementById('defilement');
  const form = document.getElementById('composer');
  const input = document.getElementById('reponse');
  const hint = document.getElementById('indication');
  const announcer = document.getElementById('annonce');
  const idleBox = document.getElementById('inactivite');
  const idleSeconds = Number(document.body.dataset.idleSeconds) || 0;
  const phone = window.matchMedia('(pointer: coarse)').matches;
  let conversation = null; // { id, done }
  let previous = null; // id of the conversation finished before this one: its facts carry over
  const visit = new Set(); // every conversation of this visit, erased together
  let topics = [];
  let busy = false;
  let retry = null; // the request that failed for want of a server

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

  function shorten(text, max) {
    const t = String(text);
    return t.length > max ? t.slice(0, max).trimEnd() + '…' : t;
  }

  const storage = {
    get() { try { return sessionStorage.getItem(KEY); } catch (e) { return null; } },
    set(id) { try { sessionStorage.setItem(KEY, id); } catch (e) { /* private mode */ } },
    clear() {
      try { sessionStorage.removeItem(KEY); localStorage.removeItem(KEY); } catch (e) { /* private mode */ }
    },
  };

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

  // Screen readers hear new messages through this one polite region, once.
  function announce(text) {
    announcer.textContent = '';
    window.setTimeout(() => { announcer.textContent = text; }, 50);
  }

  function add(kind, ...children) {
    const item = el('li', { class: 'msg ' + kind }, children);
    log.append(item);
    return item;
  }

  // Brings a new message's first line into view; focus goes to `target`.
  function reveal(item, target) {
    item.scrollIntoView({ block: 'start' });
    if (target) target.focus({ preventScroll: true });
  }

  function agentSays(text) {
    add('agent', el('span', { class: 'visually-hidden' }, 'Vous : '), el('p', {}, shorten(text, 300)));
  }

  function guichetSays(...children) {
    return add('guichet', el('span', { class: 'visually-hidden' }, 'Guichet : '), children);
  }

  function showError(message, again) {
    const item = add('error', el('p', {}, message),
      again ? el('button', { type: 'button', onclick: () => { item.remove(); again(); } }, 'Réessayer') : null);
    announce(message);
    reveal(item, again ? item.querySelector('button') : input);
  }

  function unreachable(again) {
    const hr = document.querySelector('.footer-contact a[href^="tel:"]');
    showError('Le serveur ne répond pas. Réessayez dans un instant' +
      (hr ? ', ou appelez la direction des ressources humaines au ' + hr.textContent : '') + '.', again);
  }

  // « Le guichet prépare sa réponse… » while a request is on its way.
  function typing(on) {
    const shown = log.querySelector('.typing');
    log.setAttribute('aria-busy', on ? 'true' : 'false');
    if (on && !shown) add('typing', el('p', {}, 'Le guichet prépare sa réponse…'));
    if (!on && shown) shown.remove();
  }

  function freezeChoices() {
    for (const b of log.querySelectorAll('.choices button')) b.disabled = true;
  }

  // Light markdown: blank lines separate paragraphs, `- ` lines are list items,
  // [texte](https://…) is a link (opening a new window, and saying so). Anything else stays text.
  function inline(text) {
    const nodes = [];
    const link = /\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/g;
    let at = 0;
    let m;
    while ((m = link.exec(text)) !== null) {
      nodes.push(text.slice(at, m.index));
      nodes.push(outLink(m[2], m[1]));
      at = m.index + m[0].length;
    }
    nodes.push(text.slice(at));
    return nodes.filter((n) => n !== '');
  }

  function outLink(href, text) {
    return el('a', { href, rel: 'noopener noreferrer', target: '_blank' },
      text, el('span', { class: 'visually-hidden' }, ' (nouvelle fenêtre)'));
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

  // ------------------------------------------------------------ pieces of messages

  // The plain « pourquoi »: what the agent told, the rule that applies, its sources.
  function whyNode(why, open) {
    if (!why) return null;
    const facts = why.facts || [];
    return el('details', { class: 'why', open },
      el('summary', {}, 'Pourquoi cette réponse ?'),
      facts.length
        ? [el('p', {}, 'Vous avez indiqué :'), el('ul', {}, facts.map(factItem))]
        : el('p', {}, 'Vous ne m\'avez encore rien indiqué.'),
      el('p', {}, 'La règle qui s\'applique : ' + why.rule),
      why.sources && why.sources.length
        ? [el('p', {}, why.sources.length > 1 ? 'Sources :' : 'Source :'), el('ul', {}, why.sources.map((s) => el('li', {}, inline(s))))]
        : null);
  }

  function factItem(f) {
    const from = { profile: ' (d\'après votre profil)', extracted: ' (d\'après votre question)', earlier: ' (d\'après un sujet précédent)' }[f.provenance] || '';
    return el('li', {}, f.question + ' ', el('strong', {}, f.value), from);
  }

  function sourcesNode(sources) {
    if (!sources || !sources.length) return null;
    return el('div', { class: 'sources' }, el('h4', {}, 'Sources'), el('ul', {}, sources.map((s) => el('li', {}, inline(s)))));
  }

  // « Copier la réponse » and « Imprimer la réponse » for the message `item`.
  function toolsNode() {
    const copy = (event) => {
      const item = event.currentTarget.closest('.msg');
      const text = item.querySelector('.body').innerText;
      const done = () => announce('Réponse copiée.');
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, () => copyByHand(text, done));
      else copyByHand(text, done);
    };
    const print = (event) => {
      const item = event.currentTarget.closest('.msg');
      item.classList.add('to-print');
      document.body.classList.add('print-one');
      window.print(); // returns once the print dialog is closed
      printedAll();
    };
    return el('div', { class: 'tools' },
      el('button', { type: 'button', onclick: copy }, 'Copier la réponse'),
      el('button', { type: 'button', onclick: print }, 'Imprimer la réponse'));
  }

  function copyByHand(text, done) {
    const area = el('textarea', { class: 'visually-hidden', 'aria-hidden': 'true', tabindex: '-1' });
    area.value = text;
    document.body.append(area);
    area.select();
    try { document.execCommand('copy'); done(); } catch (e) { /* nothing to copy with */ }
    area.remove();
  }

  // Back to printing the whole conversation.
  function printedAll() {
    document.body.classList.remove('print-one');
    for (const m of log.querySelectorAll('.to-print')) m.classList.remove('to-print');
  }
  window.addEventListener('afterprint', printedAll);

  // Numbered buttons: the number is what the agent may type instead.
  function choiceButtons(label, options, onChoose) {
    const group = el('div', { class: 'choices', role: 'group', 'aria-label': label });
    options.forEach((option, i) => {
      group.append(el('button', {
        type: 'button',
        onclick: (event) => {
          if (busy) return;
          event.currentTarget.classList.add('chosen');
          onChoose(option);
        },
      }, el('span', { class: 'number' }, (i + 1) + '.'), ' ', option.label || option.title));
    });
    return group;
  }

  function askNode(step) {
    const parts = [el('p', { class: 'prompt' }, step.prompt)];
    if (step.options && step.options.length) {
      parts.push(choiceButtons(step.prompt, step.options, (option) => send(option.value, option.label)));
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
      else if (key === 'web' && /^https?:\/\//.test(value)) shown = outLink(value, value);
      rows.push(el('dt', {}, words[key]), el('dd', {}, shown));
    }
    return rows.length ? el('dl', {}, rows) : null;
  }

  function contactNode(step) {
    const contact = step.contact || {};
    return el('div', { class: 'contact' },
      el('h3', {}, 'Je vous oriente vers ' + (contact.label || 'une personne')),
      step.message ? handoffMessage(step.message) : null,
      channelNodes(contact.channels));
  }

  function factsNode(facts) {
    if (!facts || !facts.length) return null;
    return el('div', { class: 'facts' }, el('h4', {}, 'Ce que je lui transmets'),
      el('ul', {}, facts.map((f) => el('li', {}, f.question + ' ', el('strong', {}, f.value)))));
  }

  // ------------------------------------------------------------ steps

  function setHint(step) {
    let text = '';
    if (step && step.type === 'ask') {
      const pick = phone ? 'Touchez une réponse' : 'Choisissez une réponse';
      if (step.kind === 'choice') text = pick + ', ou tapez son numéro ou ses mots.';
      else if (step.kind === 'yesno') text = 'Répondez oui ou non.';
      else if (step.kind === 'date') text = 'Une date au format jj/mm/aaaa.';
      else if (step.kind === 'number') {
        const unit = step.unit ? ' ' + step.unit : '';
        if (step.min !== undefined && step.max !== undefined) text = 'Un nombre entre ' + step.min + ' et ' + step.max + unit + '.';
        else text = 'Un nombre' + (unit ? ' (en' + unit + ')' : '') + '.';
      } else text = 'Répondez librement.';
    } else if (step) {
      text = 'Conversation terminée. Posez une autre question, ou choisissez « Terminer et effacer ».';
    } else {
      text = 'Posez votre question en quelques mots, ou tapez le numéro d\'un sujet.';
    }
    hint.textContent = text;
  }

  // What was taken from the question or an earlier topic, and how to correct it (« corriger »).
  function understoodNode(understood) {
    return understood ? el('p', { class: 'understood' }, understood.message) : null;
  }

  // The sentence saying which facts an outcome assumed (not asked in this topic).
  function noteNode(note) {
    return note ? el('p', { class: 'note' }, note) : null;
  }

  // The message for a step (question, answer or hand-off).
  function stepNodes(step, opts) {
    if (step.type === 'ask') return [opts.understoodShown ? null : understoodNode(step.understood), askNode(step)];
    const feedback = opts.feedback && conversation ? feedbackNode(conversation.id) : null;
    if (step.type === 'answer') {
      return [el('div', { class: 'body' }, el('h3', {}, 'Réponse'), markdown(step.text), sourcesNode(step.sources), noteNode(step.note)),
        whyNode(step.why, false), toolsNode(), feedback];
    }
    return [el('div', { class: 'body' }, contactNode(step), factsNode(step.facts), noteNode(step.note)),
      whyNode(step.why, false), toolsNode(), feedback,
      (conversation || opts.question) && !opts.replay ? transmitNode(step, opts.question) : null];
  }

  // What a screen reader hears of a step: its question, or the first sentence of its answer.
  function summary(step) {
    if (step.type === 'ask') return step.prompt;
    if (step.type === 'answer') return 'Réponse : ' + String(step.text || '').split(/(?<=[.!?])\s/)[0];
    return 'Je vous oriente vers ' + ((step.contact && step.contact.label) || 'une personne') + '.';
  }

  // Shows a step; `replay` when rebuilding a conversation (no focus, no announcement).
  function showStep(step, options) {
    const opts = options || {};
    freezeChoices();
    const item = guichetSays(stepNodes(step, opts));
    setHint(step);
    // An outcome ends the conversation (never resumed, unless a request to a person awaits
    // its reply); a question after it (« corriger », « recommencer ») takes it up again.
    if (conversation) {
      conversation.done = step.type !== 'ask';
      if (conversation.done) storage.clear();
      else storage.set(conversation.id);
    }
    if (opts.replay) return item;
    announce(summary(step));
    const choice = item.querySelector('.choices button:not(:disabled)');
    if (step.type === 'ask') reveal(item, choice || input);
    else {
      item.setAttribute('tabindex', '-1');
      reveal(item, item);
    }
    return item;
  }

  // ------------------------------------------------------------ topics

  function showTopics(list, intro, focus) {
    freezeChoices();
    const prompt = intro || 'Bonjour ! Posez votre question, ou choisissez un sujet :';
    const group = choiceButtons('Sujets', list, start);
    group.classList.add('topics');
    const item = guichetSays(el('p', { class: 'prompt' }, prompt), group);
    setHint(null);
    if (focus !== false) {
      announce(prompt);
      reveal(item, group.querySelector('button'));
    }
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
    if (shown.length < buttons.length) announce(shown.length + ' sujet(s) correspondent à vos mots.');
  }

  // Envoyer before a topic is chosen: a topic's number starts it; anything else
  // is a question for the server to route (docs/server.md): a topic starts, a
  // choice of topics is offered, or a person takes over.
  function askQuestion(text) {
    const number = parseInt(text, 10);
    if (String(number) === text.trim() && number >= 1 && number <= topics.length) {
      return start(topics[number - 1]);
    }
    return begin({ question: text, profile: {} }, null);
  }

  // The topics offered for an ambiguous question, and « Autre chose ».
  function showOffer(step, question) {
    freezeChoices();
    const group = choiceButtons(step.prompt, step.options, (option) => {
      agentSays(option.label);
      begin({ topic: option.value, question, profile: {} }, null);
    });
    const item = guichetSays(el('p', { class: 'prompt' }, step.prompt), group);
    setHint(step);
    announce(step.prompt);
    reveal(item, group.querySelector('button'));
  }

  // What the router understood of a question that started a topic, with the
  // facts the first step took from it (« J'ai compris : … », correctable).
  function routedNode(routed, step) {
    if (!routed || !routed.topics || !routed.topics.length) return null;
    return [
      el('p', {}, 'Votre question porte sur : ' + routed.topics[0].title + '.'),
      understoodNode(step && step.understood),
    ];
  }

  // The HR contact of the page (the rules' fallback), before any topic.
  function showHrContact() {
    const template = document.getElementById('contact-rh');
    const card = el('div', { class: 'contact' },
      el('h3', {}, 'Parler à une personne'),
      el('p', {}, 'La direction des ressources humaines vous répondra. Pour qu\'elle sache déjà de quoi il s\'agit, vous pouvez aussi d\'abord poser votre question ici.'),
      template ? template.content.cloneNode(true) : null);
    const item = guichetSays(card);
    item.setAttribute('tabindex', '-1');
    announce('Coordonnées de la direction des ressources humaines.');
    reveal(item, item);
  }

  // ------------------------------------------------------------ requests

  // Runs `work` (a request) with the typing indicator; none while another is on its way.
  async function request(work) {
    if (busy) return;
    busy = true;
    typing(true);
    try { await work(); } finally {
      busy = false;
      typing(false);
    }
  }

  // POST /api/sessions with a topic, a question, or both; `shown` is what the agent said, if not yet shown.
  function begin(body, shown) {
    if (shown) agentSays(shown);
    return request(async () => {
      if (previous) body.after = previous;
      const r = await api('POST', '/api/sessions', body);
      if (!r.ok) previous = null;
      const step = r.data && r.data.step;
      if (r.status === 201 && r.data) {
        conversation = { id: r.data.id, done: false };
        visit.add(r.data.id);
        storage.set(r.data.id);
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
      } else {
        unreachable(() => begin(body, null));
      }
    });
  }

  function start(topic) {
    return begin({ topic: topic.id, profile: {} }, topic.title);
  }

  // ------------------------------------------------------------ replies

  // Sends what the agent typed or chose; `typed` is restored in the field if the server is unreachable.
  function send(text, shown, typed) {
    const value = String(text).trim();
    if (busy || value === '') return;
    if (!conversation || (conversation.done && !/^(pourquoi|retour|recommencer|personne|corriger)/i.test(fold(value)))) {
      agentSays(shown || value);
      if (conversation && conversation.done) finishTopic();
      askQuestion(value);
      return;
    }
    agentSays(shown || value);
    reply(value, typed);
  }

  function reply(value, typed) {
    const why = fold(value) === 'pourquoi';
    return request(async () => {
      const r = await api('POST', '/api/sessions/' + conversation.id + '/replies', { text: value });
      if (r.ok && r.data) {
        const step = r.data.step;
        if (why) showWhy(step);
        else showStep(step, { feedback: !conversation.done || step.type !== 'ask' });
      } else if (r.data && r.data.error) {
        showError(r.data.error.message);
        if (r.status === 404) forget();
        else if (r.data.step && r.data.step.type === 'ask') showStep(r.data.step);
      } else {
        if (typed && input.value === '') input.value = typed;
        unreachable(() => reply(value, null));
      }
    });
  }

  // The answer to « Pourquoi ? »: the plain explanation, open.
  function showWhy(step) {
    const item = guichetSays(whyNode(step.why, true) || el('p', {}, 'Aucune règle n\'a encore été appliquée.'));
    item.setAttribute('tabindex', '-1');
    announce('Pourquoi : ' + ((step.why && step.why.rule) || ''));
    reveal(item, item);
  }

  function forget() {
    conversation = null;
    storage.clear();
  }

  // Leaves the current topic; what it knows carries over to the next one.
  function finishTopic() {
    const finished = conversation && conversation.id;
    forget();
    previous = finished || null;
  }

  function newTopic() {
    finishTopic();
    showTopics(topics, 'Quel est le sujet de votre nouvelle question ?');
  }

  // « Terminer et effacer »: every conversation of the visit deleted on the server, gone
  // from the screen and the browser; nothing carries over to the next person.
  async function erase(reason) {
    if (conversation) visit.add(conversation.id);
    forget();
    previous = null;
    const ids = Array.from(visit);
    visit.clear();
    await Promise.all(ids.map((id) => api('DELETE', '/api/sessions/' + encodeURIComponent(id))));
    log.replaceChildren();
    input.value = '';
    hideIdle();
    showTopics(topics, reason + ' Bonjour ! Posez votre question, ou choisissez un sujet :', false);
    announce(reason);
    scroller.scrollTop = 0;
    input.focus();
  }

  // ------------------------------------------------------------ inactivity

  let idleTimer = null;
  let warnTimer = null;

  function hideIdle() { idleBox.hidden = true; }

  function watchIdle() {
    if (!idleSeconds) return;
    window.clearTimeout(idleTimer);
    window.clearTimeout(warnTimer);
    hideIdle();
    const delay = idleSeconds * 1000;
    warnTimer = window.setTimeout(() => { if (log.querySelector('.agent')) idleBox.hidden = false; }, Math.max(delay - 60000, 0));
    idleTimer = window.setTimeout(() => {
      if (log.querySelector('.agent')) erase('Conversation effacée après ' + document.body.dataset.idleWords + ' sans activité.');
    }, delay);
  }

  for (const kind of ['keydown', 'pointerdown', 'input']) document.addEventListener(kind, watchIdle, { passive: true });
  document.getElementById('continuer').addEventListener('click', () => { watchIdle(); input.focus(); });

  // ------------------------------------------------------------ the form and the actions

  input.addEventListener('input', () => {
    if (!conversation || conversation.done) filterTopics(input.value);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (busy) return; // the text stays in the field until it can be sent
    const text = input.value;
    input.value = '';
    send(text, null, text);
  });
  document.getElementById('pourquoi').addEventListener('click', () => {
    if (conversation) send('pourquoi', 'Pourquoi ?');
    else showTopics(topics, 'Choisissez d\'abord un sujet : je vous expliquerai ensuite chaque réponse.');
  });
  document.getElementById('personne').addEventListener('click', () => {
    if (conversation && !conversation.done) send('personne', 'Parler à une personne');
    else showHrContact();
  });
  document.getElementById('retour').addEventListener('click', () => {
    if (conversation) send('retour', 'Question précédente');
    else announce('Il n\'y a pas de question précédente.');
  });
  document.getElementById('nouveau').addEventListener('click', newTopic);
  document.getElementById('effacer').addEventListener('click', () => erase('Conversation effacée.'));

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
    if (request.status === 'answered') announce('Réponse de ' + (request.contact_label || request.contact) + '.');
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
          visit.add(r.data.id);
        }
        storage.set(conversation.id); // a reload shows the reply when it comes
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

  // An agent's turn as it was shown: the label of the option chosen, not its value.
  function shownTurn(text, asked) {
    const options = asked && asked.type === 'ask' ? asked.options || [] : [];
    const folded = fold(text.trim());
    const byValue = options.find((o) => fold(o.value) === folded);
    const number = parseInt(folded, 10);
    if (byValue) return byValue.label;
    if (String(number) === folded && options[number - 1]) return options[number - 1].label;
    return text;
  }

  async function resume(id) {
    const r = await api('GET', '/api/sessions/' + encodeURIComponent(id));
    const awaited = (r.data && r.data.requests) || [];
    if (!r.ok || !r.data || (r.data.done && !awaited.length)) return false;
    conversation = { id, done: false };
    visit.add(id);
    guichetSays(el('p', {}, 'Reprise de votre conversation : ' + (r.data.topic_title || r.data.topic) + '.'));
    let last = null;
    for (const turn of r.data.transcript || []) {
      if (turn.who === 'agent') agentSays(shownTurn(String(turn.text), last));
      else if (turn.step) {
        showStep(turn.step, { replay: true });
        last = turn.step;
      }
    }
    conversation.done = r.data.done;
    showRequests(awaited, r.data.step);
    setHint(r.data.step);
    return true;
  }

  async function boot() {
    const r = await api('GET', '/api/topics');
    topics = r.ok && r.data ? r.data.topics : [];
    const saved = storage.get();
    if (saved && await resume(saved)) return;
    forget();
    if (!topics.length) {
      unreachable(() => { log.replaceChildren(); boot(); });
      return;
    }
    // On load the focus stays at the top of the page: the skip link comes first.
    showTopics(topics, null, false);
  }

  watchIdle();
  boot();
})();
