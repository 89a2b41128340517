// The page: asks /v1/chat/completions (streamed) and /search, and draws what comes back.
// Paper data is untrusted: it is only ever set as text (textContent), never parsed as HTML,
// and a link is made only from an http(s) URL.
"use strict";

const $ = (id) => document.getElementById(id);
const FILTERS = ["year", "author", "category", "venue", "tag"];
// The conversation so far, as the API takes it: a follow-up ("what loss did they use?") is read
// with the papers of the answer before it. Only the last exchanges are kept and sent.
const KEPT_MESSAGES = 8;
let conversation = [];

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function safeUrl(url) {
  try {
    const parsed = new URL(String(url));
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch (e) {
    return null;
  }
}

function byline(paper) {
  const authors = (paper.authors || []).slice(0, 3).join(", ") + ((paper.authors || []).length > 3 ? " et al." : "");
  return [authors, paper.year ? `(${paper.year})` : "", paper.venue || ""].filter(Boolean).join(" ");
}

// The answer's text with each [n] a link to reference n.
function drawCited(container, text) {
  container.replaceChildren();
  const marks = /\[(\d+)\]/g;
  let last = 0;
  let match;
  while ((match = marks.exec(text)) !== null) {
    container.append(document.createTextNode(text.slice(last, match.index)));
    const link = el("a", `[${match[1]}]`, "cite");
    link.href = `#ref-${match[1]}`;
    container.append(link);
    last = marks.lastIndex;
  }
  container.append(document.createTextNode(text.slice(last)));
}

function paperItem(paper, id) {
  const item = el("li");
  if (id) item.id = id;
  const url = safeUrl(paper.url);
  const title = el(url ? "a" : "strong", paper.title || "(untitled)");
  if (url) {
    title.href = url;
    title.rel = "noopener noreferrer";
    title.target = "_blank";
  }
  item.append(title);
  const by = byline(paper);
  if (by) item.append(" ", el("span", by, "byline"));
  if (paper.evidence) item.append(el("span", paper.evidence, "evidence"));
  return item;
}

function filters() {
  const found = {};
  for (const name of FILTERS) {
    const value = $(`f-${name}`).value.trim();
    if (value) found[name] = value;
  }
  return found;
}

function headers() {
  const h = { "Content-Type": "application/json" };
  const key = $("api-key").value || sessionStorage.getItem("rag-key");
  if (key) h.Authorization = `Bearer ${key}`;
  return h;
}

function showConversation() {
  const asked = conversation.filter((m) => m.role === "user").map((m) => m.content);
  $("earlier").textContent = asked.join(" · ");
  $("thread").hidden = asked.length === 0;
}

function newConversation() {
  conversation = [];
  showConversation();
}

function status(text, isError) {
  $("status").textContent = text || "";
  $("status").className = isError ? "error" : "";
}

async function failure(response) {
  if (response.status === 401) $("key-row").hidden = false;
  try {
    const body = await response.json();
    return body.error && body.error.message ? body.error.message : `HTTP ${response.status}`;
  } catch (e) {
    return `HTTP ${response.status}`;
  }
}

async function search(question) {
  const params = new URLSearchParams({ q: question, k: "8" });
  for (const [name, value] of Object.entries(filters())) params.append(name, value);
  const response = await fetch(`/search?${params}`, { headers: headers() });
  const list = $("results");
  list.replaceChildren();
  if (!response.ok) return;
  const body = await response.json();
  for (const hit of body.results) list.append(paperItem(hit));
  $("results-box").hidden = body.results.length === 0;
}

function finish(chunk) {
  const refs = chunk.references || [];
  const list = $("references");
  list.replaceChildren(...refs.map((ref) => paperItem(ref, `ref-${ref.number}`)));
  $("references-box").hidden = refs.length === 0;
  const details = chunk.rag || {};
  const closest = details.closest || [];
  $("closest").replaceChildren(...closest.map((paper) => paperItem(paper)));
  $("closest-box").hidden = !(details.refused && closest.length);
  $("answer").classList.toggle("refused", Boolean(details.refused));
  const notes = [];
  if (details.searched && details.searched !== $("question").value.trim()) notes.push(`searched for: ${details.searched}`);
  if (details.fallback_reason) notes.push(`answered by ${details.backend}: ${details.fallback_reason}`);
  status(notes.join(" · "));
}

async function ask(question) {
  document.body.dataset.state = "asking";
  $("go").disabled = true;
  status("Searching the papers…");
  $("answer-box").hidden = false;
  $("references-box").hidden = true;
  $("closest-box").hidden = true;
  $("references").replaceChildren();
  $("closest").replaceChildren();
  let text = "";
  let reply = ""; // everything the server sent as content, as it remembers the reply
  let finished = false;
  drawCited($("answer"), text);
  const searched = search(question).catch(() => {});
  try {
    const response = await fetch("/v1/chat/completions", {
      method: "POST",
      headers: headers(),
      body: JSON.stringify({
        model: $("model").value || "rag",
        stream: true,
        messages: [...conversation, { role: "user", content: question }],
        filters: filters(),
      }),
    });
    if (!response.ok) throw new Error(await failure(response));
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const line = buffer.slice(0, end).trim();
        buffer = buffer.slice(end + 2);
        if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
        const chunk = JSON.parse(line.slice(6));
        if (chunk.error) throw new Error(chunk.error.message);
        const event = chunk.rag_event || {};
        const choice = chunk.choices[0];
        reply += choice.delta.content || "";
        if (event.type === "replaced") {
          text = "";
          status(event.reason);
        } else if (event.type === "notice") {
          status(event.text);
        } else if (event.type !== "tail" && choice.delta.content) {
          if (!text) status("");
          text += choice.delta.content;
        }
        drawCited($("answer"), text);
        if (choice.finish_reason) {
          finish(chunk);
          finished = true;
        }
      }
    }
  } catch (error) {
    status(error.message, true);
  }
  if (finished) {
    const exchange = [{ role: "user", content: question }, { role: "assistant", content: reply }];
    conversation = [...conversation, ...exchange].slice(-KEPT_MESSAGES);
    showConversation();
  }
  await searched;
  $("go").disabled = false;
  document.body.dataset.state = "done";
  document.body.dataset.answers = String(Number(document.body.dataset.answers || 0) + 1);
}

async function loadModels() {
  const response = await fetch("/v1/models", { headers: headers() });
  if (!response.ok) return;
  const body = await response.json();
  $("model").replaceChildren(...body.data.map((m) => {
    const option = el("option", `${m.id} (${m.backend})`);
    option.value = m.id;
    return option;
  }));
}

function start() {
  $("new-conversation").addEventListener("click", newConversation);
  $("api-key").addEventListener("change", () => sessionStorage.setItem("rag-key", $("api-key").value));
  $("ask").addEventListener("submit", (event) => {
    event.preventDefault();
    const question = $("question").value.trim();
    if (!question) return;
    history.replaceState(null, "", `/?q=${encodeURIComponent(question)}`);
    ask(question);
  });
  loadModels().catch(() => {});
  const asked = new URLSearchParams(location.search).get("q");
  if (asked) {
    $("question").value = asked;
    ask(asked);
  }
}

start();
