// The diagram model rendered two ways: Graphviz DOT (→ SVG through a WASM build, so no system install) and
// Mermaid (GitHub renders it in PR comments).
import { Graphviz } from "@hpcc-js/wasm-graphviz";
import type { Diagram, DiagramGroup, NodeKind } from "./model";

const DOT_STYLE: Record<NodeKind, string> = {
    users: 'shape=oval, fillcolor="#ffffff"',
    dns: 'shape=box, fillcolor="#e8f0fe"',
    lb: 'shape=box, fillcolor="#d2e3fc"',
    droplets: 'shape=box3d, fillcolor="#e6f4ea"',
    autoscale: 'shape=box3d, fillcolor="#e6f4ea"',
    db: 'shape=cylinder, fillcolor="#fce8e6"',
    standby: 'shape=cylinder, fillcolor="#fef7e0"',
    replica: 'shape=cylinder, fillcolor="#f3e8fd"',
    cache: 'shape=cylinder, fillcolor="#fff0e0"',
    bucket: 'shape=folder, fillcolor="#f1f3f4"',
    cdn: 'shape=box, fillcolor="#f1f3f4"',
    monitoring: 'shape=hexagon, fillcolor="#fff8e1"',
};
const GROUP_STYLE: Record<DiagramGroup["kind"], string> = {
    vpc: 'style="rounded,dashed"; color="#5f6368"',
    firewall: 'style="rounded,bold"; color="#d93025"',
    "database-firewall": 'style="rounded,bold"; color="#d93025"',
    "database-cluster": 'style="rounded"; color="#a142f4"',
};

const dotText = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');

function childrenOf(d: Diagram, parent: string) {
    return { groups: d.groups.filter((g) => g.parent === parent), nodes: d.nodes.filter((n) => n.group === parent) };
}

/** Graphviz DOT, left to right in the direction requests flow. */
export function toDot(d: Diagram, title: string): string {
    const lines = [
        "digraph webstack {",
        `  graph [rankdir=LR, fontname="Helvetica", fontsize=12, label="${dotText(title)}", labelloc=t, ` +
            "nodesep=0.4, ranksep=0.7];",
        '  node [fontname="Helvetica", fontsize=11, style="filled,rounded", penwidth=1, margin="0.25,0.08"];',
        '  edge [fontname="Helvetica", fontsize=9, color="#5f6368"];',
    ];
    const emit = (parent: string, indent: string) => {
        const { groups, nodes } = childrenOf(d, parent);
        for (const n of nodes)
            lines.push(`${indent}${n.id} [label="${n.label.map(dotText).join("\\n")}", ${DOT_STYLE[n.kind]}];`);
        for (const g of groups) {
            lines.push(
                `${indent}subgraph cluster_${g.id} {`,
                `${indent}  label="${dotText(g.label)}"; ${GROUP_STYLE[g.kind]};`,
            );
            emit(g.id, `${indent}  `);
            lines.push(`${indent}}`);
        }
    };
    emit("", "  ");
    for (const e of d.edges) {
        const attrs = [
            e.label ? `label="${dotText(e.label)}"` : "",
            e.dashed ? "style=dashed" : "",
            e.from === "monitoring" ? "constraint=false" : "",
        ].filter(Boolean);
        lines.push(`  ${e.from} -> ${e.to}${attrs.length ? ` [${attrs.join(", ")}]` : ""};`);
    }
    lines.push("}");
    return lines.join("\n") + "\n";
}

const MERMAID_SHAPE: Record<NodeKind, [string, string]> = {
    users: ["([", "])"],
    dns: ["[", "]"],
    lb: ["[", "]"],
    droplets: ["[", "]"],
    autoscale: ["[", "]"],
    db: ["[(", ")]"],
    standby: ["[(", ")]"],
    replica: ["[(", ")]"],
    cache: ["[(", ")]"],
    bucket: ["[", "]"],
    cdn: ["[", "]"],
    monitoring: ["{{", "}}"],
};
const mermaidText = (s: string) => s.replace(/"/g, "#quot;");

/** Mermaid flowchart text, as GitHub renders it in a ```mermaid block. */
export function toMermaid(d: Diagram): string {
    const lines = ["flowchart LR"];
    const emit = (parent: string, indent: string) => {
        const { groups, nodes } = childrenOf(d, parent);
        for (const n of nodes) {
            const [open, close] = MERMAID_SHAPE[n.kind];
            lines.push(`${indent}${n.id}${open}"${n.label.map(mermaidText).join("<br/>")}"${close}`);
        }
        for (const g of groups) {
            lines.push(`${indent}subgraph ${g.id}["${mermaidText(g.label)}"]`);
            emit(g.id, `${indent}  `);
            lines.push(`${indent}end`);
        }
    };
    emit("", "  ");
    for (const e of d.edges) {
        const arrow = e.dashed
            ? e.label
                ? `-. "${mermaidText(e.label)}" .->`
                : "-.->"
            : e.label
              ? `-->|"${mermaidText(e.label)}"|`
              : "-->";
        lines.push(`  ${e.from} ${arrow} ${e.to}`);
    }
    return lines.join("\n") + "\n";
}

let graphviz: Promise<{ dot(src: string): string }> | undefined;

/** Starts loading the Graphviz WASM build (~0.2 s); call early so it overlaps other work. */
export function preloadGraphviz(): Promise<{ dot(src: string): string }> {
    graphviz ??= Graphviz.load();
    return graphviz;
}

/** Renders DOT to SVG in-process (no system Graphviz). */
export async function renderSvg(dot: string): Promise<string> {
    return (await preloadGraphviz()).dot(dot);
}
