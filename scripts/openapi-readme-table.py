#!/usr/bin/env python3
"""README.md's API table, generated from docs/openapi.yaml.

    scripts/openapi-readme-table.py            rewrite the table in README.md
    scripts/openapi-readme-table.py --check    exit 1 (with a diff) when README.md's table is not
                                               what the document gives; `make test` runs this
    [--document docs/openapi.yaml] [--readme README.md]

The table is everything between the lines `<!-- api-table:begin -->` and
`<!-- api-table:end -->`: a blank line, the `| call | answer |` header, one row per operation in
the document's order (paths, and the methods of each as written), then a blank line (so the
marker comments stay out of the table in any Markdown renderer). A row is the call and the
first paragraph of the operation's `description` (its lines up to the first blank one, joined by
spaces), with `|` escaped for the table. The call is `METHOD path`, then the query parameters
(the required ones as `?name=…&name=…`, of the optional ones the first as `[?name=…]`, with `&…`
when there are more) and the JSON body's required properties (`{"name","name"}`), the request's
shape as the original service's README showed it. HEAD operations are left out: the paragraph after the
table says where HEAD is answered. Needs PyYAML only.
"""

import argparse
import difflib
import os
import re
import sys

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import openapi_refs  # noqa: E402  (scripts/lib, after the path above)

BEGIN = "<!-- api-table:begin -->"
END = "<!-- api-table:end -->"
METHODS = ("get", "put", "post", "delete", "options", "patch", "trace")  # not head
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def first_paragraph(text):
    lines = []
    for line in (text or "").strip().splitlines():
        if not line.strip():
            break
        lines.append(line.strip())
    return " ".join(lines)


def cell(text):
    # An unescaped | would end the cell, also inside a code span (GitHub's tables).
    return re.sub(r"(?<!\\)\|", r"\\|", text)


def resolve(document, node):
    return openapi_refs.resolve(document, node) or {}


def call(document, method, path, item, operation):
    """`METHOD path?query {"body"}`, short: see the module's doc."""
    parameters = [resolve(document, p) for p in (item.get("parameters") or []) + (operation.get("parameters") or [])]
    query = [p for p in parameters if p.get("in") == "query"]
    required = ["%s=…" % p["name"] for p in query if p.get("required")]
    optional = ["%s=…" % p["name"] for p in query if not p.get("required")]
    text = "%s %s" % (method.upper(), path)
    if required:
        text += "?" + "&".join(required)
    if optional:
        more = "&…" if len(optional) > 1 else ""
        text += "[%s%s%s]" % ("&" if required else "?", optional[0], more)
    body = resolve(document, operation.get("requestBody"))
    schema = resolve(document, ((body.get("content") or {}).get("application/json") or {}).get("schema"))
    names = schema.get("required") or []
    if names:
        text += " {%s}" % ",".join('"%s"' % name for name in names)
    return text


def table(document):
    rows = ["", "| call | answer |", "|---|---|"]
    problems = []
    for path, item in (document.get("paths") or {}).items():
        for method, operation in (item or {}).items():
            if method not in METHODS:
                continue
            answer = first_paragraph((operation or {}).get("description"))
            if not answer:
                problems.append("%s %s has no description" % (method.upper(), path))
            rows.append("| `%s` | %s |" % (cell(call(document, method, path, item, operation or {})), cell(answer)))
    return rows + [""], problems


def split_readme(text, readme):
    lines = text.split("\n")
    if lines.count(BEGIN) != 1 or lines.count(END) != 1:
        raise SystemExit("openapi-readme-table: %s needs exactly one line %s and one %s" % (readme, BEGIN, END))
    begin, end = lines.index(BEGIN), lines.index(END)
    if end < begin:
        raise SystemExit("openapi-readme-table: %s has %s before %s" % (readme, END, BEGIN))
    return lines[: begin + 1], lines[begin + 1 : end], lines[end:]


def main(argv):
    parser = argparse.ArgumentParser(description="README.md's API table from docs/openapi.yaml")
    parser.add_argument("--check", action="store_true", help="fail when README.md's table is not current")
    parser.add_argument("--document", default=os.path.join(REPO, "docs", "openapi.yaml"))
    parser.add_argument("--readme", default=os.path.join(REPO, "README.md"))
    args = parser.parse_args(argv)

    with open(args.document, encoding="utf-8") as file:
        document = yaml.safe_load(file)
    rows, problems = table(document)
    if problems:
        for problem in problems:
            print("openapi-readme-table: %s: %s" % (args.document, problem), file=sys.stderr)
        return 1
    with open(args.readme, encoding="utf-8") as file:
        text = file.read()
    head, current, tail = split_readme(text, args.readme)
    if current == rows:
        if not args.check:
            print("openapi-readme-table: %s is current (%d operations)" % (args.readme, len(rows) - 4))
        return 0
    if args.check:
        diff = difflib.unified_diff(current, rows, "%s (committed)" % args.readme, "from %s" % args.document, lineterm="")
        print("openapi-readme-table: the API table in %s is not what %s gives; run scripts/openapi-readme-table.py"
              % (args.readme, args.document))
        print("\n".join(diff))
        return 1
    with open(args.readme + ".tmp", "w", encoding="utf-8") as file:
        file.write("\n".join(head + rows + tail))
    os.replace(args.readme + ".tmp", args.readme)
    print("openapi-readme-table: rewrote the API table in %s (%d operations)" % (args.readme, len(rows) - 4))
    return 0


if __name__ == "__main__":
    from tool_exit import run

    run(main, sys.argv[1:])
