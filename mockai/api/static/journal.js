// The mockai request journal page: polls /_mockai/requests and shows each entry as it arrives.
//
// Bodies are hostile input (a test may well put <script> in a prompt), so every piece of data reaches the page
// through text nodes (`append(string)`, `textContent`): nothing here ever parses data as HTML.
"use strict";

const POLL_MS = 1000;
const MAX_ROWS = 1000; // the journal's own capacity: older rows are dropped from the page too

const state = {
  after: 0, // the highest entry id shown; the server sends only newer ones
  generation: null, // changes whenever the journal is cleared (ids then start again at 1)
  timer: null, // the next poll, while live
  polling: false, // a poll is on its way: never two at once, or rows would be added twice
  shown: 0,
};

const $ = (id) => document.getElementById(id);

/** An element with attributes from our own code and children that are elements or plain text. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "class") node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function worldTime(seconds) {
  return seconds ? new Date(seconds * 1000).toISOString().slice(11, 19) : "";
}

function answeredBy(entry) {
  if (entry.rule_id) return `rule ${entry.rule_id}`;
  const cassette = entry.cassette;
  if (cassette) {
    const name = typeof cassette === "string" ? cassette : cassette.name || cassette.id || JSON.stringify(cassette);
    return `cassette ${name}`;
  }
  return "built-in";
}

function streamSummary(response) {
  if (!response || typeof response !== "object" || response.stream !== true) return null;
  const ending = response.done ? "ended with [DONE]" : "cut off without [DONE]";
  return `stream: ${response.chunks} chunks, ${ending}, ${response.bytes} bytes`;
}

function notes(entry) {
  const parts = [];
  const stream = entry.response && entry.response.stream === true ? entry.response : null;
  if (stream) parts.push(stream.done ? `stream ${stream.chunks}` : `stream cut after ${stream.chunks}`);
  if (entry.faults && entry.faults.length) parts.push(`faults: ${entry.faults.join(", ")}`);
  if (entry.near_misses && entry.near_misses.length) parts.push(`near misses: ${entry.near_misses.length}`);
  return parts.join(" · ");
}

function statusClass(status) {
  if (status >= 500) return "status s5";
  if (status >= 400) return "status s4";
  if (status >= 300) return "status s3";
  return "status s2";
}

function pretty(value) {
  if (value === null || value === undefined) return "(none)";
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

function section(title, ...content) {
  return el("section", {}, el("h3", {}, title), ...content);
}

function details(entry) {
  const headers = el("dl", { class: "headers" });
  for (const [name, value] of Object.entries(entry.headers || {})) {
    headers.append(el("dt", {}, name), el("dd", {}, value));
  }
  const request = section(
    "Request",
    el("p", { class: "line" }, `${entry.method} ${entry.path}${entry.query ? "?" + entry.query : ""}`),
    el("p", { class: "ids" }, `request id ${entry.request_id || "–"} · operation ${entry.operation_id || "–"}`),
    headers,
    el("pre", { class: "body request-body" }, pretty(entry.json)),
  );
  const summary = streamSummary(entry.response);
  const response = section(
    `Response ${entry.status}`,
    el("p", { class: "line" }, `answered by ${answeredBy(entry)} in ${entry.duration_ms} ms`),
    summary ? el("p", { class: "stream" }, summary) : el("pre", { class: "body response-body" }, pretty(entry.response)),
  );
  const parts = [request, response];
  if (entry.near_misses && entry.near_misses.length) {
    const misses = el("ul", { class: "near-misses" });
    for (const miss of entry.near_misses) misses.append(el("li", {}, `${miss.rule_id}: ${miss.mismatches.join("; ")}`));
    parts.push(section("Near misses (no rule matched)", misses));
  }
  if (entry.faults && entry.faults.length) {
    parts.push(section("Faults", el("ul", { class: "faults" }, ...entry.faults.map((fault) => el("li", {}, fault)))));
  }
  return el("div", { class: "details" }, ...parts);
}

function row(entry) {
  const summary = el(
    "summary",
    {},
    el("span", { class: "number" }, String(entry.id)),
    el("span", {}, worldTime(entry.started_at)),
    el("span", { class: "method" }, entry.method),
    el("span", { class: "path" }, entry.path),
    el("span", { class: statusClass(entry.status) }, String(entry.status)),
    el("span", { class: "model" }, entry.model || ""),
    el("span", { class: "answered" }, answeredBy(entry)),
    el("span", { class: "notes" }, notes(entry)),
    el("span", { class: "number" }, String(entry.duration_ms)),
  );
  const node = el("details", { class: "entry" }, summary, details(entry));
  node.dataset.path = entry.path.toLowerCase();
  node.dataset.status = String(entry.status);
  node.dataset.model = (entry.model || "").toLowerCase();
  node.dataset.text = JSON.stringify(entry).toLowerCase();
  return node;
}

// -- filters --------------------------------------------------------------------------------------------------

function filters() {
  const value = (id) => $(id).value.trim().toLowerCase();
  return { path: value("filter-path"), status: value("filter-status"), model: value("filter-model"), text: value("filter-text") };
}

/** "200" matches 200; "4xx" matches any 4xx; several may be given, separated by commas or spaces. */
function statusMatches(status, wanted) {
  if (!wanted) return true;
  return wanted.split(/[\s,]+/).filter(Boolean).some((pattern) => {
    return pattern.length === status.length && [...pattern].every((c, i) => c === "x" || c === status[i]);
  });
}

function visible(node, wanted) {
  if (!node.classList.contains("entry")) return !(wanted.path || wanted.status || wanted.model || wanted.text);
  return (
    node.dataset.path.includes(wanted.path) &&
    statusMatches(node.dataset.status, wanted.status) &&
    node.dataset.model.includes(wanted.model) &&
    node.dataset.text.includes(wanted.text)
  );
}

function applyFilters() {
  const wanted = filters();
  let shown = 0;
  for (const node of $("journal").children) {
    node.hidden = !visible(node, wanted);
    if (!node.hidden && node.classList.contains("entry")) shown += 1;
  }
  state.shown = shown;
  describe();
}

// -- live updates ---------------------------------------------------------------------------------------------

function describe(problem) {
  const total = $("journal").querySelectorAll(".entry").length;
  const when = new Date().toLocaleTimeString();
  const noun = total === 1 ? "request" : "requests";
  const counts = state.shown === total ? `${total} ${noun}` : `${state.shown} of ${total} ${noun} shown`;
  const mode = $("live").checked ? "live" : "paused";
  $("status").textContent = problem ? `${problem} (${counts})` : `${counts} · ${mode} · updated ${when}`;
  $("status").classList.toggle("problem", Boolean(problem));
  const empty = $("empty");
  empty.hidden = total > 0;
  empty.textContent = `No requests yet. Point a client at ${location.origin}/v1 and they appear here as they arrive.`;
}

function addEntries(entries) {
  const journal = $("journal");
  const wanted = filters();
  for (const entry of entries) {
    const node = row(entry);
    node.hidden = !visible(node, wanted);
    journal.prepend(node); // newest first
    state.after = Math.max(state.after, entry.id);
  }
  while (journal.children.length > MAX_ROWS) journal.lastElementChild.remove();
}

function markCleared() {
  const divider = el("p", { class: "divider" }, `journal cleared at ${new Date().toLocaleTimeString()} (a reset or DELETE /_mockai/requests)`);
  divider.hidden = !visible(divider, filters());
  $("journal").prepend(divider);
}

async function poll() {
  const response = await fetch(`requests?redact=true&after=${state.after}`, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  if (response.status === 401) throw new Error("The admin token is needed: reload this page with ?token=…");
  if (!response.ok) throw new Error(`mockai answered ${response.status}`);
  const body = await response.json();
  if (state.generation !== null && body.generation !== state.generation) {
    state.generation = body.generation;
    state.after = 0;
    markCleared();
    return poll(); // ids started again at 1: ask from the start of the new journal
  }
  state.generation = body.generation;
  addEntries(body.data);
}

async function tick() {
  state.timer = null;
  if (state.polling) return;
  state.polling = true;
  try {
    await poll();
    applyFilters();
  } catch (error) {
    describe(error instanceof TypeError ? "Cannot reach mockai, retrying" : error.message);
  } finally {
    state.polling = false;
  }
  if ($("live").checked && state.timer === null) state.timer = setTimeout(tick, POLL_MS);
}

function start() {
  $("filters").addEventListener("input", applyFilters);
  $("filters").addEventListener("submit", (event) => event.preventDefault());
  $("live").addEventListener("change", () => {
    if ($("live").checked && state.timer === null) tick();
    else if (!$("live").checked && state.timer !== null) {
      clearTimeout(state.timer);
      state.timer = null;
      describe();
    }
  });
  tick();
}

document.addEventListener("DOMContentLoaded", start);
