// The content team console: reads the documented /admin/* endpoints with the admin key kept in sessionStorage,
// draws its charts as inline SVG (each with a data table for screen readers). No outside resource, no inline code.
"use strict";

(() => {
  const KEY_STORAGE = "eclaireur.console.cle";
  const SVG_NS = "http://www.w3.org/2000/svg";
  const CHANNELS = [
    { key: "telegram", label: "Telegram", color: "#000091" },
    { key: "widget", label: "Widget intranet", color: "#b34000" },
    { key: "api", label: "API", color: "#18753c" },
  ];
  const OUTCOMES = [
    { key: "answered", label: "Réponse donnée", color: "#000091" },
    { key: "no_answer", label: "Sans réponse", color: "#ce0500" },
  ];
  const RATINGS = [
    { key: "useful", label: "👍 Utile", color: "#18753c" },
    { key: "not_useful", label: "👎 Inutile", color: "#ce0500" },
  ];
  const REINDEX_POLL_MS = 400;
  const MAX_REVIEW_WORDINGS = 20, MAX_REVIEW_WORDING = 400; // POST /admin/gaps/review: a review matches any of them

  const utcDay = new Intl.DateTimeFormat("fr-FR", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
  const shortDay = new Intl.DateTimeFormat("fr-FR", { day: "numeric", month: "short", timeZone: "UTC" });
  const dateTime = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeStyle: "short" });
  const percent = new Intl.NumberFormat("fr-FR", { style: "percent", maximumFractionDigits: 1 });
  const number = new Intl.NumberFormat("fr-FR");

  const $ = (id) => document.getElementById(id);
  let privacy = null;

  // ---------- building blocks ----------

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === false || value == null) continue;
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    node.append(...children.flat(Infinity).filter((child) => child != null));
    return node;
  }

  function svg(tag, attributes = {}, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    }
    node.append(...children);
    return node;
  }

  /** ``date`` as ``format`` writes it, the first of the month as French writes it: « 1er » (Intl writes « 1 »). */
  const frenchDate = (format, date) =>
    format.formatToParts(date).map(({ type, value }) => (type === "day" && value === "1" ? "1er" : value)).join("");
  const formatDay = (day) => frenchDate(utcDay, new Date(`${day}T00:00:00Z`));
  const formatDate = (iso) => (iso ? frenchDate(dateTime, new Date(iso)) : "—");
  const formatRate = (rate) => (rate == null ? "—" : percent.format(rate));

  /** The last ``days`` UTC days, oldest first, as YYYY-MM-DD. */
  function lastDays(days) {
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    return Array.from({ length: days }, (_, i) => new Date(today - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10));
  }

  // ---------- the API ----------

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function call(path, { method = "GET", body, key = sessionStorage.getItem(KEY_STORAGE) } = {}) {
    const headers = { "X-API-Key": key || "" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, { method, headers, cache: "no-store", body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, "Le service ne répond pas : vérifiez qu'il est démarré, puis rechargez la page.");
    }
    if (!response.ok) {
      let detail = "";
      try {
        detail = (await response.json()).detail;
      } catch {
        detail = "";
      }
      if (response.status === 401) detail = "Clé refusée : vérifiez-la et réessayez (il faut une clé de portée « admin »).";
      throw new ApiError(response.status, typeof detail === "string" && detail ? detail : `Erreur ${response.status} du service.`);
    }
    return response;
  }

  const json = async (path, options) => (await call(path, options)).json();

  /** Runs a panel's loading; a refused key sends back to the login form, other errors show in the panel. */
  async function guarded(statusId, work) {
    try {
      $(statusId).textContent = "";
      await work();
    } catch (error) {
      if (error.status === 401) return logout("Votre clé n'est plus acceptée : reconnectez-vous.");
      $(statusId).textContent = error.message;
    }
  }

  // ---------- login ----------

  async function login(event) {
    event.preventDefault();
    const key = $("cle").value.trim();
    const message = $("erreur-connexion");
    message.textContent = "";
    $("message-deconnexion").textContent = "";
    if (!key) {
      message.textContent = "Saisissez la clé d'administration.";
      $("cle").focus();
      return;
    }
    try {
      privacy = await json("/admin/privacy", { key });
    } catch (error) {
      message.textContent = error.message;
      $("cle").setAttribute("aria-invalid", "true");
      $("cle").focus();
      return;
    }
    sessionStorage.setItem(KEY_STORAGE, key);
    $("cle").value = "";
    $("cle").removeAttribute("aria-invalid");
    showConsole();
  }

  function logout(reason = "Vous êtes déconnecté : la clé a été effacée de cet onglet.") {
    sessionStorage.removeItem(KEY_STORAGE);
    privacy = null;
    for (const id of ["chiffres", "graphiques", "liste-lacunes", "liste-avis", "resume-corpus"]) $(id).replaceChildren();
    $("console").hidden = true;
    $("deconnexion").hidden = true;
    $("connexion").hidden = false;
    $("message-deconnexion").textContent = reason;
    $("cle").focus();
  }

  async function showConsole() {
    $("connexion").hidden = true;
    $("console").hidden = false;
    $("deconnexion").hidden = false;
    $("titre-console").focus();
    await guarded("etat-activite", async () => {
      privacy = privacy || (await json("/admin/privacy"));
      showPrivacy();
      showExportNote();
    });
    await Promise.all([loadActivity(), loadGaps(), loadFeedback(), loadCorpus(), followReindex()]);
  }

  function showPrivacy() {
    const days = number.format(privacy.question_retention_days);
    $("conservation").textContent = `Questions, réponses et avis sont effacés au bout de ${days} jours (ECLAIREUR_QUESTION_RETENTION_DAYS), `
      + "chaque jour." + (privacy.record_question_text ? ""
        : " Le texte des questions n'est pas enregistré (ECLAIREUR_RECORD_QUESTION_TEXT=false) : seuls les chiffres sont gardés.");
  }

  // ---------- activity ----------

  const period = () => Number(document.querySelector("input[name=periode]:checked").value);

  async function loadActivity() {
    await guarded("etat-activite", async () => {
      const days = period();
      const stats = await json(`/admin/stats?days=${days}`);
      showFigures(stats);
      const perDay = new Map(stats.per_day.map((entry) => [entry.day, entry]));
      const charts = [stackedChart({
        id: "questions-par-jour", title: `Questions par jour et par canal, ${days} derniers jours`, unit: "questions",
        series: CHANNELS, days: lastDays(days), value: (day, key) => perDay.get(day)?.channels?.[key] || 0,
      })];
      if (stats.per_day.some((entry) => entry.outcomes)) {
        charts.push(stackedChart({
          id: "reponses-par-jour", title: `Réponses données et questions sans réponse, ${days} derniers jours`, unit: "questions",
          series: OUTCOMES, days: lastDays(days), value: (day, key) => perDay.get(day)?.outcomes?.[key] || 0,
        }));
        charts.push(stackedChart({
          id: "avis-par-jour", title: `Avis 👍 et 👎 par jour, ${days} derniers jours`, unit: "avis",
          series: RATINGS, days: lastDays(days), value: (day, key) => perDay.get(day)?.ratings?.[key] || 0,
        }));
      }
      $("graphiques").replaceChildren(...charts);
    });
  }

  function showFigures(stats) {
    const latency = stats.latency_ms || {};
    const figure = (label, value, detail) => el("div", {}, el("dt", { text: label }), el("dd", {}, value, detail ? el("small", { text: detail }) : null));
    $("chiffres").replaceChildren(
      figure("Questions", number.format(stats.questions)),
      figure("Taux de réponse", formatRate(stats.questions ? stats.answer_rate : null),
             stats.questions ? `${number.format(Math.round(stats.answer_rate * stats.questions))} réponses données` : "aucune question"),
      figure("Avis 👍 (utiles)", formatRate(stats.useful_rate), `sur ${number.format(stats.feedback_count)} avis donnés`),
      figure("Temps de réponse", latency.p50 == null ? "—" : `${number.format(latency.p50)} ms`,
             latency.p95 == null ? "médiane" : `médiane ; 95 % en moins de ${number.format(latency.p95)} ms`),
    );
  }

  /** A stacked bar chart in SVG, its legend, and its data table (the text alternative), in one figure. */
  function stackedChart({ id, title, unit, series, days, value }) {
    const width = 720, height = 240, left = 40, bottom = 28, top = 12, right = 8;
    const totals = days.map((day) => series.reduce((sum, s) => sum + value(day, s.key), 0));
    const max = Math.max(1, ...totals);
    const step = niceStep(max);
    const ceiling = Math.ceil(max / step) * step;
    const slot = (width - left - right) / days.length;
    const y = (count) => top + (height - top - bottom) * (1 - count / ceiling);
    const chart = svg("svg", { class: "graphe", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": `${id}-resume`, focusable: "false" });
    for (let tick = 0; tick <= ceiling; tick += step) {
      chart.append(svg("line", { x1: left, x2: width - right, y1: y(tick), y2: y(tick), stroke: "#dddddd" }),
                   svg("text", { x: left - 6, y: y(tick) + 4, "text-anchor": "end", text: number.format(tick) }));
    }
    days.forEach((day, index) => {
      let base = 0;
      for (const s of series) {
        const count = value(day, s.key);
        if (count) {
          chart.append(svg("rect", { x: left + index * slot + slot * 0.15, width: Math.max(1, slot * 0.7), y: y(base + count),
                                     height: y(base) - y(base + count), fill: s.color, "data-day": day, "data-series": s.key,
                                     "data-count": count }));
        }
        base += count;
      }
      const labelEvery = Math.ceil(days.length / 8);
      const last = days.length - 1;
      if ((index % labelEvery === 0 && last - index >= labelEvery) || index === last) {
        chart.append(svg("text", { x: left + index * slot + slot / 2, y: height - 8, "text-anchor": "middle", text: frenchDate(shortDay, new Date(`${day}T00:00:00Z`)) }));
      }
    });
    const grandTotal = totals.reduce((a, b) => a + b, 0);
    const perSeries = series.map((s) => `${s.label} : ${number.format(days.reduce((sum, day) => sum + value(day, s.key), 0))}`).join(", ");
    const summary = `${title} : ${number.format(grandTotal)} ${unit} au total (${perSeries}), du ${formatDay(days[0])} au ${formatDay(days[days.length - 1])}.`;
    const rows = days.map((day, index) => ({ day, index })).filter(({ index }) => totals[index] > 0);
    const table = el("table", {},
      el("caption", { text: `${title} (jours sans ${unit} omis)` }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Jour" }),
                           series.map((s) => el("th", { scope: "col", class: "nombre", text: s.label })),
                           el("th", { scope: "col", class: "nombre", text: "Total" }))),
      el("tbody", {}, rows.length ? rows.map(({ day, index }) => el("tr", {},
        el("th", { scope: "row", text: formatDay(day) }),
        series.map((s) => el("td", { class: "nombre", text: number.format(value(day, s.key)) })),
        el("td", { class: "nombre", text: number.format(totals[index]) })))
        : el("tr", {}, el("td", { colspan: series.length + 2, text: `Aucune donnée sur la période.` }))));
    return el("figure", { class: "graphique", id },
      el("figcaption", { text: title }),
      chart,
      el("p", { id: `${id}-resume`, class: "aide", text: summary }),
      el("ul", { class: "legende", "aria-hidden": "true" }, series.map((s) => el("li", {},
        svg("svg", { class: "pastille", viewBox: "0 0 10 10" }, svg("rect", { width: 10, height: 10, fill: s.color })),
        s.label))),
      el("details", { class: "donnees" }, el("summary", { text: "Voir les données du graphique" }),
         el("div", { class: "tableau", role: "region", tabindex: "0", "aria-label": `Données : ${title}` }, table)));
  }

  function niceStep(max) {
    const rough = max / 4;
    const power = 10 ** Math.floor(Math.log10(rough));
    return Math.max(1, [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough));
  }

  // ---------- content gaps ----------

  async function loadGaps() {
    await guarded("etat-lacunes", async () => {
      const { gaps } = await json(`/admin/gaps?days=${period()}`);
      $("liste-lacunes").replaceChildren(...gaps.map(gapCard));
      $("etat-lacunes").textContent = gaps.length ? `${number.format(gaps.length)} groupe(s) à examiner.` : "";
      if (!gaps.length) $("etat-lacunes").textContent = privacy && !privacy.record_question_text
        ? "Le texte des questions n'est pas enregistré : les questions sans réponse ne peuvent pas être regroupées."
        : "Aucune question sans réponse sur la période : rien à écrire pour l'instant.";
    });
  }

  const REVIEWS = [
    { state: "traite", label: "Traité", done: "marqué « traité »" },
    { state: "a_ecrire", label: "À écrire", done: "marqué « à écrire »" },
    { state: "hors_sujet", label: "Hors sujet", done: "marqué « hors sujet » : il est ignoré désormais" },
  ];

  function gapCard(gap, index) {
    const reasons = [];
    if (gap.reasons.no_answer) reasons.push(`${number.format(gap.reasons.no_answer)} sans réponse`);
    if (gap.reasons.not_useful) reasons.push(`${number.format(gap.reasons.not_useful)} jugée(s) inutile(s)`);
    const titleId = `lacune-${index}`;
    const tags = [];
    if (gap.returned) {
      tags.push(el("span", { class: "etiquette etiquette-alerte", text: "Revenu" }),
                `Marqué « traité » le ${formatDate(gap.review.reviewed_at)} par ${gap.review.reviewer}, de nouveau sans bonne réponse depuis.`);
    } else if (gap.review?.state === "a_ecrire") {
      tags.push(el("span", { class: "etiquette", text: "À écrire" }), `Décidé le ${formatDate(gap.review.reviewed_at)} par ${gap.review.reviewer}.`);
    }
    return el("li", { class: "carte", "aria-labelledby": titleId },
      el("h3", { id: titleId, text: gap.question }),
      tags.length ? el("p", { class: "meta" }, tags) : null,
      el("p", { class: "meta", text: `${number.format(gap.count)} question(s) (${reasons.join(", ")}), `
        + `du ${formatDate(gap.first_asked || gap.last_asked)} au ${formatDate(gap.last_asked)}` }),
      el("p", { class: "meta", text: "Exemples :" }),
      el("ul", {}, gap.examples.slice(0, 3).map((example) => el("li", { text: example }))),
      gap.documents.length ? [el("p", { class: "meta", text: "Documents les plus proches :" }),
                               el("ul", {}, gap.documents.map((d) => el("li", {}, `${d.title} `, el("code", { text: d.document_id }))))] : null,
      gap.answers.length ? [el("p", { class: "meta", text: "Réponse donnée puis jugée inutile :" }),
                             gap.answers.map((answer) => el("blockquote", { class: "citation", text: answer }))] : null,
      el("div", { class: "actions", role: "group", "aria-label": `Décision pour « ${gap.question} »` },
        REVIEWS.map((r) => {
          const button = el("button", { type: "button", class: "bouton bouton-secondaire bouton-petit", text: r.label,
                                        "aria-pressed": gap.review?.state === r.state && !gap.returned ? "true" : "false" });
          button.addEventListener("click", () => reviewGap(gap, r));
          return button;
        })));
  }

  async function reviewGap(gap, review) {
    await guarded("etat-lacunes", async () => {
      const wordings = gap.wordings.filter((w) => w.length <= MAX_REVIEW_WORDING).slice(0, MAX_REVIEW_WORDINGS); // most frequent first
      await json("/admin/gaps/review", { method: "POST", body: { question: gap.question.slice(0, 1000), wordings, state: review.state } });
      await loadGaps();
      $("etat-lacunes").textContent = `Groupe « ${gap.question} » ${review.done}.`;
      $("titre-lacunes").focus();
    });
  }

  // ---------- feedback ----------

  async function loadFeedback() {
    await guarded("etat-avis", async () => {
      const params = new URLSearchParams({ rating: "not_useful", limit: "50" });
      const channel = $("avis-canal").value, since = $("avis-debut").value, until = $("avis-fin").value;
      if (channel) params.set("channel", channel);
      if (since) params.set("since", since);
      if (until) params.set("until", until);
      const { answers } = await json(`/admin/feedback?${params}`);
      $("liste-avis").replaceChildren(...answers.map(feedbackCard));
      $("etat-avis").textContent = answers.length ? `${number.format(answers.length)} avis 👎 (les plus récents d'abord).`
        : "Aucun avis 👎 pour ces critères.";
    });
  }

  function feedbackCard(item, index) {
    const channel = CHANNELS.find((c) => c.key === item.channel)?.label || item.channel;
    const titleId = `avis-${index}`;
    return el("li", { class: "carte", "aria-labelledby": titleId },
      el("h3", { id: titleId, text: item.question ?? "Question non enregistrée (ECLAIREUR_RECORD_QUESTION_TEXT=false)" }),
      el("p", { class: "meta", text: `👎 le ${formatDate(item.rated_at)}, ${channel}${item.status === "no_answer" ? ", sans réponse" : ""}` }),
      item.comment ? el("p", {}, el("strong", { text: "Commentaire : " }), item.comment) : el("p", { class: "meta", text: "Sans commentaire." }),
      item.answer ? el("blockquote", { class: "citation", text: item.answer }) : null,
      item.sources.length ? el("ul", {}, item.sources.map((d) => el("li", {}, `${d.title} `, el("code", { text: d.document_id })))) : null);
  }

  // ---------- exports ----------

  function showExportNote() {
    $("note-export").textContent = "Fichiers CSV (séparateur point-virgule), jours inclus, dates en UTC. " + (privacy.record_question_text
      ? "Les questions peuvent contenir des données personnelles : conservez les fichiers le temps nécessaire seulement."
      : "Le texte des questions n'est pas enregistré (ECLAIREUR_RECORD_QUESTION_TEXT=false) : l'export des questions n'a pas de "
        + "colonne « question », et il n'y a pas de contenus à écrire à exporter.");
    const today = new Date().toISOString().slice(0, 10);
    $("export-fin").value ||= today;
    $("export-debut").value ||= lastDays(30)[0];
  }

  async function exportCsv(event) {
    event.preventDefault();
    const what = event.submitter?.value || "questions";
    const since = $("export-debut").value, until = $("export-fin").value;
    if (!since || !until) {
      $("etat-export").textContent = "Choisissez le premier et le dernier jour de la période.";
      return;
    }
    await guarded("etat-export", async () => {
      const response = await call(`/admin/export/${what}.csv?${new URLSearchParams({ since, until })}`);
      const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "")?.[1] || `${what}.csv`;
      const url = URL.createObjectURL(await response.blob());
      const link = el("a", { href: url, download: name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      $("etat-export").textContent = `Fichier « ${name} » téléchargé.`;
    });
  }

  // ---------- corpus and index ----------

  async function loadCorpus() {
    await guarded("etat-corpus", async () => {
      const corpus = await json("/admin/corpus");
      const skipped = Object.entries(corpus.skipped);
      $("resume-corpus").replaceChildren(
        el("dl", { class: "resume-index" },
          el("dt", { text: "Documents" }), el("dd", { id: "nombre-documents", text: number.format(corpus.documents) }),
          el("dt", { text: "Passages indexés" }), el("dd", { text: number.format(corpus.passages) }),
          el("dt", { text: "Dernière construction" }), el("dd", { text: `${formatDate(corpus.built_at)} (${number.format(corpus.build_seconds)} s)` }),
          el("dt", { text: "Index de vecteurs" }), el("dd", { text: corpus.vector_index === "flat" ? "exact (flat)" : `approché (${corpus.vector_index})` }),
          el("dt", { text: "Modèle" }), el("dd", { text: corpus.model })),
        el("div", { class: "tableau", role: "region", tabindex: "0", "aria-label": "Documents par dossier et par type" },
          el("table", {}, el("caption", { text: "Documents par dossier et par type" }),
            el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Dossier" }), el("th", { scope: "col", text: "Type" }),
                                   el("th", { scope: "col", class: "nombre", text: "Documents" }))),
            el("tbody", {}, corpus.folders.map((f) => el("tr", {}, el("th", { scope: "row", text: f.folder }), el("td", { text: f.type }),
                                                           el("td", { class: "nombre", text: number.format(f.documents) })))))),
        el("h3", { text: `Fichiers écartés (${number.format(skipped.length)})` }),
        skipped.length ? el("ul", {}, skipped.map(([path, reason]) => el("li", {}, el("code", { text: path }), ` : ${reason}`)))
          : el("p", { text: "Aucun fichier écarté à la dernière construction." }));
    });
  }

  async function reindex() {
    const button = $("reindexer");
    button.disabled = true;
    await guarded("etat-reindexation", async () => {
      let state;
      try {
        state = await json("/admin/reindex", { method: "POST" });
      } catch (error) {
        if (error.status !== 409) throw error;
        state = await json("/admin/reindex");
      }
      await follow(state, true);
    });
    button.disabled = false;
  }

  /** Shows a rebuild running at page load, and follows it. */
  async function followReindex() {
    await guarded("etat-reindexation", async () => follow(await json("/admin/reindex"), false));
  }

  /** Polls the rebuild while it runs, from ``state`` on; ``announce`` says the outcome of a rebuild started from
   * this page. */
  async function follow(state, announce) {
    while (state.state === "running") {
      showReindex(state);
      $("reindexer").disabled = true;
      await new Promise((resolve) => setTimeout(resolve, REINDEX_POLL_MS));
      state = await json("/admin/reindex");
    }
    $("reindexer").disabled = false;
    if (announce || state.state === "failed") showReindex(state);
    if (announce && state.state === "done") await loadCorpus();
  }

  function showReindex(state) {
    const bar = $("barre-avancement");
    const status = $("etat-reindexation");
    $("avancement").hidden = state.state !== "running";
    if (state.state === "running") {
      if (state.files_total) {
        bar.max = state.files_total;
        bar.value = state.files_done;
        status.textContent = `Réindexation en cours : ${number.format(state.files_done)} fichier(s) sur ${number.format(state.files_total)}.`;
      } else {
        bar.removeAttribute("value");
        status.textContent = "Réindexation en cours : lecture du corpus…";
      }
    } else if (state.state === "done") {
      const report = state.report || {};
      status.textContent = `Réindexation terminée le ${formatDate(state.finished_at)} : ${number.format(report.documents || 0)} documents, `
        + `${number.format(report.chunks || 0)} passages, ${number.format(report.files_read || 0)} fichier(s) relu(s) en ${number.format(Math.round((report.seconds || 0) * 10) / 10)} s.`;
    } else if (state.state === "failed") {
      status.textContent = `La réindexation a échoué (${state.error}) : l'index précédent reste en service.`;
    }
  }

  // ---------- start ----------

  document.addEventListener("DOMContentLoaded", () => {
    $("formulaire-connexion").addEventListener("submit", login);
    $("deconnexion").addEventListener("click", () => logout());
    $("reindexer").addEventListener("click", reindex);
    $("filtres-avis").addEventListener("submit", (event) => { event.preventDefault(); loadFeedback(); });
    $("formulaire-export").addEventListener("submit", exportCsv);
    for (const radio of document.querySelectorAll("input[name=periode]")) {
      radio.addEventListener("change", () => Promise.all([loadActivity(), loadGaps()]));
    }
    if (sessionStorage.getItem(KEY_STORAGE)) showConsole();
    else $("connexion").hidden = false;
  });
})();
