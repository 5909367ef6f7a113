// The plan document's three renderings: text like `pulumi preview`, JSON, and markdown for a pull-request comment.
import type { PlanDocument, PlanResource } from "./document";
import type { Finding } from "../policyHost/protocol";
import { percent } from "../../policies/lib/availability";

/**
 * Where a document's resources come from: the program run under the mock engine (a preview of what `pulumi up` would
 * create), or a `pulumi stack export` file (an audit of what is deployed, as `pulumi policy analyze --file` runs it:
 * nothing is created or changed).
 */
export type PlanSource = { kind: "program" } | { kind: "stackExport"; file: string };

/** A plan document, with where its resources come from (a document without `source` is a program's preview). */
export type RenderedDocument = PlanDocument & { source?: PlanSource };

const auditOf = (doc: RenderedDocument) => (doc.source?.kind === "stackExport" ? doc.source : undefined);

const usd = (n: number) => n.toFixed(2);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** The violation text without the policy description the host prefixes to it. */
export const violation = (f: Finding) =>
    f.message.startsWith(`${f.description}\n`) ? f.message.slice(f.description.length + 1) : f.message;
/** The budget verdict: the cost against the stack's maxMonthlyUsd. */
const budgetLine = (doc: PlanDocument) => {
    const { maxMonthlyUsd, withinBudget } = doc.budget!;
    const verdict = withinBudget ? "within budget" : `over by $${usd(doc.cost.monthlyUsd - maxMonthlyUsd)}`;
    const of = `$${usd(doc.cost.monthlyUsd)} of $${usd(maxMonthlyUsd)}`;
    return `Budget: ${of} (stack-monthly-budget, maxMonthlyUsd): ${verdict}.`;
};
const LEVEL_ORDER = ["mandatory", "remediate", "advisory", "disabled"];

/** Findings grouped by policy, mandatory policies first, then by name. */
export function byPolicy(
    findings: PlanDocument["findings"],
): { policy: string; level: string; description: string; items: PlanDocument["findings"] }[] {
    const groups = new Map<string, PlanDocument["findings"]>();
    for (const f of findings)
        groups.set(`${f.level}\u0000${f.policy}`, [...(groups.get(`${f.level}\u0000${f.policy}`) ?? []), f]);
    return [...groups.values()]
        .map((items) => ({ policy: items[0].policy, level: items[0].level, description: items[0].description, items }))
        .sort(
            (a, b) => LEVEL_ORDER.indexOf(a.level) - LEVEL_ORDER.indexOf(b.level) || a.policy.localeCompare(b.policy),
        );
}

/** The resource tree as `pulumi preview` draws it; for an audit, what was analyzed (nothing is planned). */
export function tree(doc: RenderedDocument): string[] {
    const audit = auditOf(doc) !== undefined;
    const children = new Map<string, PlanResource[]>();
    for (const r of doc.resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
    const rows: [string, string, string][] = [];
    const walk = (r: PlanResource, prefix: string, branch: string) => {
        const step = audit ? "analyzed" : "create";
        rows.push([`${prefix}${branch}${r.type}`, r.name, r.protect ? `${step} (protected)` : step]);
        const kids = children.get(r.urn) ?? [];
        const nextPrefix = prefix + (branch === "├─ " ? "│  " : branch === "└─ " ? "   " : "");
        kids.forEach((k, i) => walk(k, nextPrefix, i === kids.length - 1 ? "└─ " : "├─ "));
    };
    for (const root of children.get("") ?? []) walk(root, "", "");
    const w0 = Math.max(4, ...rows.map((r) => r[0].length));
    const w1 = Math.max(4, ...rows.map((r) => r[1].length));
    const mark = audit ? "     " : " +   ";
    return [
        `     ${"Type".padEnd(w0)}  ${"Name".padEnd(w1)}  ${audit ? "Audit" : "Plan"}`,
        ...rows.map(([t, n, p]) => `${mark}${t.padEnd(w0)}  ${n.padEnd(w1)}  ${p}`),
    ];
}

const verdict = (doc: RenderedDocument) =>
    doc.summary.mandatory === 0
        ? "no mandatory policy violations"
        : auditOf(doc)
          ? "pulumi policy analyze would fail: mandatory policy violations"
          : "preview would fail: mandatory policy violations";

export function renderText(doc: RenderedDocument): string {
    const audit = auditOf(doc);
    const out: string[] = [
        audit
            ? `Auditing the deployed stack (${doc.stack}) offline: ${plural(doc.summary.resources, "resource")} ` +
              `from the stack export ${audit.file}, as pulumi policy analyze --file does`
            : `Previewing update (${doc.stack}) offline${doc.tier !== null ? `, tier ${doc.tier}` : ""}`,
        "",
        ...tree(doc),
        "",
    ];
    const outputs = Object.entries(doc.outputs);
    if (outputs.length) {
        const w = Math.max(...outputs.map(([k]) => k.length));
        out.push(
            "Outputs:",
            ...outputs.map(([k, v]) => `    ${k.padEnd(w)}: ${v === "[secret]" ? v : JSON.stringify(v)}`),
            "",
        );
    }
    if (doc.policyPack) {
        const p = doc.policyPack;
        const mark = doc.summary.mandatory ? "❌" : "✅";
        const config = p.config ? ` config ${p.config}` : "";
        out.push("Policies:", `    ${mark} ${p.name}@v${p.version} (local: ${p.path})${config}`);
        for (const g of byPolicy(doc.findings)) {
            out.push(
                `        - [${g.level}]  ${g.policy}  (${plural(g.items.length, "finding")})`,
                `          ${g.description}`,
            );
            for (const f of g.items) {
                out.push(`          • ${f.type ? `${f.type}: ${f.name}` : "stack"}`);
                for (const line of violation(f).split("\n")) out.push(`            ${line}`);
            }
        }
        out.push("");
    } else {
        out.push("Policies: skipped (no policy pack)", "");
    }
    if (doc.remediations.length) {
        out.push("Remediations (policies at enforcement level remediate changed these inputs before the checks ran):");
        for (const m of doc.remediations) {
            for (const ch of m.changes)
                out.push(
                    `    ~ ${m.type}: ${m.name}  ${ch.property}: ` +
                        `${JSON.stringify(ch.before)} => ${JSON.stringify(ch.after)}  (${m.policy})`,
                );
        }
        out.push("");
    }
    const c = doc.cost;
    out.push(
        `Estimated monthly cost (${c.currency}, list prices collected ${c.pricesCollected}, policies/lib/prices.json):`,
    );
    const rows = c.items.map((i) => [i.name, i.description, usd(i.monthlyUsd)]);
    const w0 = Math.max(8, ...rows.map((r) => r[0].length));
    const w1 = Math.max(4, ...rows.map((r) => r[1].length));
    const w2 = Math.max(9, ...rows.map((r) => r[2].length), usd(c.monthlyUsd).length);
    out.push(`    ${"Resource".padEnd(w0)}  ${"Item".padEnd(w1)}  ${"USD/month".padStart(w2)}`);
    for (const [a, b, v] of rows) out.push(`    ${a.padEnd(w0)}  ${b.padEnd(w1)}  ${v.padStart(w2)}`);
    out.push(`    ${"Total".padEnd(w0)}  ${"".padEnd(w1)}  ${usd(c.monthlyUsd).padStart(w2)}`);
    for (const u of c.unpriced) out.push(`    not priced: ${u.name} (${u.type}): ${u.reason}`);
    if (doc.budget) out.push(`    ${budgetLine(doc)}`);
    out.push("");
    const a = doc.availability;
    out.push(
        `Expected monthly availability (DigitalOcean SLAs, docs/availability.md): ${percent(a.availability)}, ` +
            `about ${a.downtimeMinutesPerMonth} minutes down in a 30-day month`,
    );
    const stageRows = a.stages.map((st) => [st.kind, st.label, String(st.instances), percent(st.availability)]);
    const sw = [5, 4, 9].map((min, i) => Math.max(min, ...stageRows.map((r) => r[i].length)));
    out.push(`    ${"Stage".padEnd(sw[0])}  ${"What".padEnd(sw[1])}  ${"Instances".padStart(sw[2])}  Availability`);
    for (const [k, l, n, v] of stageRows)
        out.push(`    ${k.padEnd(sw[0])}  ${l.padEnd(sw[1])}  ${n.padStart(sw[2])}  ${v}`);
    const singlePoints = a.singlePoints.length ? a.singlePoints.map((n) => `"${n}"`).join(", ") : "none";
    out.push(`    single points of failure: ${singlePoints}`, "");
    if (doc.diagram.svg) out.push(`Architecture: ${doc.diagram.svg} (Mermaid: ${doc.diagram.mermaid})`, "");
    out.push(
        "Resources:",
        audit
            ? `    ${doc.summary.resources} analyzed (the deployed state; nothing is created or changed)`
            : `    + ${doc.summary.resources} to create`,
        "",
    );
    const s = doc.summary;
    out.push(
        `Summary: ${plural(s.resources, "resource")}, ${plural(s.mandatory, "mandatory finding")}, ` +
            `${plural(s.advisory, "advisory finding")}, $${usd(s.monthlyUsd)}/month; ${verdict(doc)}.`,
    );
    return out.join("\n") + "\n";
}

export function renderJson(doc: PlanDocument): string {
    return JSON.stringify(doc, null, 2) + "\n";
}

const md = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, "<br>");

export function renderMarkdown(doc: RenderedDocument): string {
    const s = doc.summary;
    const counts = [
        plural(s.resources, "resource"),
        plural(s.mandatory, "mandatory finding"),
        plural(s.advisory, "advisory finding"),
        `$${usd(s.monthlyUsd)}/month`,
    ];
    const audit = auditOf(doc);
    const out: string[] = [
        audit
            ? `### Offline audit: stack \`${doc.stack}\` from the stack export \`${audit.file}\``
            : `### Offline plan: stack \`${doc.stack}\`${doc.tier !== null ? `, tier ${doc.tier}` : ""}`,
        "",
        `${s.mandatory ? "❌" : "✅"} **${counts.join(" · ")}** (${verdict(doc)})`,
        "",
        "#### Policy findings",
        "",
    ];
    if (!doc.policyPack) out.push("Skipped: no policy pack.", "");
    else if (doc.findings.length === 0)
        out.push(`None from \`${doc.policyPack.name}@v${doc.policyPack.version}\`.`, "");
    else {
        const { name, version, config } = doc.policyPack;
        out.push(`From \`${name}@v${version}\`${config ? ` with \`${config}\`` : ""}.`, "");
        out.push("| Level | Policy | Resource | Finding |", "|---|---|---|---|");
        for (const g of byPolicy(doc.findings)) {
            for (const f of g.items)
                out.push(
                    `| ${f.level} | \`${f.policy}\` | ${f.name ? `\`${f.name}\`` : "stack"} | ${md(violation(f))} |`,
                );
        }
        out.push("");
    }
    if (doc.remediations.length) {
        out.push(
            "#### Remediations",
            "",
            "Policies at enforcement level `remediate` changed these inputs before the checks ran.",
            "",
        );
        out.push("| Resource | Property | Before | After | Policy |", "|---|---|---|---|---|");
        for (const m of doc.remediations) {
            for (const ch of m.changes)
                out.push(
                    `| \`${m.name}\` | \`${ch.property}\` | \`${md(JSON.stringify(ch.before))}\` | ` +
                        `\`${md(JSON.stringify(ch.after))}\` | \`${m.policy}\` |`,
                );
        }
        out.push("");
    }
    out.push(
        `#### Estimated monthly cost (${doc.cost.currency})`,
        "",
        "| Resource | Item | USD/month |",
        "|---|---|---:|",
    );
    for (const i of doc.cost.items) out.push(`| \`${i.name}\` | ${md(i.description)} | ${usd(i.monthlyUsd)} |`);
    out.push(`| **Total** | | **${usd(doc.cost.monthlyUsd)}** |`, "");
    for (const u of doc.cost.unpriced) out.push(`- Not priced: \`${u.name}\` (${u.type}): ${u.reason}`);
    if (doc.budget) out.push(`${budgetLine(doc)}`, "");
    out.push(
        `List prices from \`policies/lib/prices.json\`, collected ${doc.cost.pricesCollected}; ` +
            "sources and dates per figure are in that file.",
        "",
    );
    const a = doc.availability;
    out.push(
        `#### Expected monthly availability: ${percent(a.availability)}`,
        "",
        `About ${a.downtimeMinutesPerMonth} minutes down in a 30-day month, ` +
            "composed from DigitalOcean's published SLAs over the request path (see `docs/availability.md`).",
        "",
        "| Stage | What | Instances | Availability |",
        "|---|---|---:|---:|",
        ...a.stages.map((st) => `| ${st.kind} | ${md(st.label)} | ${st.instances} | ${percent(st.availability)} |`),
        "",
        `Single points of failure: ${a.singlePoints.map((n) => `\`${n}\``).join(", ") || "none"}.`,
        "",
    );
    out.push("#### Architecture", "", "```mermaid", doc.diagram.mermaidText.trimEnd(), "```", "");
    out.push(
        `<details><summary>Resources (${s.resources}${audit ? ", analyzed as deployed" : ""})</summary>`,
        "",
        "```",
        ...tree(doc),
        "```",
        "",
        "</details>",
        "",
    );
    return out.join("\n");
}
