import assert from "node:assert/strict";
import { parsePrometheusText } from "./prometheus.ts";

Deno.test("parsePrometheusText() reads families, escaped labels and values", () => {
  const parsed = parsePrometheusText(
    [
      "# HELP a_total Things\\\\ counted\\nhere.",
      "# TYPE a_total counter",
      'a_total{path="/x\\\\y\\"z\\n",k="v"} 3',
      "a_total 4",
      "",
    ].join("\n"),
  );
  assert.equal(parsed.help.get("a_total"), "Things\\ counted\nhere.");
  assert.equal(parsed.value("a_total", { k: "v", path: '/x\\y"z\n' }), 3);
  assert.equal(parsed.value("a_total"), 4);
});

Deno.test("parsePrometheusText() refuses what breaks format 0.0.4", () => {
  for (
    const text of [
      "x 1\n",
      '# HELP x h\n# TYPE x gauge\nx{a="b} 1\n',
      '# HELP x h\n# TYPE x gauge\nx{a="\\t"} 1\n',
      "# HELP x h\n# TYPE x gauge\nx one\n",
      "# HELP x h\n# TYPE x counter\nx 1\n",
      "# TYPE x gauge\nx 1\n",
      "# HELP x h\n# TYPE x gauge\nx 1",
    ]
  ) assert.throws(() => parsePrometheusText(text), SyntaxError, JSON.stringify(text));
});
