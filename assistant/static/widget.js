/*! Éclaireur — widget de recherche pour intranet (licence MIT).
 *
 *   <script src="https://eclaireur.example/widget.js" defer></script>
 *   <eclaireur-search api-url="https://eclaireur.example" api-key="…"></eclaireur-search>
 *
 * Attributes: api-url (default: this script's origin), api-key, placeholder, types ("guide,faq"),
 * tags (themes offered as filters, comma-separated), lang ("fr" default, "en"), max-results (8).
 * Events on the element: eclaireur:results and eclaireur:answer (after painting, with timings),
 * eclaireur:error, and eclaireur:open (cancelable: call preventDefault() to route the link yourself).
 *
 * No dependency, no build step, nothing loaded from elsewhere. The DOM is built with createElement only
 * (no innerHTML), so it runs under strict Content-Security-Policy and Trusted Types.
 */
(() => {
  "use strict";

  const STRINGS = {
    fr: {
      label: "Rechercher dans les guides et les FAQ",
      placeholder: "Ex. : Comment créer un laboratoire d'innovation ?",
      hint: "Les résultats s'affichent pendant la saisie. ↑ ↓ pour les parcourir, Entrée pour ouvrir, Échap pour fermer.",
      ask: "Poser la question",
      typeGroup: "Type :",
      tagGroup: "Thème :",
      typeFilter: { guide: "Guides", faq: "FAQ" },
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
      yes: "Oui",
      no: "Non",
      yesLabel: "Oui, cette réponse est utile",
      noLabel: "Non, cette réponse n'est pas utile",
      thanks: "Merci pour votre avis !",
      retry: "Réessayer",
      detail: "Détail : ",
      errors: {
        unavailable: "Le service de recherche est indisponible pour le moment. Réessayez dans quelques instants.",
        timeout: "Le service de recherche met trop de temps à répondre. Réessayez dans quelques instants.",
        rate: (s) => (s ? `Trop de requêtes, réessayez dans ${s} s.` : "Trop de requêtes, réessayez dans quelques secondes."),
        auth: "Accès refusé : la clé d'API du widget est absente ou invalide. Prévenez l'administrateur de l'intranet.",
        other: (status) => `La recherche a échoué (erreur ${status}). Réessayez plus tard.`,
        feedback: "Votre avis n'a pas pu être envoyé. Réessayez.",
      },
    },
    en: {
      label: "Search the guides and FAQs",
      placeholder: "E.g. How do I set up an innovation lab?",
      hint: "Results appear as you type. ↑ ↓ to browse, Enter to open, Esc to close.",
      ask: "Ask the question",
      typeGroup: "Type:",
      tagGroup: "Topic:",
      typeFilter: { guide: "Guides", faq: "FAQ" },
      badge: { guide: "Guide", faq: "FAQ" },
      results: "Search results",
      count: (n) => (n === 0 ? "No results" : n === 1 ? "1 result" : `${n} results`),
      noResults: (q) => `No results for “${q}”. Try other words, remove a filter or ask the question.`,
      searching: "Searching…",
      emptyQuestion: "Type a question before asking it.",
      page: (n) => `page ${n}`,
      internal: "Éclaireur document",
      answerTitle: "Answer",
      asking: "Looking for the answer…",
      answerReady: (n) => (n ? `Answer ready, ${n} source${n > 1 ? "s" : ""}.` : "Answer ready."),
      method: {
        faq: "Answer taken from an FAQ.",
        extractive: "Excerpts from the cited documents.",
        generative: "Answer written by an AI from the cited documents: check the sources.",
      },
      sources: "Sources",
      related: "Related documents",
      sourceRef: (n, title) => `Source ${n}: ${title}`,
      useful: "Was this answer useful?",
      yes: "Yes",
      no: "No",
      yesLabel: "Yes, this answer is useful",
      noLabel: "No, this answer is not useful",
      thanks: "Thank you for your feedback!",
      retry: "Try again",
      detail: "Details: ",
      errors: {
        unavailable: "The search service is unavailable right now. Try again in a few moments.",
        timeout: "The search service is taking too long to answer. Try again in a few moments.",
        rate: (s) => (s ? `Too many requests, try again in ${s} s.` : "Too many requests, try again in a few seconds."),
        auth: "Access denied: the widget's API key is missing or invalid. Tell the intranet administrator.",
        other: (status) => `The search failed (error ${status}). Try again later.`,
        feedback: "Your feedback could not be sent. Try again.",
      },
    },
  };

  const DEBOUNCE_MS = 200; // long enough to skip most keystrokes of a word, short enough to feel instant
  const MIN_CHARS = 2;
  const SEARCH_TIMEOUT_MS = 15000;
  const ASK_TIMEOUT_MS = 60000; // a generative answer can take a while
  const KNOWN_TYPES = ["guide", "faq"];

  // document.currentScript only exists while this file runs: remember where the script came from,
  // it is the API's address when the page gives no api-url.
  const SCRIPT_ORIGIN = (() => {
    try {
      return new URL(document.currentScript.src).origin;
    } catch {
      return location.origin;
    }
  })();

  // DSFR look. Inherited properties are pinned with !important on :host: in shadow DOM an !important
  // declaration of the component beats the host page's, even `eclaireur-search { display: none !important }`.
  // Font sizes are in em from `medium` (the reader's own default size), never rem (the host page's root).
  const CSS = `
:host{display:block!important;visibility:visible!important;opacity:1!important;filter:none!important;
color:#161616!important;font:normal normal 400 medium/1.5 Marianne,arial,sans-serif!important;letter-spacing:normal!important;
word-spacing:normal!important;text-transform:none!important;text-align:left!important;text-indent:0!important;
text-shadow:none!important;white-space:normal!important;direction:ltr!important;cursor:auto!important;max-width:100%}
:host([hidden]){display:none!important}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
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
.ask:active{background:#2323ff}
:focus-visible,input:focus{outline:2px solid #0a76f6;outline-offset:2px}
a{color:#000091;text-decoration:underline;text-underline-offset:2px}
a:hover{text-decoration-thickness:2px}
.filters{display:flex;flex-wrap:wrap;gap:8px 24px;margin-top:12px}
.group{display:flex;flex-wrap:wrap;align-items:center;gap:8px}
.group-label{font-size:.875em;color:#3a3a3a}
.chip{min-height:32px;padding:4px 12px;border-radius:16px;background:#e3e3fd;color:#000091;font-size:.875em}
.chip:hover{background:#c1c1fb}
.chip[aria-pressed=true]{background:#000091;color:#fff}
.chip[aria-pressed=true]::before{content:"✓ "}
.panel{margin-top:16px}
.meta{font-size:.875em;color:#3a3a3a;margin-bottom:8px;min-height:1.5em}
.busy{display:none}
.panel.loading .busy{display:inline;animation:show .4s step-end both}
.panel.loading .count{display:none}
@keyframes show{from{visibility:hidden}}
.listbox{list-style:none;padding:0;border:1px solid #ddd;border-bottom:0;background:#fff}
.option{padding:12px 16px;border-bottom:1px solid #ddd;cursor:pointer}
.option:hover{background:#f6f6f6}
.option[aria-selected=true]{background:#e3e3fd;box-shadow:inset 4px 0 0 #000091;outline:2px solid #0a76f6;outline-offset:-2px}
.head{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 8px}
.title{color:#000091;font-weight:700;text-decoration:underline;text-underline-offset:2px;overflow-wrap:anywhere}
.badge{padding:0 6px;border-radius:4px;font-size:.75em;font-weight:700;line-height:1.5;text-transform:uppercase;
background:#eee;color:#3a3a3a}
.badge-guide{background:#e8edff;color:#0063cb}
.badge-faq{background:#feebd0;color:#695240}
.path{font-size:.875em;color:#3a3a3a;margin-top:2px;overflow-wrap:anywhere}
.snippet{margin-top:4px;overflow-wrap:anywhere}
mark{background:#fceeac;color:#161616;font-weight:700;padding:0 1px}
.source{font-size:.75em;color:#595959;margin-top:4px;overflow-wrap:anywhere}
.message{padding:12px 16px;border:1px solid #0063cb;border-left-width:4px;background:#fff}
.message.error{border-color:#ce0500}
.message .secondary{margin-top:8px}
.secondary{min-height:32px;padding:4px 12px;background:#fff;color:#000091;box-shadow:inset 0 0 0 1px #000091;font-size:.875em}
.secondary:hover{background:#f6f6f6}
.small{font-size:.875em;color:#3a3a3a;margin-top:4px}
.answer{margin-top:16px;padding:16px 24px;background:#f6f6f6;box-shadow:inset 4px 0 0 #000091}
.answer h2{font-size:1.25em;line-height:1.4;margin-bottom:8px;color:#161616}
.answer h3{font-size:1em;margin:16px 0 4px;color:#161616}
.answer-text{white-space:pre-line;overflow-wrap:anywhere}
.answer ol,.answer ul{padding-left:1.5em;font-size:.875em}
.answer li{margin:4px 0;overflow-wrap:anywhere}
.feedback{display:flex;flex-wrap:wrap;align-items:center;gap:8px;margin-top:16px}
.feedback svg{width:1.1em;height:1.1em;vertical-align:-.15em;margin-right:4px;fill:currentColor}
.thanks{font-weight:500;color:#18753c}
.sr-only{position:absolute!important;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);
clip-path:inset(50%);white-space:nowrap;border:0}
@media (forced-colors:active){.option[aria-selected=true]{outline-color:Highlight}.chip[aria-pressed=true]{outline:2px solid}}
@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important}}
`;

  let sheet = null;

  // Thumb icon (Remix Icon "thumb-up", Apache 2.0); the thumb down is the same path turned over.
  const THUMB = "M2 9h3v12H2a1 1 0 0 1-1-1V10a1 1 0 0 1 1-1zm5.3-1.3 6.4-6.4a.5.5 0 0 1 .65-.05l.86.64a1.5 1.5 0 0 1 .55 1.57L14.6 8H21a2 2 0 0 1 2 2v2.1a2 2 0 0 1-.15.76l-3.1 7.5a1 1 0 0 1-.92.64H8a1 1 0 0 1-1-1V8.4a1 1 0 0 1 .3-.7z";

  /* ---------- small helpers ---------- */

  /** createElement with attributes, listeners (onclick…) and children (strings become text nodes, never HTML). */
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value == null || value === false) continue;
      if (key === "class") el.className = value;
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : value);
    }
    el.append(...children.flat(Infinity).filter((child) => child != null && child !== false));
    return el;
  }

  function icon(down) {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    if (down) svg.setAttribute("transform", "scale(1 -1)");
    path.setAttribute("d", THUMB);
    svg.append(path);
    return svg;
  }

  const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

  function decodeEntities(text) {
    return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, code) => {
      if (code[0] !== "#") return ENTITIES[code.toLowerCase()] ?? all;
      const n = /^#x/i.test(code) ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10);
      return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : all;
    });
  }

  /** The server's snippet is escaped text with <mark> around the query terms. It is never parsed as HTML:
   * we split on the two mark tags and decode the entities, so any other markup stays visible, inert text. */
  function snippetNodes(html) {
    const nodes = [];
    let inMark = false;
    for (const part of String(html || "").split(/(<\/?mark>)/i)) {
      if (/^<mark>$/i.test(part)) inMark = true;
      else if (/^<\/mark>$/i.test(part)) inMark = false;
      else if (part) nodes.push(inMark ? h("mark", null, decodeEntities(part)) : decodeEntities(part));
    }
    return nodes;
  }

  /** An http(s) address, relative ones resolved against the API (keeping its path prefix); null for anything else. */
  function resolveUrl(url, apiUrl) {
    if (!url) return null;
    try {
      const base = new URL(apiUrl + "/", location.href);
      const full = url.startsWith("/") && !url.startsWith("//") ? new URL(base.pathname.replace(/\/$/, "") + url, base) : new URL(url, base);
      return full.protocol === "http:" || full.protocol === "https:" ? full.href : null;
    } catch {
      return null;
    }
  }

  /** Runs after the next frame has been painted: the timings we report are what the reader saw. */
  function afterPaint(callback) {
    requestAnimationFrame(() => setTimeout(callback, 0));
  }

  class ApiError extends Error {
    constructor(kind, status = 0, detail = "", retryAfter = null) {
      super(detail || kind);
      Object.assign(this, { kind, status, detail, retryAfter });
    }

    static async from(response) {
      const body = await response.json().catch(() => null);
      const detail = body && typeof body.detail === "string" ? body.detail : "";
      const status = response.status;
      if (status === 429) {
        // Retry-After is only readable cross-origin when the API exposes it; the French detail repeats the delay.
        const seconds = parseInt(response.headers.get("Retry-After"), 10) || parseInt((detail.match(/(\d+)\s*s\b/) || [])[1], 10);
        return new ApiError("rate", status, detail, seconds || null);
      }
      if (status === 401 || status === 403) return new ApiError("auth", status, detail);
      if (status >= 500) return new ApiError("unavailable", status, status === 503 ? detail : "");
      return new ApiError("invalid", status, detail);
    }
  }

  /* ---------- the component ---------- */

  class EclaireurSearch extends HTMLElement {
    static get observedAttributes() {
      return ["api-url", "api-key", "placeholder", "types", "tags", "lang", "max-results"];
    }

    constructor() {
      super();
      this.attachShadow({ mode: "open" });
      this.results = [];
      this.active = -1;
      this.searchSeq = 0; // every search and every reset takes a number: only the latest may paint
      this.askSeq = 0;
      this.inputAt = 0;
      this.conversationId = null;
      this.chosen = { types: new Set(), tags: new Set() };
      this.onOutside = (event) => {
        if (!event.composedPath().includes(this)) this.setExpanded(false);
      };
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
      if (this.ui && previous !== value) this.build(); // rebuilt with the new settings; the typed text is kept
    }

    get settings() {
      const list = (name) => (this.getAttribute(name) || "").split(",").map((item) => item.trim()).filter(Boolean);
      const types = list("types").filter((type) => KNOWN_TYPES.includes(type));
      const lang = (this.getAttribute("lang") || "fr").slice(0, 2).toLowerCase();
      const max = parseInt(this.getAttribute("max-results"), 10);
      return {
        apiUrl: (this.getAttribute("api-url") || SCRIPT_ORIGIN).trim().replace(/\/+$/, ""),
        apiKey: this.getAttribute("api-key") || "",
        types: types.length ? types : KNOWN_TYPES,
        tags: list("tags"),
        lang: STRINGS[lang] ? lang : "fr",
        t: STRINGS[lang] || STRINGS.fr,
        placeholder: this.getAttribute("placeholder") || (STRINGS[lang] || STRINGS.fr).placeholder,
        max: Math.min(50, Math.max(1, Number.isNaN(max) ? 8 : max)),
      };
    }

    /* ----- building the interface ----- */

    build() {
      const s = (this.cfg = this.settings);
      const t = s.t;
      const typed = this.ui ? this.ui.input.value : "";
      this.chosen.types = new Set([...this.chosen.types].filter((type) => s.types.includes(type)));
      this.chosen.tags = new Set([...this.chosen.tags].filter((tag) => s.tags.includes(tag)));

      const ui = (this.ui = {});
      ui.input = h("input", {
        id: "q", type: "text", role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false",
        "aria-controls": "listbox", "aria-describedby": "hint", autocomplete: "off", spellcheck: "false",
        enterkeyhint: "search", maxlength: "1000", placeholder: s.placeholder,
        oninput: (event) => this.onInput(event), onkeydown: (event) => this.onKeydown(event),
        onclick: () => this.results.length && this.setExpanded(true),
      });
      ui.input.value = typed;
      ui.live = h("p", { class: "sr-only", role: "status", "aria-live": "polite", "aria-atomic": "true" });
      ui.count = h("span", { class: "count" });
      ui.panel = h("div", { class: "panel", hidden: true },
        h("p", { class: "meta" }, ui.count, h("span", { class: "busy" }, t.searching)),
        (ui.listbox = h("ul", { id: "listbox", role: "listbox", class: "listbox", "aria-label": t.results, hidden: true })),
        (ui.message = h("div", { class: "message", hidden: true })));
      ui.answer = h("section", { class: "answer", "aria-labelledby": "answer-title", hidden: true });

      const root = h("div", { class: "ec", lang: s.lang },
        h("form", { role: "search", "aria-label": t.label, onsubmit: (event) => this.onSubmit(event) },
          h("label", { class: "label", for: "q" }, t.label),
          h("p", { class: "hint", id: "hint" }, t.hint),
          h("div", { class: "row" }, ui.input, h("button", { type: "submit", class: "ask" }, t.ask)),
          this.buildFilters()),
        ui.live, ui.panel, ui.answer);
      this.adoptStyles();
      this.shadowRoot.append(root);
      this.results = [];
      this.active = -1;
      if (typed.trim().length >= MIN_CHARS) this.search(typed.trim());
    }

    adoptStyles() {
      // A constructed stylesheet is shared by every widget of the page and is not an inline <style>,
      // which a strict CSP (style-src without 'unsafe-inline') would block.
      if ("adoptedStyleSheets" in ShadowRoot.prototype && "replaceSync" in CSSStyleSheet.prototype) {
        if (!sheet) {
          sheet = new CSSStyleSheet();
          sheet.replaceSync(CSS);
        }
        this.shadowRoot.adoptedStyleSheets = [sheet];
        this.shadowRoot.replaceChildren();
      } else {
        this.shadowRoot.replaceChildren(h("style", null, CSS));
      }
    }

    buildFilters() {
      const { t, types, tags } = this.cfg;
      const chip = (label, set, value) => h("button", {
        type: "button", class: "chip", "aria-pressed": String(set.has(value)),
        onclick: (event) => this.toggleFilter(set, value, event.currentTarget),
      }, label);
      const groups = [];
      if (types.length > 1) {
        groups.push(h("div", { class: "group", role: "group", "aria-labelledby": "types-label" },
          h("span", { class: "group-label", id: "types-label" }, t.typeGroup),
          types.map((type) => chip(t.typeFilter[type], this.chosen.types, type))));
      }
      if (tags.length) {
        groups.push(h("div", { class: "group", role: "group", "aria-labelledby": "tags-label" },
          h("span", { class: "group-label", id: "tags-label" }, t.tagGroup),
          tags.map((tag) => chip(tag, this.chosen.tags, tag))));
      }
      return groups.length ? h("div", { class: "filters" }, groups) : null;
    }

    toggleFilter(set, value, button) {
      if (set.has(value)) set.delete(value);
      else set.add(value);
      button.setAttribute("aria-pressed", String(set.has(value)));
      const query = this.ui.input.value.trim();
      if (query.length >= MIN_CHARS) this.search(query);
    }

    /** Filters as the API expects them; no chosen type means every type the page allows. */
    filters() {
      const types = this.chosen.types.size ? [...this.chosen.types] : this.cfg.types;
      return {
        type: types.length < KNOWN_TYPES.length ? types : [],
        tag: [...this.chosen.tags],
      };
    }

    /* ----- talking to the API ----- */

    async api(method, path, { params, body, signal, timeout, channel } = {}) {
      const url = new URL(this.cfg.apiUrl + path, location.href);
      for (const [name, value] of params || []) url.searchParams.append(name, value);
      const headers = { Accept: "application/json" };
      if (this.cfg.apiKey) headers["X-API-Key"] = this.cfg.apiKey;
      if (body) headers["Content-Type"] = "application/json";
      if (channel) headers["X-Eclaireur-Channel"] = channel;
      // One controller for both the caller's cancellation and our own time limit.
      const controller = new AbortController();
      const cancel = () => controller.abort();
      signal?.addEventListener("abort", cancel);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeout);
      try {
        const response = await fetch(url, {
          method, headers, body: body && JSON.stringify(body), signal: controller.signal, credentials: "omit",
        });
        if (!response.ok) throw await ApiError.from(response);
        return await response.json();
      } catch (error) {
        if (error instanceof ApiError || signal?.aborted) throw error;
        throw new ApiError(timedOut ? "timeout" : "unavailable"); // network failure: the API is down or unreachable
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener("abort", cancel);
      }
    }

    errorMessage(error) {
      const e = this.cfg.t.errors;
      switch (error.kind) {
        case "rate": return [e.rate(error.retryAfter)];
        case "auth": return [e.auth, error.detail && this.cfg.t.detail + error.detail];
        case "timeout": return [e.timeout];
        case "invalid": return [error.detail || e.other(error.status)];
        case "unavailable": return [error.detail || e.unavailable];
        default: return [e.unavailable];
      }
    }

    emit(name, detail, cancelable = false) {
      return this.dispatchEvent(new CustomEvent(`eclaireur:${name}`, { detail, bubbles: true, composed: true, cancelable }));
    }

    /* ----- as-you-type search ----- */

    onInput(event) {
      this.inputAt = event.timeStamp || performance.now(); // same clock as performance.now()
      clearTimeout(this.timer);
      this.ui.answer.hidden = true; // an answer to an earlier question would sit between the box and the new results
      const query = this.ui.input.value.trim();
      if (query.length < MIN_CHARS) {
        this.reset();
        return;
      }
      this.timer = setTimeout(() => this.search(query), DEBOUNCE_MS);
    }

    reset() {
      this.searchSeq++;
      this.searchController?.abort();
      this.results = [];
      this.ui.listbox.replaceChildren();
      this.ui.panel.hidden = true;
      this.setExpanded(false);
      this.ui.live.textContent = "";
    }

    async search(query) {
      clearTimeout(this.timer);
      const seq = ++this.searchSeq;
      this.searchController?.abort(); // the previous request is now useless: free the server and the network
      const controller = (this.searchController = new AbortController());
      const params = [["q", query], ["k", String(this.cfg.max)]];
      const { type, tag } = this.filters();
      type.forEach((value) => params.push(["type", value]));
      tag.forEach((value) => params.push(["tag", value]));
      this.ui.panel.hidden = false;
      this.ui.panel.classList.add("loading");
      this.ui.listbox.setAttribute("aria-busy", "true");
      const sentAt = performance.now();
      try {
        const data = await this.api("GET", "/search", { params, signal: controller.signal, timeout: SEARCH_TIMEOUT_MS });
        if (seq !== this.searchSeq) return; // a newer search started meanwhile: this answer is stale
        this.showResults(query, data.results || [], { sentAt, serverMs: data.took_ms });
      } catch (error) {
        if (seq !== this.searchSeq || controller.signal.aborted) return;
        this.showMessage(this.errorMessage(error), () => this.search(query), true);
        this.emit("error", { query, kind: error.kind, status: error.status });
      }
    }

    idle() {
      this.ui.panel.classList.remove("loading");
      this.ui.listbox.removeAttribute("aria-busy");
    }

    showResults(query, results, timing) {
      const t = this.cfg.t;
      this.idle();
      this.results = results.map((result) => ({ ...result, href: resolveUrl(result.url, this.cfg.apiUrl) }));
      this.active = -1;
      this.ui.input.removeAttribute("aria-activedescendant");
      this.ui.listbox.replaceChildren(...this.results.map((result, i) => this.option(result, i)));
      this.ui.listbox.dataset.query = query;
      this.ui.count.textContent = t.count(results.length);
      this.ui.live.textContent = t.count(results.length);
      if (results.length) {
        this.ui.message.hidden = true;
        this.setExpanded(true);
      } else {
        this.showMessage([t.noResults(query)]);
      }
      afterPaint(() => {
        const paintedAt = performance.now();
        this.emit("results", {
          query, count: results.length, inputAt: this.inputAt, paintedAt, latencyMs: paintedAt - this.inputAt,
          requestMs: paintedAt - timing.sentAt, serverMs: timing.serverMs,
        });
      });
    }

    option(result, i) {
      const t = this.cfg.t;
      const id = `option-${i}`;
      const path = (result.heading_path || "").split(" > ").filter((part, n) => part && !(n === 0 && part === result.title));
      const source = result.href && new URL(result.href).origin !== new URL(this.cfg.apiUrl, location.href).origin
        ? new URL(result.href).hostname : t.internal;
      const li = h("li", {
        id, role: "option", class: "option", "aria-selected": "false",
        "aria-labelledby": `${id}-title ${id}-badge`, "aria-describedby": `${id}-desc`,
        "data-document-id": result.document_id, "data-url": result.href,
        onclick: (event) => this.open(i, event),
        onauxclick: (event) => event.button === 1 && this.open(i, event),
      },
      h("div", { class: "head" },
        h("span", { class: "title", id: `${id}-title` }, result.title),
        h("span", { class: `badge badge-${result.type}`, id: `${id}-badge` }, t.badge[result.type] || result.type)),
      h("div", { id: `${id}-desc` },
        path.length ? h("p", { class: "path" }, path.join(" › ")) : null,
        h("p", { class: "snippet" }, snippetNodes(result.snippet)),
        h("p", { class: "source" }, source, result.page ? ` · ${t.page(result.page)}` : "")));
      return li;
    }

    showMessage(lines, retry, isError) {
      this.idle();
      this.ui.panel.hidden = false;
      this.ui.count.textContent = "";
      this.setExpanded(false, true);
      this.ui.message.className = isError ? "message error" : "message";
      this.ui.message.replaceChildren(
        ...lines.filter(Boolean).map((line, i) => h("p", { class: i ? "small" : null }, line)),
        retry ? h("button", { type: "button", class: "secondary", onclick: retry }, this.cfg.t.retry) : null);
      this.ui.message.hidden = false;
      this.ui.live.textContent = lines[0];
    }

    /** Shows or hides the list of results; `keepPanel` leaves a message (error, no result) on screen. */
    setExpanded(open, keepPanel = false) {
      if (!this.ui) return;
      const show = open && this.results.length > 0;
      this.ui.listbox.hidden = !show;
      this.ui.input.setAttribute("aria-expanded", String(show));
      if (show) {
        this.ui.panel.hidden = false;
        this.ui.message.hidden = true;
      } else {
        this.activate(-1);
        if (!keepPanel) this.ui.panel.hidden = true;
      }
    }

    get expanded() {
      return this.ui.input.getAttribute("aria-expanded") === "true";
    }

    activate(index) {
      const previous = this.ui.listbox.children[this.active];
      previous?.setAttribute("aria-selected", "false");
      this.active = index;
      const current = this.ui.listbox.children[index];
      if (!current) {
        this.ui.input.removeAttribute("aria-activedescendant");
        return;
      }
      current.setAttribute("aria-selected", "true");
      this.ui.input.setAttribute("aria-activedescendant", current.id);
      current.scrollIntoView({ block: "nearest" });
    }

    /* ----- keyboard (ARIA combobox pattern: focus stays in the box) ----- */

    onKeydown(event) {
      if (event.isComposing) return;
      const count = this.results.length;
      switch (event.key) {
        case "ArrowDown":
        case "ArrowUp": {
          if (!count) return;
          event.preventDefault();
          const down = event.key === "ArrowDown";
          if (!this.expanded) {
            this.setExpanded(true);
            this.activate(down ? 0 : count - 1);
          } else {
            this.activate(down ? (this.active + 1) % count : (this.active <= 0 ? count : this.active) - 1);
          }
          break;
        }
        case "Enter":
          if (this.expanded && this.active >= 0) {
            event.preventDefault();
            this.open(this.active, event);
          } // otherwise the form is submitted: the text is asked as a question
          break;
        case "Escape":
          if (this.expanded || !this.ui.panel.hidden) {
            event.preventDefault();
            this.setExpanded(false);
          } else if (this.ui.input.value) {
            event.preventDefault();
            this.ui.input.value = "";
            this.reset();
          }
          break;
        default:
      }
    }

    open(index, event) {
      const result = this.results[index];
      if (!result?.href) return;
      if (!this.emit("open", { url: result.href, result }, true)) return; // the host page routes it itself
      const newTab = event && (event.ctrlKey || event.metaKey || event.shiftKey || event.button === 1);
      if (newTab) window.open(result.href, "_blank", "noopener");
      else location.assign(result.href);
    }

    /* ----- questions and answers ----- */

    onSubmit(event) {
      event.preventDefault();
      const question = this.ui.input.value.trim();
      if (!question) {
        this.ui.live.textContent = this.cfg.t.emptyQuestion;
        this.ui.input.focus();
        return;
      }
      this.ask(question);
    }

    async ask(question) {
      const t = this.cfg.t;
      clearTimeout(this.timer); // the question replaces the pending search
      this.searchSeq++;
      this.searchController?.abort();
      this.setExpanded(false);
      const seq = ++this.askSeq;
      this.askController?.abort();
      const controller = (this.askController = new AbortController());
      const startedAt = performance.now();
      this.renderAnswerShell(h("p", { class: "answer-text" }, t.asking));
      this.ui.answer.setAttribute("aria-busy", "true");
      this.ui.live.textContent = t.asking;
      try {
        const filters = this.filters();
        const data = await this.api("POST", "/ask", {
          body: { question, conversation_id: this.conversationId, filters: filters.type.length || filters.tag.length ? filters : null },
          signal: controller.signal, timeout: ASK_TIMEOUT_MS, channel: "widget",
        });
        if (seq !== this.askSeq) return;
        this.conversationId = data.conversation_id || null; // a follow-up question keeps the context
        this.renderAnswer(data);
        afterPaint(() => this.emit("answer", { question, status: data.status, answerId: data.answer_id,
          citations: (data.citations || []).length, latencyMs: performance.now() - startedAt }));
      } catch (error) {
        if (seq !== this.askSeq || controller.signal.aborted) return;
        const lines = this.errorMessage(error);
        this.renderAnswerShell(h("div", { class: "message error" }, lines.filter(Boolean).map((line, i) => h("p", { class: i ? "small" : null }, line)),
          h("button", { type: "button", class: "secondary", onclick: () => this.ask(question) }, t.retry)));
        this.ui.live.textContent = lines[0];
        this.emit("error", { question, kind: error.kind, status: error.status });
      } finally {
        if (seq === this.askSeq) this.ui.answer.removeAttribute("aria-busy");
      }
    }

    renderAnswerShell(...content) {
      this.ui.answer.replaceChildren(h("h2", { id: "answer-title" }, this.cfg.t.answerTitle), ...content);
      this.ui.answer.hidden = false;
    }

    renderAnswer(data) {
      const t = this.cfg.t;
      const citations = (data.citations || []).map((c) => ({ ...c, href: resolveUrl(c.url, this.cfg.apiUrl) }));
      const byNumber = new Map(citations.map((c) => [c.number, c]));
      // "[1]" markers become links to their source; the rest of the answer stays plain text.
      const text = String(data.answer || "").split(/(\[\d+\])/).map((part) => {
        const cited = /^\[(\d+)\]$/.test(part) && byNumber.get(Number(part.slice(1, -1)));
        if (!cited) return part;
        return cited.href ? h("a", { class: "ref", href: cited.href, "aria-label": t.sourceRef(cited.number, cited.title) }, part) : part;
      });
      const link = (item) => (item.href ? h("a", { href: item.href }, item.title) : item.title);
      const where = (item) => {
        const parts = (item.heading_path || "").split(" > ").slice(1);
        if (item.page) parts.push(t.page(item.page));
        return parts.length ? ` — ${parts.join(" › ")}` : "";
      };
      const related = data.status === "no_answer" ? (data.related || []).map((r) => ({ ...r, href: resolveUrl(r.url, this.cfg.apiUrl) })) : [];
      this.renderAnswerShell(
        h("p", { class: "answer-text" }, text),
        t.method[data.method] ? h("p", { class: "small" }, t.method[data.method]) : null,
        citations.length ? [h("h3", null, t.sources), h("ol", null, citations.map((c) => h("li", { value: String(c.number) }, link(c), where(c))))] : null,
        related.length ? [h("h3", null, t.related), h("ul", null, related.map((r) => h("li", null, link(r), where(r))))] : null,
        data.answer_id ? this.feedbackButtons(data.answer_id) : null);
      this.ui.live.textContent = t.answerReady(citations.length);
    }

    feedbackButtons(answerId) {
      const t = this.cfg.t;
      const box = h("div", { class: "feedback", role: "group", "aria-labelledby": "useful-label" });
      const send = (useful) => this.sendFeedback(answerId, useful, box);
      box.append(
        h("p", { id: "useful-label" }, t.useful),
        h("button", { type: "button", class: "secondary", "aria-label": t.yesLabel, onclick: () => send(true) }, icon(false), t.yes),
        h("button", { type: "button", class: "secondary", "aria-label": t.noLabel, onclick: () => send(false) }, icon(true), t.no));
      return box;
    }

    async sendFeedback(answerId, useful, box) {
      const t = this.cfg.t;
      if (box.dataset.sending) return; // one click is enough
      box.dataset.sending = "1";
      try {
        await this.api("POST", "/feedback", { body: { answer_id: answerId, useful, comment: null }, timeout: SEARCH_TIMEOUT_MS });
        const thanks = h("p", { class: "thanks", tabindex: "-1" }, t.thanks);
        box.replaceWith(thanks);
        thanks.focus(); // the button that had the focus is gone: keep the reader at the same place
        this.ui.live.textContent = t.thanks;
      } catch (error) {
        delete box.dataset.sending;
        box.querySelector(".error-line")?.remove();
        const message = error.kind === "rate" || error.kind === "auth" ? this.errorMessage(error)[0] : t.errors.feedback;
        box.append(h("p", { class: "small error-line" }, message));
        this.ui.live.textContent = message;
      }
    }
  }

  if (!customElements.get("eclaireur-search")) customElements.define("eclaireur-search", EclaireurSearch);
})();
