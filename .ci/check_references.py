#!/usr/bin/env python3
"""Fails when a file in the repository cites a Markdown document that is not in it.

Usage:
    python3 .ci/check_references.py                 # exit 1 and list every bad reference
    python3 .ci/check_references.py --list          # every reference found, with its resolution
    python3 .ci/check_references.py --root DIR      # check another tree (default: this repository)
    python3 .ci/check_references.py --check-mapping docs/design/REFERENCES.tsv
                                                    # also: every bad reference has a mapping
                                                    # line and every mapping target resolves
    python3 .ci/check_references.py --self-test     # the checker's own tests

Files checked (folders named `target` and `.git` are skipped):
- source files: *.rs, *.toml, *.py, *.sh, *.rhai, and extensionless scripts starting
  with `#!` (such as .ci/run);
- Markdown files: *.md.

Rules:
1. In a source file, a reference is any token ending in `.md`, optionally followed by
   `#anchor` and by section designators (`\u00a74`, `\u00a712\u201314`, `\u00a74.4, \u00a75`,
   `Part A`, `B.2`).
   The path must name a file that exists, either relative to the citing file's folder or
   relative to the repository root. A bare name that resolves neither way (a document
   that lives outside the repository) is an error.
2. In a Markdown file, link targets `](<path>.md#anchor)` must resolve relative to the
   Markdown file's folder (a leading `/` means the repository root); bare `.md` mentions
   are checked as in source files. http(s) and other URLs are ignored everywhere.
3. An `#anchor` after a Markdown path must be the GitHub slug of a heading of that file.
   A numbered designator (`\u00a72`, `\u00a71.4`) or a part (`Part A`, `A.2`) must match the
   leading number of a heading of that file; cite an anchor for files whose headings are
   not numbered.
4. In a source file, a section sign (\u00a7) that does not follow a document reference
   (as part of its section list) is an error: it cites a section of nothing. Markdown files
   may use it for their own sections.
5. Any mention of the private spec folder (the two patterns are in FORBIDDEN below) is an
   error: the repository must not depend on files outside it.

Exit status: 0 when everything resolves, 1 when something does not, 2 on usage errors.
"""

import argparse
import os
import re
import sys
import unicodedata

SOURCE_EXTENSIONS = (".rs", ".toml", ".py", ".sh", ".rhai")
SKIPPED_DIRS = {"target", ".git"}

# Written in two parts so that this file does not mention them itself.
FORBIDDEN = ["..", "/shared"], ["shared", "/spec"]
FORBIDDEN_RE = re.compile("|".join(re.escape(a + b) for a, b in FORBIDDEN))

URL_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s)>\]\"'`]*")

SECTION_SIGN = "\u00a7"
SEC = r"\d+(?:\.\d+)*"
# One section designator: S4, S4.4, S12-14, S4-S6 (S = the section sign; an optional
# "step N" may follow), Part A, B.2.
ITEM = rf"(?:\u00a7[ \t]*{SEC}(?:[ \t]*[\u2013-][ \t]*\u00a7?[ \t]*{SEC})?(?:[ \t]+step[ \t]+\d+)?|Part[ \t]+[A-Z]\b|[A-Z]\.\d+\b)"
# Between designators: spaces, or a line break followed by a comment leader.
GAP = r"(?:[ \t]*\n[ \t]*(?://[/!]?|#|\*|--)?)?[ \t]*"
TAIL = rf"(?:{GAP}{ITEM}(?:[ \t]*(?:,|and|&){GAP}{ITEM})*)?"
PATH = r"(?<![A-Za-z0-9_./-])([A-Za-z0-9_.-][A-Za-z0-9_./-]*\.md)(?![A-Za-z0-9_])(#[A-Za-z0-9_-]+)?"
REF_RE = re.compile(PATH + "(" + TAIL + ")")
ITEM_RE = re.compile(ITEM)
PATH_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./-")
LINK_RE = re.compile(r"(?:\[[^\[\]\n]*)?\]\(\s*<?([^()\s<>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REF_DEF_RE = re.compile(r"^[ \t]{0,3}\[[^\]]+\]:[ \t]*<?(\S+?)>?(?:[ \t]+\"[^\"]*\")?[ \t]*$", re.M)
HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)
FENCE_RE = re.compile(r"^[ \t]*(```|~~~)")
LEADING_NUMBER_RE = re.compile(r"^(Part [A-Z]|[A-Z]\.\d+|\d+(?:\.\d+)*)\.?(?:\s|$)")


class Reference:
    """One reference: where it is, what it says, and what it resolved to."""

    def __init__(self, file, line, kind, text, path, anchor, sections):
        self.file = file  # repository-relative, with /
        self.line = line
        self.kind = kind  # "link", "mention", "section", "forbidden", "file" or "target"
        self.text = text  # the citation as written, whitespace normalised
        self.path = path
        self.anchor = anchor
        self.sections = sections
        self.resolved = None  # repository-relative path, when it resolves
        self.problem = None  # why it is bad, when it is


def normalise(text):
    text = re.sub(r"[ \t]*\n[ \t]*(?://[/!]?|#|\*|--)?[ \t]*", " ", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def line_of(text, offset):
    return text.count("\n", 0, offset) + 1


def blank(text, spans):
    """Replaces the given spans by spaces (keeping line breaks and offsets)."""
    if not spans:
        return text
    pieces, at = [], 0
    for start, end in sorted(spans):
        if start < at:
            start = at
        if start >= end:
            continue
        pieces.append(text[at:start])
        pieces.append(re.sub(r"[^\n]", " ", text[start:end]))
        at = end
    pieces.append(text[at:])
    return "".join(pieces)


def url_spans(text):
    """Spans of URLs (`scheme://…`), found from their `://` rather than by a full scan."""
    spans = []
    at = text.find("://")
    while at != -1:
        start = at
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "+.-"):
            start -= 1
        m = URL_RE.match(text, start)
        if m and m.end() > at:
            spans.append(m.span())
            at = text.find("://", m.end())
        else:
            at = text.find("://", at + 3)
    return spans


def ref_matches(masked):
    """REF_RE matches, tried only where a `.md` occurs."""
    found, at, after = [], masked.find(".md"), 0
    while at != -1:
        start = at
        while start > 0 and masked[start - 1] in PATH_CHARS:
            start -= 1
        m = REF_RE.match(masked, start) if start >= after else None
        if m:
            found.append(m)
            after = m.end()
            at = masked.find(".md", m.end())
        else:
            at = masked.find(".md", at + 3)
    return found


def slug(heading):
    """GitHub's anchor for a heading text."""
    text = re.sub(r"<[^>]+>", "", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = text.strip().lower()
    out = []
    for ch in text:
        if ch in " -":
            out.append("-")
        elif ch == "_" or unicodedata.category(ch)[0] in "LN":
            out.append(ch)
    return "".join(out)


class Repo:
    def __init__(self, root):
        self.root = os.path.realpath(root)
        self._headings = {}

    def rel(self, path):
        return os.path.relpath(path, self.root).replace(os.sep, "/")

    def files(self):
        for folder, dirs, names in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
            for name in sorted(names):
                path = os.path.join(folder, name)
                if name.endswith(".md"):
                    yield path, "markdown"
                elif name.endswith(SOURCE_EXTENSIONS):
                    yield path, "source"
                elif "." not in name and is_script(path):
                    yield path, "source"

    def existing(self, candidate):
        """The repository-relative path of `candidate` when it is a file inside the tree."""
        full = os.path.normpath(candidate)
        if not (full == self.root or full.startswith(self.root + os.sep)):
            return None
        if any(part in SKIPPED_DIRS for part in self.rel(full).split("/")):
            return None
        return self.rel(full) if os.path.isfile(full) else None

    def resolve(self, citing_dir, path, folder_only=False):
        if path.startswith("/"):
            return self.existing(os.path.join(self.root, path.lstrip("/")))
        found = self.existing(os.path.join(citing_dir, path))
        if found or folder_only:
            return found
        return self.existing(os.path.join(self.root, path))

    def headings(self, rel):
        if rel not in self._headings:
            slugs, numbers = set(), set()
            counts = {}
            try:
                with open(os.path.join(self.root, rel), encoding="utf-8", errors="replace") as f:
                    text = f.read()
            except OSError:
                text = ""
            in_fence = False
            for raw in text.split("\n"):
                if FENCE_RE.match(raw):
                    in_fence = not in_fence
                    continue
                m = None if in_fence else HEADING_RE.match(raw)
                if not m:
                    continue
                title = m.group(2)
                base = slug(title)
                n = counts.get(base, 0)
                counts[base] = n + 1
                slugs.add(base if n == 0 else f"{base}-{n}")
                plain = title.replace("`", "").strip()
                lead = LEADING_NUMBER_RE.match(plain)
                if lead:
                    numbers.add(lead.group(1))
            self._headings[rel] = (slugs, numbers)
        return self._headings[rel]


def is_script(path):
    try:
        with open(path, "rb") as f:
            return f.read(2) == b"#!"
    except OSError:
        return False


def section_keys(sections):
    """The heading numbers a section list names: 'S4-S6, B.2' -> ['4', '6', 'B.2']."""
    keys = []
    for item in ITEM_RE.findall(sections):
        item = re.sub(r"[ \t]+step[ \t]+\d+$", "", item)
        if item.startswith("Part"):
            keys.append(re.sub(r"\s+", " ", item))
        elif item.startswith(SECTION_SIGN):
            keys.extend(re.findall(SEC, item))
        else:
            keys.append(item)
    return keys


def check_target(repo, ref):
    """Fills in ref.problem for an anchor or section that the resolved file lacks."""
    if not ref.resolved.endswith(".md"):
        return
    slugs, numbers = repo.headings(ref.resolved)
    if ref.anchor and ref.anchor not in slugs:
        ref.problem = f"{ref.resolved} has no heading with the anchor #{ref.anchor}"
        return
    for key in section_keys(ref.sections or ""):
        if key not in numbers:
            ref.problem = f"{ref.resolved} has no heading numbered {key} (cite a #anchor instead)"
            return


def scan_refs(repo, rel, text, citing_dir, kind_name, folder_only, masked):
    """References found by REF_RE in `masked` (a copy of `text` with URLs and links blanked)."""
    refs, spans = [], []
    for m in ref_matches(masked):
        path, anchor, sections = m.group(1), (m.group(2) or "")[1:], m.group(3)
        ref = Reference(rel, line_of(text, m.start()), kind_name, normalise(m.group(0)), path, anchor, sections)
        ref.resolved = repo.resolve(citing_dir, path, folder_only)
        if ref.resolved is None:
            ref.problem = "no such document in the repository"
        else:
            check_target(repo, ref)
        refs.append(ref)
        spans.append((m.start(), m.end()))
    return refs, spans


def check_file(repo, path, kind):
    rel = repo.rel(path)
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as e:
        ref = Reference(rel, 1, "file", "", "", "", "")
        ref.problem = f"cannot read: {e}"
        return [ref]
    citing_dir = os.path.dirname(path)
    refs = []
    for m in FORBIDDEN_RE.finditer(text):
        ref = Reference(rel, line_of(text, m.start()), "forbidden", m.group(0), "", "", "")
        ref.problem = "mentions the private spec folder, which is not part of the repository"
        refs.append(ref)
    masked = blank(text, url_spans(text))
    if kind == "markdown":
        link_spans = []
        for rx in (LINK_RE, REF_DEF_RE):
            for m in rx.finditer(masked):
                target = m.group(1)
                link_spans.append(m.span(1))
                if URL_RE.match(target) or target.startswith(("#", "mailto:")):
                    continue
                path, _, anchor = target.partition("#")
                if not path.endswith(".md"):
                    continue
                # The link text of a checked link is not a second reference.
                link_spans.append(m.span())
                ref = Reference(rel, line_of(text, m.start(1)), "link", target, path, anchor, "")
                ref.resolved = repo.resolve(citing_dir, path, folder_only=True)
                if ref.resolved is None:
                    ref.problem = f"link target does not exist relative to {os.path.dirname(rel) or '.'}"
                else:
                    check_target(repo, ref)
                refs.append(ref)
        masked = blank(masked, link_spans)
        found, _ = scan_refs(repo, rel, text, citing_dir, "mention", False, masked)
        refs.extend(found)
    else:
        found, spans = scan_refs(repo, rel, text, citing_dir, "mention", False, masked)
        refs.extend(found)
        covered = blank(masked, spans)
        for m in re.finditer(SECTION_SIGN, covered):
            snippet = re.match(SECTION_SIGN + rf"[ \t]*{SEC}", covered[m.start():]) or m
            ref = Reference(rel, line_of(text, m.start()), "section", snippet.group(0), "", "", "")
            ref.problem = "section reference without a document before it"
            refs.append(ref)
    return sorted(refs, key=lambda r: r.line)


def check_tree(root):
    repo = Repo(root)
    refs = []
    for path, kind in repo.files():
        refs.extend(check_file(repo, path, kind))
    return repo, refs


def read_mapping(path):
    """Lines of a mapping file: citation, targets, optional comma-separated file:line list."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            cells = line.split("\t")
            if len(cells) < 2:
                rows.append((number, None, None, None))
                continue
            where = {w.strip() for w in cells[2].split(",") if w.strip()} if len(cells) > 2 else set()
            rows.append((number, cells[0], [t.strip() for t in cells[1].split(",") if t.strip()], where))
    return rows


def check_mapping(repo, bad, mapping_path):
    """Problems with a mapping file: unmapped bad references and targets that do not resolve."""
    problems = []
    rows = read_mapping(mapping_path)
    name = os.path.relpath(mapping_path)
    for number, citation, targets, _ in rows:
        if citation is None:
            problems.append(f"{name}:{number}: expected citation<TAB>target(s)[<TAB>where]")
            continue
        for target in targets:
            path, _, anchor = target.partition("#")
            ref = Reference(name, number, "target", target, path, anchor, "")
            ref.resolved = repo.existing(os.path.join(repo.root, path))
            if ref.resolved is None:
                problems.append(f"{name}:{number}: target {target} does not exist")
                continue
            check_target(repo, ref)
            if ref.problem:
                problems.append(f"{name}:{number}: target {target}: {ref.problem}")
    for ref in bad:
        if ref.kind == "forbidden":
            continue
        at = f"{ref.file}:{ref.line}"
        if not any(c == ref.text and (not where or at in where) for _, c, _, where in rows if c is not None):
            problems.append(f"{at}: '{ref.text}' has no line in {name}")
    return problems


def self_test():
    """Builds small trees and checks the verdicts; returns the number of failures."""
    import shutil
    import tempfile

    md, S = ".md", SECTION_SIGN
    failures = 0
    roots = []

    def tree(files):
        root = tempfile.mkdtemp(prefix="check-references-")
        roots.append(root)
        for rel, content in files.items():
            full = os.path.join(root, rel)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="utf-8") as f:
                f.write(content)
        return root

    good = {
        "README" + md: "# Top\n\nSee [the notes](docs/design/a" + md + "#the-rule) and docs/guide" + md + " " + S + "2.\n"
        "Links out are fine: https://example.org/x/decisions" + md + "\n",
        "docs/guide" + md: "# Guide\n\n## 1. Start\n\n## 2. Run\n\nSee [a](design/a" + md + ") and guide" + md + ".\n",
        "docs/design/a" + md: "# A\n\n## The rule\n\n## The rule\n\nBack to [guide](../guide" + md + "#2-run).\n",
        "src/lib.rs": "//! Rules: docs/design/a" + md + "#the-rule-1 and docs/guide" + md + " " + S + "1, " + S + "2.\n"
        "//! More in docs/guide" + md + "\n//! " + S + "2 as well.\n",
        "src/local" + md: "# Local\n",
        "src/near.rs": "// beside: local" + md + ", and ./local" + md + ", and .hidden/notes" + md + "\n",
        ".hidden/notes" + md: "# Notes\n",
        "tools/run": "#!/bin/sh\n# see docs/guide" + md + " " + S + "1\n",
        "target/junk.rs": "// decisions" + md + " " + S + "12 is never read here\n",
    }
    bad = {
        "src/a.rs": "// decisions" + md + " " + S + "12\n",
        "src/b.py": "# (" + S + "14) alone\n",
        "src/c.toml": "# docs/guide" + md + " " + S + "9\n",
        "src/d.sh": "# docs/design/a" + md + "#nope\n",
        "docs/e" + md: "[x](guide2" + md + ")\n",
        "docs/f" + md: "see " + ".." + "/shared" + "/x\n",
        "docs/f2" + md: "see " + "shared" + "/spec\n",
        "docs/g" + md: "[x](design/a" + md + "#missing)\n",
        "tools/h": "#!/bin/sh\n# messages" + md + "\n",
    }
    root = tree(good)
    _, refs = check_tree(root)
    problems = [r for r in refs if r.problem]
    if problems or len(refs) < 10:
        failures += 1
        print(f"self-test: the good tree should pass with every reference found, got {len(refs)} references:")
        for r in problems:
            print(f"  {r.file}:{r.line}: {r.text}: {r.problem}")
    for rel, content in bad.items():
        root = tree({**good, rel: content})
        _, refs = check_tree(root)
        flagged = [r for r in refs if r.problem and r.file == rel]
        if not flagged:
            failures += 1
            print(f"self-test: {rel} ({content.strip()!r}) should fail but passed")
    for root in roots:
        shutil.rmtree(root, ignore_errors=True)
    print("self-test: " + ("ok" if failures == 0 else f"{failures} failure(s)"))
    return failures


def main(argv):
    default_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=default_root, help="the tree to check (default: this repository)")
    parser.add_argument("--list", action="store_true", help="print every reference found and its resolution")
    parser.add_argument("--check-mapping", metavar="TSV", help="check a citation -> target mapping file too")
    parser.add_argument("--self-test", action="store_true", help="run the checker's own tests")
    args = parser.parse_args(argv)
    if args.self_test:
        return 1 if self_test() else 0
    if not os.path.isdir(args.root):
        print(f"check_references: {args.root} is not a folder", file=sys.stderr)
        return 2
    repo, refs = check_tree(args.root)
    bad = [r for r in refs if r.problem]
    if args.list:
        for r in refs:
            where = r.resolved or "-"
            verdict = f"UNRESOLVED: {r.problem}" if r.problem else f"-> {where}"
            print(f"{r.file}:{r.line}\t{r.kind}\t{r.text}\t{verdict}")
        print(f"{len(refs)} references, {len(bad)} unresolved")
    else:
        for r in bad:
            print(f"{r.file}:{r.line}: {r.text}: {r.problem}")
    status = 0
    if bad:
        files = len({r.file for r in bad})
        print(f"check_references: {len(bad)} unresolved reference(s) in {files} file(s)", file=sys.stderr)
        status = 1
    if args.check_mapping:
        problems = check_mapping(repo, bad, args.check_mapping)
        for p in problems:
            print(p)
        if problems:
            print(f"check_references: {len(problems)} mapping problem(s)", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
