/*! Éclaireur — widget de recherche pour intranet (licence MIT). Two lines of HTML:
 *   <script src="https://eclaireur.example/widget.js" defer></script>
 *   <eclaireur-search api-url="https://eclaireur.example" api-key="…"></eclaireur-search>
 * Attributes: api-url (default: this script's origin), api-key, placeholder, types ("guide,faq"),
 * tags (themes offered as filters), lang ("fr"), max-results (8).
 * Events: eclaireur:results and eclaireur:answer (once painted, with timings), eclaireur:open
 * (cancelable: preventDefault() to route the link yourself).
 * No dependency, no build step, nothing loaded from elsewhere, never innerHTML (strict CSP and Trusted Types work).
 */
(() => {
"use strict";

// Every text of the interface; another language would be another entry.
const STRINGS = {
  fr: {
    label: "Rechercher dans les guides et les FAQ",
    placeholder: "Ex. : Comment créer un laboratoire d'innovation ?",
    hint: "Résultats au fil de la saisie : ↑ ↓ pour les parcourir, Entrée pour ouvrir (ou poser la question), Échap pour fermer.",
    ask: "Poser la question",
    typeGroup: "Type :",
    tagGroup: "Thème :",
    badge: { guide: "Guide", faq: "FAQ" },
    results: "Résultats de la recherche",
    count: (n) => (n === 0 ? "Aucun résultat" : n === 1 ? "1 résultat" : `${n} résultats`),
    noResults: (q) => `Aucun résultat pour « ${q} ». Essayez d'autres mots, retirez un filtre ou posez la question.`,
    searching: "Recherche en cours…",
    emptyQuestion: "Saisissez une question avant de la poser.",
    page: (n) => `page ${n}`,
    internal: "Document Éclaireur",
    answerTitle: "Réponse",
    asking: "Recherche de la réponse…",
    answerReady: (n) => (n ? `Réponse disponible, ${n} source${n > 1 ? "s" : ""}.` : "Réponse disponible."),
    method: {
      faq: "Réponse issue d'une FAQ.",
      extractive: "Extraits des documents cités.",
      generative: "Réponse rédigée par une IA à partir des documents cités : vérifiez les sources.",
    },
    sources: "Sources",
    related: "Documents proches",
    sourceRef: (n, title) => `Source ${n} : ${title}`,
    useful: "Cette réponse vous a-t-elle été utile ?",
    yes: "👍 Oui",
    no: "👎 Non",
    yesLabel: "Oui, cette réponse est utile",
    noLabel: "Non, cette réponse n'est pas utile",
    thanks: "Merci pour votre avis !",
    retry: "Réessayer",
    errors: {
      unavailable: "Le service de recherche est indisponible. Réessayez dans quelques instants.",
      timeout: "Le service de recherche met trop de temps à répondre. Réessayez dans quelques instants.",
      rate: (s) => (s ? `Trop de requêtes, réessayez dans ${s} s.` : "Trop de requêtes, réessayez dans quelques secondes."),
      auth: "Accès refusé : la clé d'API du widget est absente ou invalide. Prévenez l'administrateur de l'intranet.",
      other: (status) => `La recherche a échoué (erreur ${status}). Réessayez plus tard.`,
      feedback: "Votre avis n'a pas pu être envoyé. Réessayez.",
    },
  },
};

const DEBOUNCE_MS = 200; // skips keystrokes inside a word, still feels immediate
const MIN_CHARS = 2;
const SEARCH_TIMEOUT_MS = 15000;
const ASK_TIMEOUT_MS = 60000; // a generated answer can take a while
const TYPES = ["guide", "faq"];

// The API's default address: where this script came from (currentScript only exists now).
const SCRIPT_ORIGIN = (() => {
  try {
    return new URL(document.currentScript.src).origin;
  } catch {
    return location.origin;
  }
})();

// DSFR look. Inherited properties are pinned with !important on :host, where it beats the page's own
// !important. Sizes: em from `medium` (the reader's default size), never rem (the page's root size).
const CSS = `
:host{display:block!important;visibility:visible!important;opacity:1!important;filter:none!important;
color:#161616!important;font:normal normal 400 medium/1.5 Marianne,arial,sans-serif!important;letter-spacing:normal!important;
word-spacing:normal!important;text-transform:none!important;text-align:left!important;text-indent:0!important;
text-shadow:none!important;white-space:normal!important;direction:ltr!important;max-width:100%}
:host([hidden]),[hidden]{display:none!important}
*{box-sizing:border-box}
p,ul,ol,h2,h3{margin:0}
.label{display:block;margin-bottom:4px}
.hint{font-size:.875em;color:#595959;margin-bottom:8px}
.row{display:flex;flex-wrap:wrap;row-gap:8px}
input{flex:1 1 14em;min-width:0;min-height:40px;padding:8px 16px;border:0;border-radius:4px 0 0 0;background:#eee;
box-shadow:inset 0 -2px 0 0 #3a3a3a;color:#161616;font:inherit}
input::placeholder{color:#666;opacity:1}
button{font:inherit;cursor:pointer;border:0;margin:0}
.ask{min-height:40px;padding:8px 16px;background:#000091;color:#fff;font-weight:500;border-radius:0 4px 0 0}
.ask:hover{background:#1212ff}
:focus-visible,input:focus{outline:2px solid #0a76f6;outline-offset:2px}
a,.title{color:#000091;text-underline-offset:2px}
a:hover{text-decoration-thickness:2px}
.filters{display:flex;flex-wrap:wrap;gap:8px 24px;margin-top:12px}
.group{display:flex;flex-wrap:wrap;align-items:center;gap:8px}
.group span,.meta,.path,.small{font-size:.875em;color:#3a3a3a}
.chip{min-height:32px;padding:4px 12px;border-radius:16px;background:#e3e3fd;color:#000091;font-size:.875em}
.chip:hover{background:#c1c1fb}
.chip[aria-pressed=true]{background:#000091;color:#fff}
.chip[aria-pressed=true]::before{content:"✓ "}
.panel{margin-top:16px}
.meta{margin-bottom:8px;min-height:1.5em}
.panel:not(.loading) .meta:has(.count:empty){display:none}
.busy,.loading .count{display:none}
.loading .busy{display:inline;animation:late .4s step-end both}
@keyframes late{from{visibility:hidden}}
.listbox{list-style:none;padding:0;font-size:1em;border:1px solid #ddd;border-bottom:0;background:#fff}
.option{margin:0;padding:12px 16px;border-bottom:1px solid #ddd;cursor:pointer;overflow-wrap:anywhere}
.option:hover,.secondary:hover{background:#f6f6f6}
.option[aria-selected=true]{background:#e3e3fd;box-shadow:inset 4px 0 0 #000091;outline:2px solid #0a76f6;outline-offset:-2px}
.head{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 8px}
.title{font-weight:700;text-decoration:underline}
.badge{padding:0 6px;border-radius:4px;font-size:.75em;font-weight:700;text-transform:uppercase;background:#eee;color:#3a3a3a}
.badge-guide{background:#e8edff;color:#0063cb}
.badge-faq{background:#feebd0;color:#695240}
.path,.snippet,.small,.source{margin-top:4px}
mark{background:#fceeac;color:#161616;font-weight:700;padding:0 1px}
.source{font-size:.75em;color:#595959}
.message{padding:12px 16px;border:1px solid #0063cb;border-left-width:4px;background:#fff}
.error{border-color:#ce0500}
.message button{margin-top:8px}
.secondary{min-height:32px;padding:4px 12px;background:#fff;color:#000091;box-shadow:inset 0 0 0 1px #000091;font-size:.875em}
.answer{margin-top:16px;padding:16px 24px;background:#fff;border:1px solid #ddd;box-shadow:inset 4px 0 0 #000091;overflow-wrap:anywhere}
h2{font-size:1.25em;line-height:1.4;margin-bottom:8px}
h3{font-size:1em;margin:16px 0 4px}
.answer-text{white-space:pre-line}
ol,ul{padding-left:1.5em;font-size:.875em}
li{margin:4px 0}
.feedback{display:flex;flex-wrap:wrap;align-items:center;gap:8px;margin-top:16px}
.thanks{margin-top:16px;font-weight:500;color:#18753c}
.sr-only{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
@media (prefers-reduced-motion:reduce){*{animation:none!important}}
`;
let sheet = null; // one constructed stylesheet shared by all the widgets of the page

/* ---------- helpers ---------- */

/** createElement with attributes, listeners (onclick…) and children; strings become text, never HTML. */
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value);
  }
  el.append(...children.flat(9).filter((child) => child != null && child !== false));
  return el;
}

const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

function decodeEntities(text) {
  return text.replace(/&(#x[\da-f]+|#\d+|[a-z]+);/gi, (all, code) => {
    if (code[0] !== "#") return ENTITIES[code.toLowerCase()] ?? all;
    const n = code[1].toLowerCase() === "x" ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10);
    return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : all;
  });
}

/** A snippet is escaped text with <mark> around query terms. Never parsed as HTML: split on the mark tags,
 * decode the entities, and any other markup stays inert text. */
function snippetNodes(html) {
  let inMark = false;
  return String(html || "").split(/(<\/?mark>)/i).flatMap((part) => {
    if (/^<mark>$/i.test(part)) inMark = true;
    else if (/^<\/mark>$/i.test(part)) inMark = false;
    else if (part) return [inMark ? h("mark", null, decodeEntities(part)) : decodeEntities(part)];
    return [];
  });
}

/** An http(s) address, relative ones resolved against the API; null otherwise (never a javascript: link). */
function resolveUrl(url, apiUrl) {
  try {
    const base = new URL(apiUrl + "/", location.href);
    const full = /^\/(?!\/)/.test(url) ? new URL(base.pathname.slice(0, -1) + url, base) : new URL(url, base);
    return /^https?:$/.test(full.protocol) ? full.href : null;
  } catch {
    return null;
  }
}

/** Calls back once the next frame is on screen: timings measure what the reader saw. */
function afterPaint(callback) {
  requestAnimationFrame(() => setTimeout(callback, 0));
}

class ApiError extends Error {
  constructor(kind, status = 0, detail = "", retryAfter = 0) {
    super(detail || kind);
    Object.assign(this, { kind, status, detail, retryAfter });
  }

  static async from(response) {
    const body = await response.json().catch(() => null);
    const detail = typeof body?.detail === "string" ? body.detail : "";
    const { status } = response;
    // Retry-After is unreadable cross-origin unless exposed; the detail repeats the delay.
    if (status === 429) {
      const seconds = response.headers.get("Retry-After") || (detail.match(/(\d+) s\b/) || [])[1];
      return new ApiError("rate", status, detail, parseInt(seconds, 10) || 0);
    }
    if (status === 401 || status === 403) return new ApiError("auth", status, detail);
    if (status >= 500) return new ApiError("unavailable", status, status === 503 ? detail : "");
    return new ApiError("invalid", status, detail);
  }
}

/* ---------- the component ---------- */

class EclaireurSearch extends HTMLElement {
  static observedAttributes = ["api-url", "api-key", "placeholder", "types", "tags", "lang", "max-results"];

  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this.results = [];
    this.active = -1;
    this.searchSeq = 0; // each search or reset takes a number: only the latest may paint
    this.askSeq = 0;
    this.conversationId = null;
    this.chosen = { types: new Set(), tags: new Set() };
    this.onOutside = (event) => event.composedPath().includes(this) || this.setExpanded(false);
  }

  connectedCallback() {
    if (!this.ui) this.build();
    document.addEventListener("pointerdown", this.onOutside, true);
  }

  disconnectedCallback() {
    document.removeEventListener("pointerdown", this.onOutside, true);
    clearTimeout(this.timer);
    this.searchController?.abort();
    this.askController?.abort();
  }

  attributeChangedCallback(name, previous, value) {
    if (this.ui && previous !== value) this.build(); // keeps the typed text
  }

  readSettings() {
    const list = (name) => (this.getAttribute(name) || "").split(",").map((item) => item.trim()).filter(Boolean);
    const types = list("types").filter((type) => TYPES.includes(type));
    const asked = (this.getAttribute("lang") || "").slice(0, 2).toLowerCase();
    const lang = STRINGS[asked] ? asked : "fr";
    const max = parseInt(this.getAttribute("max-results"), 10) || 8;
    const t = STRINGS[lang];
    return {
      t, lang,
      apiUrl: (this.getAttribute("api-url") || SCRIPT_ORIGIN).trim().replace(/\/+$/, ""),
      apiKey: this.getAttribute("api-key") || "",
      types: types.length ? types : TYPES,
      tags: list("tags"),
      placeholder: this.getAttribute("placeholder") || t.placeholder,
      max: Math.min(50, Math.max(1, max)),
    };
  }

  /* ----- building the interface ----- */

  build() {
    const s = (this.cfg = this.readSettings());
    const t = s.t;
    const typed = this.ui ? this.ui.input.value : "";
    for (const [key, allowed] of [["types", s.types], ["tags", s.tags]]) {
      this.chosen[key] = new Set([...this.chosen[key]].filter((value) => allowed.includes(value)));
    }
    const ui = (this.ui = {});
    ui.input = h("input", {
      id: "q", type: "text", role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false",
      "aria-controls": "listbox", "aria-describedby": "hint", autocomplete: "off",
      enterkeyhint: "search", maxlength: "1000", placeholder: s.placeholder,
      oninput: (event) => this.onInput(event), onkeydown: (event) => this.onKeydown(event),
      onclick: () => this.setExpanded(true),
    });
    ui.input.value = typed;
    ui.live = h("p", { class: "sr-only", role: "status", "aria-live": "polite", "aria-atomic": "true" });
    ui.count = h("span", { class: "count" });
    ui.listbox = h("ul", { id: "listbox", role: "listbox", class: "listbox", "aria-label": t.results, hidden: "" });
    ui.message = h("div", { class: "message", hidden: "" });
    ui.panel = h("div", { class: "panel", hidden: "" }, h("p", { class: "meta" }, ui.count, h("span", { class: "busy" }, t.searching)),
      ui.listbox, ui.message);
    ui.answer = h("section", { class: "answer", "aria-labelledby": "answer-title", hidden: "" });

    // A constructed stylesheet is not an inline <style>, which a strict CSP would block.
    if (this.shadowRoot.adoptedStyleSheets && window.CSSStyleSheet?.prototype.replaceSync) {
      if (!sheet) (sheet = new CSSStyleSheet()).replaceSync(CSS);
      this.shadowRoot.adoptedStyleSheets = [sheet];
      this.shadowRoot.replaceChildren();
    } else {
      this.shadowRoot.replaceChildren(h("style", null, CSS));
    }
    this.shadowRoot.append(h("div", { lang: s.lang },
      h("form", { role: "search", "aria-label": t.label, onsubmit: (event) => this.onSubmit(event) },
        h("label", { class: "label", for: "q" }, t.label),
        h("p", { class: "hint", id: "hint" }, t.hint),
        h("div", { class: "row" }, ui.input, h("button", { type: "submit", class: "ask" }, t.ask)),
        this.buildFilters()),
      ui.live, ui.panel, ui.answer));
    this.results = [];
    this.active = -1;
    if (typed.trim().length >= MIN_CHARS) this.search(typed.trim());
  }

  buildFilters() {
    const { t, types, tags } = this.cfg;
    const group = (id, label, set, values, names) => h("div", { class: "group", role: "group", "aria-labelledby": id },
      h("span", { id }, label),
      values.map((value) => h("button", {
        type: "button", class: "chip", "aria-pressed": String(set.has(value)),
        onclick: (event) => this.toggleFilter(set, value, event.currentTarget),
      }, names[value] || value)));
    const groups = [
      types.length > 1 && group("types-label", t.typeGroup, this.chosen.types, types, t.badge),
      tags.length && group("tags-label", t.tagGroup, this.chosen.tags, tags, {}),
    ].filter(Boolean);
    return groups.length ? h("div", { class: "filters" }, groups) : null;
  }

  toggleFilter(set, value, button) {
    if (!set.delete(value)) set.add(value);
    button.setAttribute("aria-pressed", String(set.has(value)));
    const query = this.ui.input.value.trim();
    if (query.length >= MIN_CHARS) this.search(query);
  }

  /** The filters as the API expects them; no chosen type means every type the page allows. */
  filters() {
    const types = this.chosen.types.size ? [...this.chosen.types] : this.cfg.types;
    return { type: types.length < TYPES.length ? types : [], tag: [...this.chosen.tags] };
  }

  /* ----- talking to the API ----- */

  async api(method, path, { params = [], body, signal, timeout = SEARCH_TIMEOUT_MS, channel } = {}) {
    const url = new URL(this.cfg.apiUrl + path, location.href);
    params.forEach(([name, value]) => url.searchParams.append(name, value));
    const headers = { Accept: "application/json" };
    if (this.cfg.apiKey) headers["X-API-Key"] = this.cfg.apiKey;
    if (body) headers["Content-Type"] = "application/json";
    if (channel) headers["X-Eclaireur-Channel"] = channel; // counted apart in the statistics
    // One controller for the caller's cancellation and for our time limit.
    const controller = new AbortController();
    const cancel = () => controller.abort();
    signal?.addEventListener("abort", cancel);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeout);
    try {
      const response = await fetch(url, { method, headers, body: body && JSON.stringify(body), signal: controller.signal });
      if (!response.ok) throw await ApiError.from(response);
      return await response.json();
    } catch (error) {
      if (error instanceof ApiError || signal?.aborted) throw error;
      throw new ApiError(timedOut ? "timeout" : "unavailable"); // no HTTP answer: the API is down or unreachable
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", cancel);
    }
  }

  errorLines(error) {
    const e = this.cfg.t.errors;
    if (error.kind === "rate") return [e.rate(error.retryAfter)];
    if (error.kind === "auth") return [e.auth, error.detail];
    if (error.kind === "timeout") return [e.timeout];
    if (error.kind === "invalid") return [error.detail || e.other(error.status)];
    return [error.detail || e.unavailable];
  }

  messageBox(lines, retry) {
    return [...lines.filter(Boolean).map((line, i) => h("p", { class: i ? "small" : null }, line)),
      retry && h("button", { type: "button", class: "secondary", onclick: () => {
        this.ui.input.focus(); // the button goes away with its message
        retry();
      } }, this.cfg.t.retry),
    ].filter(Boolean);
  }

  emit(name, detail, cancelable = false) {
    return this.dispatchEvent(new CustomEvent(`eclaireur:${name}`, { detail, bubbles: true, composed: true, cancelable }));
  }

  say(text) {
    this.ui.live.textContent = text; // polite live region: read out without moving the focus
  }

  /* ----- as-you-type search ----- */

  onInput(event) {
    this.inputAt = event.timeStamp; // the keystroke's time, on the performance.now() clock
    clearTimeout(this.timer);
    this.ui.answer.hidden = true; // an older answer would sit between the box and the new results
    const query = this.ui.input.value.trim();
    if (query.length < MIN_CHARS) this.reset();
    else this.timer = setTimeout(() => this.search(query), DEBOUNCE_MS);
  }

  reset() {
    clearTimeout(this.timer);
    this.searchSeq++;
    this.searchController?.abort();
    this.results = [];
    this.ui.listbox.replaceChildren();
    this.ui.message.hidden = true;
    this.setExpanded(false);
    this.say("");
  }

  async search(query) {
    clearTimeout(this.timer);
    const seq = ++this.searchSeq;
    this.searchController?.abort(); // the previous request is useless now
    const controller = (this.searchController = new AbortController());
    const { type, tag } = this.filters();
    const params = [["q", query], ["k", this.cfg.max], ...type.map((v) => ["type", v]), ...tag.map((v) => ["tag", v])];
    this.ui.panel.hidden = false;
    this.ui.panel.classList.add("loading"); // "Recherche en cours…" shows only when slow (CSS delay)
    const sentAt = performance.now();
    try {
      const data = await this.api("GET", "/search", { params, signal: controller.signal });
      if (seq === this.searchSeq) this.showResults(query, data.results || [], sentAt, data.took_ms);
    } catch (error) {
      if (seq !== this.searchSeq || controller.signal.aborted) return; // stale, or cancelled on purpose
      this.showMessage(this.errorLines(error), () => this.search(query), true);
    }
  }

  showResults(query, results, sentAt, serverMs) {
    const t = this.cfg.t;
    this.results = results.map((result) => ({ ...result, href: resolveUrl(result.url, this.cfg.apiUrl) }));
    this.active = -1;
    this.ui.listbox.replaceChildren(...this.results.map((result, i) => this.option(result, i)));
    this.ui.listbox.dataset.query = query;
    this.ui.count.textContent = t.count(results.length);
    if (results.length) {
      this.ui.panel.classList.remove("loading");
      this.setExpanded(true);
      this.say(t.count(results.length));
    } else {
      this.showMessage([t.noResults(query)]);
    }
    afterPaint(() => {
      const paintedAt = performance.now();
      this.emit("results", { query, count: results.length, inputAt: this.inputAt, paintedAt,
        latencyMs: paintedAt - this.inputAt, requestMs: paintedAt - sentAt, serverMs });
    });
  }

  option(result, i) {
    const t = this.cfg.t;
    const id = `option-${i}`;
    // The heading path starts with the title, shown above.
    const path = (result.heading_path || "").split(" > ").filter((part, n) => part && !(n === 0 && part === result.title));
    const external = result.href && new URL(result.href).origin !== new URL(this.cfg.apiUrl, location.href).origin;
    return h("li", {
      id, role: "option", class: "option", "aria-selected": "false",
      "aria-describedby": `${id}-desc`,
      "data-document-id": result.document_id, "data-url": result.href,
      onclick: (event) => this.open(i, event),
      onauxclick: (event) => event.button === 1 && this.open(i, event),
    },
    h("div", { class: "head" },
      h("span", { class: "title" }, result.title),
      h("span", { class: `badge badge-${result.type}` }, t.badge[result.type] || result.type)),
    // Named by title and type; the rest is its description (read after a pause).
    h("div", { id: `${id}-desc`, "aria-hidden": "true" },
      path.length ? h("p", { class: "path" }, path.join(" › ")) : null,
      h("p", { class: "snippet" }, snippetNodes(result.snippet)),
      h("p", { class: "source" }, external ? new URL(result.href).hostname : t.internal, result.page ? ` · ${t.page(result.page)}` : "")));
  }

  /** A message instead of the list (no result, error): never a blank box. */
  showMessage(lines, retry, isError) {
    this.ui.panel.classList.remove("loading");
    this.ui.count.textContent = "";
    this.results = [];
    this.setExpanded(false);
    this.ui.message.className = isError ? "message error" : "message";
    this.ui.message.replaceChildren(...this.messageBox(lines, retry));
    this.ui.message.hidden = this.ui.panel.hidden = false;
    this.say(lines[0]);
  }

  setExpanded(open) {
    const show = open && this.results.length > 0;
    this.ui.listbox.hidden = !show;
    this.ui.input.setAttribute("aria-expanded", String(show));
    if (show) {
      this.ui.message.hidden = true;
      this.ui.panel.hidden = false;
    } else {
      this.activate(-1);
      if (this.ui.message.hidden) this.ui.panel.hidden = true;
    }
  }

  activate(index) {
    this.ui.listbox.children[this.active]?.setAttribute("aria-selected", "false");
    this.active = index;
    const current = this.ui.listbox.children[index];
    if (!current) return this.ui.input.removeAttribute("aria-activedescendant");
    current.setAttribute("aria-selected", "true");
    this.ui.input.setAttribute("aria-activedescendant", current.id);
    current.scrollIntoView({ block: "nearest" });
  }

  /* ----- keyboard: the ARIA combobox pattern, the focus never leaves the box ----- */

  onKeydown(event) {
    const count = this.results.length;
    if (event.isComposing) return;
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && count) {
      event.preventDefault();
      const down = event.key === "ArrowDown";
      if (this.ui.listbox.hidden) this.setExpanded(true);
      if (this.active < 0) this.activate(down ? 0 : count - 1);
      else this.activate((this.active + (down ? 1 : count - 1)) % count);
    } else if (event.key === "Enter" && this.active >= 0) {
      event.preventDefault(); // with no active result, Enter submits the form: asks the question
      this.open(this.active, event);
    } else if (event.key === "Escape") {
      event.preventDefault();
      if (!this.ui.panel.hidden) {
        this.ui.message.hidden = true;
        this.setExpanded(false);
      } else {
        this.ui.input.value = "";
        this.reset();
      }
    }
  }

  open(index, event) {
    const result = this.results[index];
    if (!result?.href || !this.emit("open", { url: result.href, result }, true)) return;
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button === 1) window.open(result.href, "_blank", "noopener");
    else location.assign(result.href);
  }

  /* ----- questions and answers ----- */

  onSubmit(event) {
    event.preventDefault();
    const question = this.ui.input.value.trim();
    if (question) this.ask(question);
    else this.say(this.cfg.t.emptyQuestion);
  }

  async ask(question) {
    const t = this.cfg.t;
    this.reset(); // cancels the pending search and hides the results
    const seq = ++this.askSeq;
    this.askController?.abort();
    const controller = (this.askController = new AbortController());
    const startedAt = performance.now();
    this.renderAnswer([h("p", null, t.asking)]);
    this.ui.answer.setAttribute("aria-busy", "true");
    this.say(t.asking);
    const filters = this.filters();
    try {
      const data = await this.api("POST", "/ask", {
        body: { question, conversation_id: this.conversationId, filters: filters.type.length || filters.tag.length ? filters : null },
        signal: controller.signal, timeout: ASK_TIMEOUT_MS, channel: "widget",
      });
      if (seq !== this.askSeq) return;
      this.conversationId = data.conversation_id || null; // a follow-up question keeps the context
      this.renderAnswer(this.answerContent(data));
      this.say(t.answerReady((data.citations || []).length));
      afterPaint(() => this.emit("answer", { question, status: data.status, answerId: data.answer_id,
        citations: (data.citations || []).length, latencyMs: performance.now() - startedAt }));
    } catch (error) {
      if (seq !== this.askSeq || controller.signal.aborted) return;
      const lines = this.errorLines(error);
      this.renderAnswer([h("div", { class: "message error" }, this.messageBox(lines, () => this.ask(question)))]);
      this.say(lines[0]);
    }
  }

  renderAnswer(content) {
    this.ui.answer.removeAttribute("aria-busy");
    this.ui.answer.replaceChildren(h("h2", { id: "answer-title" }, this.cfg.t.answerTitle), ...content.flat());
    this.ui.answer.hidden = false;
  }

  answerContent(data) {
    const t = this.cfg.t;
    const withHref = (items) => (items || []).map((item) => ({ ...item, href: resolveUrl(item.url, this.cfg.apiUrl) }));
    const citations = withHref(data.citations);
    const related = data.status === "no_answer" ? withHref(data.related) : [];
    // Plain text; only its "[1]" markers become links to their sources.
    const text = String(data.answer || "").split(/(\[\d+\])/).map((part) => {
      const c = citations.find((citation) => `[${citation.number}]` === part && citation.href);
      return c ? h("a", { href: c.href, "aria-label": t.sourceRef(c.number, c.title) }, part) : part;
    });
    const item = (doc, attrs) => {
      const where = (doc.heading_path || "").split(" > ").slice(1).concat(doc.page ? [t.page(doc.page)] : []);
      return h("li", attrs, doc.href ? h("a", { href: doc.href }, doc.title) : doc.title, where.length ? ` — ${where.join(" › ")}` : "",
        doc.snippet && h("p", { class: "snippet" }, snippetNodes(doc.snippet)));
    };
    return [
      h("p", { class: "answer-text" }, text),
      t.method[data.method] && h("p", { class: "small" }, t.method[data.method]),
      citations.length && [h("h3", null, t.sources), h("ol", null, citations.map((c) => item(c, { value: c.number })))],
      related.length && [h("h3", null, t.related), h("ul", null, related.map((r) => item(r)))],
      data.answer_id && this.feedbackButtons(data.answer_id),
    ].filter(Boolean);
  }

  feedbackButtons(answerId) {
    const t = this.cfg.t;
    const box = h("div", { class: "feedback", role: "group", "aria-labelledby": "useful-label" }, h("p", { id: "useful-label" }, t.useful));
    for (const useful of [true, false]) {
      box.append(h("button", { type: "button", class: "secondary", "aria-label": useful ? t.yesLabel : t.noLabel,
        onclick: () => this.sendFeedback(answerId, useful, box) }, useful ? t.yes : t.no));
    }
    return box;
  }

  async sendFeedback(answerId, useful, box) {
    if (box.dataset.sending) return;
    box.dataset.sending = "1";
    try {
      await this.api("POST", "/feedback", { body: { answer_id: answerId, useful, comment: null } });
      const thanks = h("p", { class: "thanks", tabindex: "-1" }, this.cfg.t.thanks);
      box.replaceWith(thanks);
      thanks.focus(); // the clicked button is gone: keep the reader's place
      this.say(this.cfg.t.thanks);
    } catch (error) {
      delete box.dataset.sending;
      const message = ["rate", "auth"].includes(error.kind) ? this.errorLines(error)[0] : this.cfg.t.errors.feedback;
      box.querySelector(".small")?.remove();
      box.append(h("p", { class: "small" }, message));
      this.say(message);
    }
  }
}

if (!customElements.get("eclaireur-search")) customElements.define("eclaireur-search", EclaireurSearch);
})();
