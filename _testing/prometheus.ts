/**
 * A small parser of the Prometheus text exposition format 0.0.4 for tests:
 * it checks what a scraper relies on (every sample's family announced by
 * `# HELP` and `# TYPE` before its samples, label values escaped, numbers
 * that parse) and returns the samples for lookups.
 */

/** One sample line. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A parsed exposition. */
export interface Exposition {
  readonly samples: readonly Sample[];
  /** Family name → type. */
  readonly types: ReadonlyMap<string, string>;
  /** Family name → help text (unescaped). */
  readonly help: ReadonlyMap<string, string>;
  /** The value of the one sample with `name` and exactly `labels`; undefined when none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** Reads `{a="x",b="y"}` from `text` at 0; returns the labels and the rest. */
function parseLabels(text: string): [Record<string, string>, string] {
  const labels: Record<string, string> = {};
  let rest = text.slice(1);
  while (!rest.startsWith("}")) {
    const name = LABEL_NAME.exec(rest)?.[0];
    if (!name || rest[name.length] !== "=" || rest[name.length + 1] !== '"') {
      throw new SyntaxError(`Cannot parse labels at "${rest.slice(0, 40)}"`);
    }
    rest = rest.slice(name.length + 2);
    let value = "";
    for (;;) {
      const c = rest[0];
      if (c === undefined || c === "\n") throw new SyntaxError(`Unterminated label value ${name}`);
      if (c === '"') break;
      if (c === "\\") {
        const next = rest[1];
        if (next === "\\") value += "\\";
        else if (next === '"') value += '"';
        else if (next === "n") value += "\n";
        else throw new SyntaxError(`Bad escape \\${next} in label ${name}`);
        rest = rest.slice(2);
      } else {
        value += c;
        rest = rest.slice(1);
      }
    }
    labels[name] = value;
    rest = rest.slice(1);
    if (rest.startsWith(",")) rest = rest.slice(1);
    else if (!rest.startsWith("}")) throw new SyntaxError(`Expected , or } after label ${name}`);
  }
  return [labels, rest.slice(1)];
}

/** The family a sample belongs to (counters are announced without `_total` in newer formats; 0.0.4 keeps it). */
function familyOf(name: string, types: ReadonlyMap<string, string>): string | undefined {
  return types.has(name) ? name : undefined;
}

/**
 * Parses an exposition, throwing `SyntaxError` at the first line that breaks
 * the format or a sample whose family was not announced.
 */
export function parsePrometheusText(text: string): Exposition {
  if (!text.endsWith("\n")) throw new SyntaxError("The exposition must end with a line feed");
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  for (const line of text.slice(0, -1).split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === "HELP") {
        help.set(meta[2], meta[3].replace(/\\n/g, "\n").replace(/\\\\/g, "\\"));
      } else {
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(meta[3])) {
          throw new SyntaxError(`Unknown type ${meta[3]}`);
        }
        if (!help.has(meta[2])) throw new SyntaxError(`TYPE before HELP for ${meta[2]}`);
        types.set(meta[2], meta[3]);
      }
      continue;
    }
    if (line.startsWith("#")) continue;
    const name = NAME.exec(line)?.[0];
    if (!name) throw new SyntaxError(`Cannot parse sample "${line.slice(0, 60)}"`);
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith("{")) [labels, rest] = parseLabels(rest);
    const valueText = /^ (\S+)$/.exec(rest)?.[1];
    const value = valueText === undefined ? NaN : Number(valueText);
    if (Number.isNaN(value) && valueText !== "NaN") {
      throw new SyntaxError(`Cannot parse the value of "${line.slice(0, 60)}"`);
    }
    const family = familyOf(name, types);
    if (!family) throw new SyntaxError(`Sample ${name} before its # TYPE line`);
    if (types.get(family) === "counter" && !name.endsWith("_total")) {
      throw new SyntaxError(`Counter ${name} does not end in _total`);
    }
    samples.push({ name, labels, value });
  }
  return {
    samples,
    types,
    help,
    value(name, labels = {}) {
      const wanted = JSON.stringify(Object.entries(labels).sort());
      return samples.find((s) =>
        s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === wanted
      )?.value;
    },
  };
}
