// GET /docs: a static reference page rendered from the OpenAPI document (no scripts). Descriptions are
// CommonMark as OpenAPI says; the inline part they use is rendered, everything else shown as text.

const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

/** Links only to this site, its anchors or http(s): never javascript: or data:. */
const safeHref = (href: string) => /^(https?:\/\/|\/(?!\/)|#)/.test(href);

/** Escaped text with **bold**, *emphasis* and [links](url). */
function prose(text: string): string {
  return esc(text)
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (whole, label: string, href: string) =>
      safeHref(href) ? `<a href="${href}">${label}</a>` : whole,
    )
    .replace(/\*\*(\S(?:[^*]*\S)?)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^\w*])\*(\S(?:[^*]*\S)?)\*(?![\w*])/g, "$1<em>$2</em>");
}

/** Inline Markdown as HTML: `code` spans (their content literal), then prose; all of it escaped. */
export function inlineMarkdown(text: unknown): string {
  return String(text ?? "")
    .split(/(`[^`]+`)/)
    .map((part, i) => (i % 2 === 1 ? `<code>${esc(part.slice(1, -1))}</code>` : prose(part)))
    .join("");
}

interface Operation {
  summary?: string;
  description?: string;
  parameters?: Array<{ name: string; in: string; required?: boolean; description?: string }>;
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, { description: string }>;
}

interface Doc {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

function operation(method: string, path: string, op: Operation): string {
  const params = (op.parameters ?? [])
    .map((p) => {
      const what = `${esc(p.in)}${p.required ? ", required" : ""}`;
      const about = p.description ? ` — ${inlineMarkdown(p.description)}` : "";
      return `<li><code>${esc(p.name)}</code> (${what})${about}</li>`;
    })
    .join("");
  const body = op.requestBody?.content["application/json"]?.schema.$ref?.split("/").pop();
  const responses = Object.entries(op.responses)
    .map(([code, r]) => `<li><code>${esc(code)}</code> ${inlineMarkdown(r.description)}</li>`)
    .join("");
  return `<section><h3><span class="m">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<p>${inlineMarkdown(op.summary)}</p>${op.description ? `<p>${inlineMarkdown(op.description)}</p>` : ""}
${params ? `<h4>Parameters</h4><ul>${params}</ul>` : ""}${body ? `<h4>Body</h4><p><a href="#schema-${esc(body)}">${esc(body)}</a></p>` : ""}
<h4>Responses</h4><ul>${responses}</ul></section>`;
}

export function renderDocs(doc: Doc): string {
  const ops = Object.entries(doc.paths)
    .flatMap(([path, methods]) => Object.entries(methods).map(([m, op]) => operation(m, path, op)))
    .join("\n");
  const schemas = Object.entries(doc.components.schemas)
    .map(
      ([name, s]) =>
        `<section id="schema-${esc(name)}"><h3>${esc(name)}</h3><pre>${esc(JSON.stringify(s, null, 2))}</pre></section>`,
    )
    .join("\n");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(doc.info.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h3{margin-bottom:.2rem}.m{background:#234;color:#fff;padding:0 .4rem;border-radius:3px;font-size:.85em}
pre{background:#f5f5f5;padding:.8rem;overflow:auto;font-size:12px}section{border-top:1px solid #ddd;padding:.5rem 0}</style>
</head><body><h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1>
<p>${inlineMarkdown(doc.info.description)}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p>
<h2>Endpoints</h2>${ops}<h2>Schemas</h2>${schemas}</body></html>`;
}
