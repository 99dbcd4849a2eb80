// The sandbox page: shows what the bot sent, and sends what a person does back through the sandbox.
"use strict";

const STATEFUL = ["plain_text_input", "static_select", "checkboxes", "radio_buttons"];
const $ = (id) => document.getElementById(id);

const page = {
  user: localStorage.getItem("sandbox-user") || "U0EMPLOYEE",
  conv: null,
  version: -1,
  data: null,
  poller: null,
  shown: new Map(), // message key -> {el, rev}
  modal: { id: null, rev: null },
  home: { rev: null },
};

// -- talking to the sandbox ------------------------------------------------------------------

async function post(verb, body) {
  const reply = await fetch(`/sandbox/api/${verb}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user: page.user, ...body }),
  });
  const answer = reply.ok ? await reply.json() : { ok: false, error: `HTTP ${reply.status}` };
  if (!answer.ok) toast(answer.error);
  return answer;
}

async function poll(controller) {
  while (!controller.signal.aborted) {
    try {
      const url = `/sandbox/api/state?user=${encodeURIComponent(page.user)}&since=${page.version}`;
      const reply = await fetch(url, { signal: controller.signal });
      const data = await reply.json();
      page.version = data.version;
      page.data = data;
      render();
      refreshDirectory();
    } catch (err) {
      if (controller.signal.aborted) return;
      console.error("sandbox: could not show the workspace", err);
      await new Promise((done) => setTimeout(done, 1000));
    }
  }
}

function restart() {
  if (page.poller) page.poller.abort();
  page.version = -1;
  page.shown.clear();
  $("timeline").replaceChildren();
  page.modal = { id: null, rev: null };
  page.home = { rev: null };
  $("overlay").hidden = true;
  $("modal-host").replaceChildren();
  page.poller = new AbortController();
  poll(page.poller);
}

function toast(text) {
  const el = $("toast");
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 6000);
}

// -- rendering -------------------------------------------------------------------------------

function render() {
  const data = page.data;
  if (!page.conv || (page.conv !== "home" && !data.conversations.some((c) => c.id === page.conv))) {
    const dm = data.conversations.find((c) => c.kind === "im");
    page.conv = dm ? dm.id : data.conversations[0].id;
  }
  renderWho(data);
  renderSidebar(data);
  const home = page.conv === "home";
  $("timeline").hidden = home;
  $("home").hidden = !home;
  $("composer").hidden = home;
  if (home) renderHome(data); else renderTimeline(data);
  renderModal(data);
  renderLog(data);
}

function renderWho(data) {
  const who = $("who");
  if (who.options.length === data.people.length) return;
  who.replaceChildren(...data.people.map((p) => {
    const what = p.role === "admin" ? "IT admin" : p.privileged ? `${p.title}, needs two admins` : p.title;
    const option = new Option(`${p.name} (${what})`, p.id);
    option.selected = p.id === page.user;
    return option;
  }));
}

function renderSidebar(data) {
  const link = (c) => {
    const a = document.createElement("a");
    a.href = `#${c.id}`;
    a.className = "sb-conv" + (page.conv === c.id ? " sb-current" : "");
    a.dataset.conv = c.id;
    a.textContent = c.kind === "im" ? c.name : `${c.kind === "private" ? "🔒" : "#"} ${c.name}`;
    return a;
  };
  $("channels").replaceChildren(...data.conversations.filter((c) => c.kind !== "im").map(link));
  $("dms").replaceChildren(...data.conversations.filter((c) => c.kind === "im").map(link));
  $("conv-home").classList.toggle("sb-current", page.conv === "home");
  const conv = data.conversations.find((c) => c.id === page.conv);
  $("conv-title").textContent = page.conv === "home" || !conv ? "mfa-helper · Home"
    : conv.kind === "im" ? `${conv.name} (direct message)` : `#${conv.name}`;
  $("text").placeholder = conv && conv.kind === "im"
    ? "Message mfa-helper, or type /mfa-help" : "Type /mfa-help or /mfa-admin pending";
}

function itemsOf(data) {
  const items = (data.messages[page.conv] || []).map((m) => ({ ...m, kind: "message" }));
  for (const e of data.ephemerals) if (e.channel === page.conv) items.push({ ...e, kind: "ephemeral" });
  items.sort((a, b) => Number(a.ts) - Number(b.ts));
  return items;
}

function renderTimeline(data) {
  const timeline = $("timeline");
  const items = itemsOf(data);
  const wanted = new Set(items.map((i) => i.key));
  for (const [key, entry] of page.shown) {
    if (!wanted.has(key) || entry.conv !== page.conv) { entry.el.remove(); page.shown.delete(key); }
  }
  let added = false;
  let previous = null;
  for (const item of items) {
    let entry = page.shown.get(item.key);
    const thread = (item.replies || []).map((r) => `${r.ts}:${r.rev}`).join(",");
    if (!entry) {
      entry = { el: messageElement(item), rev: item.rev, thread, conv: page.conv };
      page.shown.set(item.key, entry);
      added = true;
    } else if (entry.rev !== item.rev) {
      // An update replaces what the message shows (as in Slack, its inputs start again from
      // the new message); an open thread stays open.
      const open = isThreadOpen(entry.el);
      const fresh = messageElement(item, open);
      entry.el.replaceWith(fresh);
      Object.assign(entry, { el: fresh, rev: item.rev, thread });
      fresh.classList.add("sb-flash");
    } else if (entry.thread !== thread) {
      // Only the thread changed: the message and what was ticked on it stay as they are.
      replaceThread(entry.el, item, isThreadOpen(entry.el));
      entry.thread = thread;
    }
    const after = previous ? previous.nextSibling : timeline.firstChild;
    if (after !== entry.el) timeline.insertBefore(entry.el, after);
    previous = entry.el;
  }
  if (added) timeline.scrollTop = timeline.scrollHeight;
  highlightPermalink();
}

function isThreadOpen(el) {
  const thread = el.querySelector(":scope > .sb-content > .sb-thread");
  return Boolean(thread && thread.open);
}

function replaceThread(el, item, open) {
  const old = el.querySelector(":scope > .sb-content > .sb-thread");
  if (old) old.remove();
  const replies = item.replies || [];
  if (!replies.length) return;
  const thread = document.createElement("details");
  thread.className = "sb-thread";
  thread.open = open;
  thread.innerHTML = `<summary>${replies.length} ${replies.length === 1 ? "reply" : "replies"}</summary>`;
  for (const reply of replies) thread.append(messageElement({ ...reply, kind: "message" }));
  el.querySelector(".sb-content").append(thread);
}

function messageElement(item, threadOpen = false) {
  const el = document.createElement("article");
  el.className = `sb-msg sb-${item.kind}`;
  el.dataset.key = item.key;
  el.dataset.place = item.kind;
  el.dataset.channel = item.channel;
  el.dataset.ts = item.ts;
  if (item.kind === "ephemeral") el.dataset.id = item.id;
  const name = item.kind === "ephemeral" ? "mfa-helper" : item.author_name;
  const when = new Date(Number(item.ts) * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  el.innerHTML = `
    <div class="sb-avatar${item.bot || item.kind === "ephemeral" ? " sb-bot" : ""}">${initials(name)}</div>
    <div class="sb-content">
      <div class="sb-meta"><b>${escapeHtml(name)}</b>${item.bot || item.kind === "ephemeral" ? '<span class="sb-app-tag">APP</span>' : ""}
        <time>${when}</time>${item.edited ? '<span class="sb-edited">(updated)</span>' : ""}
        ${item.kind === "ephemeral" ? '<span class="sb-only-you">Only visible to you</span> <button type="button" class="sb-dismiss" data-dismiss>Dismiss</button>' : ""}
      </div>
      <div class="sb-body">${item.html}</div>
    </div>`;
  replaceThread(el, item, threadOpen);
  return el;
}

function renderHome(data) {
  const host = $("home");
  if (!data.home) {
    if (page.home.rev !== "none") host.innerHTML = '<p class="sb-note">Opening the Home tab…</p>';
    page.home.rev = "none";
    return;
  }
  if (page.home.rev === data.home.rev) return;
  host.innerHTML = data.home.html;
  page.home.rev = data.home.rev;
}

function renderModal(data) {
  const overlay = $("overlay");
  const host = $("modal-host");
  const modal = data.modal;
  if (!modal) {
    overlay.hidden = true;
    host.replaceChildren();
    page.modal = { id: null, rev: null };
    return;
  }
  if (page.modal.id === modal.id && page.modal.rev === modal.rev) return;
  const kept = page.modal.id === modal.id ? collectState(host) : {};
  host.dataset.id = modal.id;
  host.innerHTML = modal.html;
  restoreState(host, kept);
  overlay.hidden = false;
  page.modal = { id: modal.id, rev: modal.rev };
  const first = host.querySelector(".bk-error") ? host.querySelector(".bk-error").closest(".bk-block").querySelector("input, textarea, select")
    : host.querySelector("input, textarea, select");
  if (first) first.focus();
}

function renderLog(data) {
  const unknown = data.log.filter((l) => l.kind === "unknown").length;
  const badge = $("unknown-count");
  badge.hidden = unknown === 0;
  badge.textContent = `${unknown} unknown`;
  const list = $("log");
  list.replaceChildren(...data.log.slice().reverse().map((line) => {
    const li = document.createElement("li");
    li.className = `sb-log-${line.kind}`;
    const at = new Date(line.at * 1000).toLocaleTimeString();
    li.textContent = `${at} ${line.kind === "unknown" ? "UNKNOWN METHOD " : line.kind === "refused" ? "refused: " : ""}${line.text}`;
    return li;
  }));
}

async function refreshDirectory() {
  try {
    const reply = await fetch("/sandbox/api/directory");
    const { people } = await reply.json();
    $("directory").replaceChildren(...people.map(personCard));
  } catch (err) { /* the next refresh tries again */ }
}

function personCard(person) {
  const card = document.createElement("div");
  card.className = "sb-person";
  card.dataset.email = person.email;
  const methods = person.known && person.methods.length
    ? `<ul class="sb-methods">${person.methods.map((m) => `<li>${escapeHtml(m)}</li>`).join("")}</ul>`
    : '<p class="sb-none">No sign-in methods: asked to register at the next sign-in.</p>';
  card.innerHTML = `<div class="sb-person-name">${escapeHtml(person.name)}</div>
    <div class="sb-note">${escapeHtml(person.email)}</div>
    ${person.known ? `${methods}
    <dl class="sb-counts">
      <dt>App passwords</dt><dd data-count="app_passwords">${person.app_passwords}</dd>
      <dt>Sessions</dt><dd data-count="sessions">${person.sessions}</dd>
      <dt>Remembered devices</dt><dd data-count="remembered_devices">${person.remembered_devices}</dd>
      <dt>Admin roles</dt><dd data-count="admin_roles">${person.admin_roles.length ? escapeHtml(person.admin_roles.join(", ")) : "none"}</dd>
      <dt>Temporary access pass</dt><dd data-count="tap">${person.tap_active_until ? "active until " + new Date(person.tap_active_until).toLocaleTimeString() : "none"}</dd>
    </dl>` : '<p class="sb-none">Not in the directory yet.</p>'}`;
  return card;
}

async function refreshCodes() {
  try {
    const reply = await fetch("/sandbox/api/codes");
    const { admins, seconds_left: left } = await reply.json();
    $("codes").replaceChildren(...admins.map((admin) => {
      const row = document.createElement("div");
      row.className = "sb-code-row" + (admin.id === page.user ? " sb-me" : "");
      row.dataset.admin = admin.id;
      row.innerHTML = `<span class="sb-code-name">${escapeHtml(admin.name)}</span>
        <span class="sb-code" data-code>${admin.code || "not set up"}</span>
        ${admin.new_code ? `<span class="sb-note">new authenticator: <span class="sb-code" data-new-code>${admin.new_code}</span></span>` : ""}
        <span class="sb-countdown">${left}s</span>`;
      return row;
    }));
  } catch (err) { /* the next refresh tries again */ }
}

// -- what a person does ----------------------------------------------------------------------

function placeOf(el) {
  const holder = el.closest("[data-place]");
  if (!holder) return null;
  const kind = holder.dataset.place;
  return { holder, place: { kind, channel: holder.dataset.channel || "", ts: holder.dataset.ts || "", id: holder.dataset.id || "" } };
}

function collectState(root) {
  const state = {};
  for (const el of root.querySelectorAll("[data-kind]")) {
    const kind = el.dataset.kind;
    if (!STATEFUL.includes(kind) || !el.dataset.actionId) continue;
    if (el.closest("[data-place]") !== root.closest("[data-place]")) continue;
    (state[el.dataset.blockId] ||= {})[el.dataset.actionId] = valueOf(el);
  }
  return state;
}

// What an element holds now: the ticked values of checkboxes, else one value or null.
function valueOf(el) {
  const kind = el.dataset.kind;
  if (kind === "checkboxes") return [...el.querySelectorAll("input:checked")].map((i) => i.value);
  if (kind === "radio_buttons") return (el.querySelector("input:checked") || {}).value || null;
  return el.value || null;
}

function restoreState(root, state) {
  for (const el of root.querySelectorAll("[data-kind]")) {
    const saved = (state[el.dataset.blockId] || {})[el.dataset.actionId];
    if (saved === undefined || !STATEFUL.includes(el.dataset.kind)) continue;
    if (el.dataset.kind === "checkboxes") {
      for (const box of el.querySelectorAll("input")) box.checked = saved.includes(box.value);
    } else if (el.dataset.kind === "radio_buttons") {
      for (const radio of el.querySelectorAll("input")) radio.checked = radio.value === saved;
    } else if (saved !== null) {
      el.value = saved;
    }
  }
}

// What Slack's client checks before it sends a form: required inputs and their minimum length.
function checkInputs(root) {
  let fine = true;
  for (const block of root.querySelectorAll(".bk-block.bk-input")) {
    const old = block.querySelector(".bk-client-error");
    if (old) old.remove();
    const optional = block.querySelector(".bk-optional") !== null;
    const el = block.querySelector("[data-kind]");
    if (!el) continue;
    let problem = null;
    const kind = el.dataset.kind;
    if (kind === "plain_text_input") {
      const text = el.value.trim();
      const min = Number(el.getAttribute("minlength") || 0);
      if (!text && !optional) problem = "Please complete this required field.";
      else if (text && text.length < min) problem = `Please enter at least ${min} characters.`;
    } else if (!optional && ["radio_buttons", "checkboxes"].includes(kind)) {
      if (!el.querySelector("input:checked")) problem = "Please select an option.";
    } else if (!optional && kind === "static_select" && !el.value) {
      problem = "Please select an option.";
    }
    if (problem) {
      fine = false;
      const note = document.createElement("div");
      note.className = "bk-error bk-client-error";
      note.textContent = problem;
      block.append(note);
    }
  }
  return fine;
}

async function act(el, value) {
  const found = placeOf(el);
  if (!found) return;
  const state = collectState(found.holder.querySelector(".sb-body") || found.holder);
  await post("action", {
    place: found.place,
    block_id: el.dataset.blockId || "",
    action_id: el.dataset.actionId,
    value,
    state,
  });
}

function confirmFirst(el) {
  if (!el.dataset.confirm) return Promise.resolve(true);
  const dialog = JSON.parse(el.dataset.confirm);
  $("confirm-title").innerHTML = dialog.title;
  $("confirm-text").innerHTML = dialog.text;
  $("confirm-yes").innerHTML = dialog.confirm;
  $("confirm-yes").className = `bk-button ${dialog.style === "danger" ? "bk-danger" : "bk-primary"}`;
  $("confirm-deny").innerHTML = dialog.deny;
  $("confirm").hidden = false;
  return new Promise((done) => {
    const finish = (answer) => { $("confirm").hidden = true; done(answer); };
    $("confirm-yes").onclick = () => finish(true);
    $("confirm-deny").onclick = () => finish(false);
  });
}

document.addEventListener("click", async (event) => {
  const link = event.target.closest("a[href]");
  const permalink = link && link.href.match(/^http:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):(\d+)\/#([A-Z0-9]+\/\d+\.\d+)$/);
  if (permalink && permalink[1] === location.port) {
    event.preventDefault(); // a link to a message of this workspace opens here, as in Slack
    location.hash = permalink[2];
    return;
  }
  const conv = event.target.closest("[data-conv]");
  if (conv) {
    event.preventDefault();
    page.conv = conv.dataset.conv;
    history.replaceState(null, "", `#${page.conv}`);
    if (page.conv === "home") post("home", {});
    render();
    return;
  }
  if (event.target.closest("[data-dismiss]")) {
    const el = event.target.closest("[data-place]");
    post("dismiss", { id: el.dataset.id });
    return;
  }
  const button = event.target.closest('[data-kind="button"]');
  if (button) {
    if (button.disabled || !(await confirmFirst(button))) return;
    if (button.dataset.url) window.open(button.dataset.url, "_blank", "noopener");
    button.disabled = true;
    try { await act(button, button.dataset.value); } finally { button.disabled = false; }
    return;
  }
  const host = $("modal-host");
  const submit = event.target.closest('[data-kind="view-submit"]');
  if (submit) {
    if (submit.disabled || !checkInputs(host)) return;
    submit.disabled = true; // Slack shows the button as busy: a second press sends nothing
    try {
      await post("submit", { view_id: host.dataset.id, state: collectState(host) });
    } finally {
      submit.disabled = false;
    }
  } else if (event.target.closest('[data-kind="view-close"]')) {
    await post("close", { view_id: host.dataset.id });
  }
});

document.addEventListener("change", (event) => {
  const el = event.target.closest("[data-dispatch]");
  if (!el || el.dataset.kind === "button") return;
  const value = valueOf(el);
  if (el.dataset.kind === "overflow") el.value = "";
  act(el, value);
});

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("text");
  const text = input.value;
  if (!text.trim()) return;
  input.value = "";
  const answer = await post("send", { channel: page.conv, text });
  if (!answer.ok) input.value = text;
});

$("who").addEventListener("change", (event) => {
  page.user = event.target.value;
  localStorage.setItem("sandbox-user", page.user);
  page.conv = null;
  history.replaceState(null, "", location.pathname);
  restart();
  refreshCodes();
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !$("overlay").hidden && $("confirm").hidden) {
    post("close", { view_id: $("modal-host").dataset.id });
  }
});

// -- permalinks: #CHANNEL/TS opens the message --------------------------------------------

function highlightPermalink() {
  const [conv, ts] = location.hash.slice(1).split("/");
  if (!ts || conv !== page.conv) return;
  const el = document.querySelector(`[data-key="${CSS.escape(`${conv}/${ts}`)}"]`);
  if (el && !el.classList.contains("sb-linked")) {
    el.classList.add("sb-linked");
    el.scrollIntoView({ block: "center" });
  }
}

function openFromHash() {
  const conv = location.hash.slice(1).split("/")[0];
  if (!conv) return;
  page.conv = conv;
  if (conv === "home") post("home", {}); // Slack sends app_home_opened each time the tab opens
}

function initials(name) {
  return escapeHtml(name.split(/[\s-]+/).map((w) => w[0] || "").join("").slice(0, 2).toUpperCase());
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

window.addEventListener("hashchange", () => { openFromHash(); if (page.data) render(); });
openFromHash();
restart();
refreshCodes();
setInterval(refreshCodes, 1000);
setInterval(refreshDirectory, 3000);
