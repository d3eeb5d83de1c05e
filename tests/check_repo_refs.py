#!/usr/bin/env python3
"""check_repo_refs.py SRCDIR — the repository is self-contained.

Fails (exit 1, one `FILE:LINE: what` line per finding) when a tracked text
file
  1. names a path of a development machine, outside the repository
     (/work/..., /home/..., /root/..., /Users/..., /mnt/..., /scratch/...,
     /media/...).  System locations every Debian machine has (/usr, /etc,
     /tmp for mkdtemp templates, /dev, /proc, /opt as an install-prefix
     example) are not "outside the repository" in that sense and pass;
  2. cites a document the repository does not contain: the development
     brief's specification, style guide, developers' guide and notes, its
     PCG known-answer file, a "shared" project folder, or the extracted
     paper text.  The paper itself is
     cited bibliographically (title, arXiv 2506.01523), which is allowed;
  3. cites a section of docs/reference.md ("docs/reference.md §3.2", or the
     anchor "docs/reference.md#s3.2") that the reference does not have;
  4. (Markdown files) links to a relative path that is not in the tree.

Files are those `git ls-files` lists; without git (an unpacked tarball)
every file under SRCDIR except build directories.  Binary files are
skipped.  This file names the patterns it looks for, so it skips itself.
"""
import os
import re
import subprocess
import sys

DEV_PATH = re.compile(
    r"(?<![\w.~$-])/(work|home|root|Users|mnt|scratch|media)/[\w.-]")
# Split so that this file does not match itself when scanned by others.
FOREIGN_DOCS = re.compile(
    r"\b" + "SP" + r"EC\b|\bST" + r"YLE\.md\b|\bDEV" + r"GUIDE\b|\bCOM"
    + r"MON\.md\b|pcg-known-" + r"answers|shared " + r"project folder"
    + r"|(?<![\w.-])pa" + r"per/")
SECTION_CITE = re.compile(r"docs/reference\.md\s*§\s*([0-9]+(?:\.[0-9]+)*)")
ANCHOR_CITE = re.compile(r"docs/reference\.md#([\w.-]+)")
MD_LINK = re.compile(r"\]\(([^)\s]+)\)")
ANCHOR_DEF = re.compile(r'<a id="([\w.-]+)"></a>')


def tracked_files(src):
    try:
        out = subprocess.run(["git", "-C", src, "ls-files", "-z"],
                             check=True, capture_output=True).stdout
        files = [f for f in out.decode().split("\0") if f]
        if files:
            return files
    except (OSError, subprocess.CalledProcessError):
        pass
    files = []
    for root, dirs, names in os.walk(src):
        dirs[:] = [d for d in dirs
                   if not d.startswith("build") and d != ".git"]
        for n in names:
            files.append(os.path.relpath(os.path.join(root, n), src))
    return files


def read_text(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def reference_anchors(src):
    text = read_text(os.path.join(src, "docs", "reference.md"))
    return set(ANCHOR_DEF.findall(text)) if text is not None else set()


def check_line(rel, ln, line, anchors, tree, problems):
    where = f"{rel}:{ln}"
    for m in DEV_PATH.finditer(line):
        problems.append(f"{where}: names a path outside the repository "
                        f"({line[m.start():m.start() + 40].split()[0]})")
    for m in FOREIGN_DOCS.finditer(line):
        problems.append(f"{where}: cites a document the repository does not "
                        f"contain ('{m.group(0)}')")
    for m in SECTION_CITE.finditer(line):
        if "s" + m.group(1) not in anchors:
            problems.append(f"{where}: docs/reference.md has no §{m.group(1)}")
    for m in ANCHOR_CITE.finditer(line):
        if m.group(1) not in anchors:
            problems.append(f"{where}: docs/reference.md has no anchor "
                            f"#{m.group(1)}")
    if rel.endswith(".md"):
        for m in MD_LINK.finditer(line):
            target = m.group(1).split("#")[0]
            if not target or re.match(r"^[a-z]+:", target):
                continue
            path = os.path.normpath(os.path.join(os.path.dirname(rel),
                                                 target))
            if path not in tree:
                problems.append(f"{where}: link to '{m.group(1)}', which is "
                                f"not in the repository")


def main():
    if len(sys.argv) != 2:
        print("usage: check_repo_refs.py SRCDIR", file=sys.stderr)
        return 2
    src = sys.argv[1]
    files = tracked_files(src)
    tree = set(files)
    for f in files:  # directories count as link targets too
        d = os.path.dirname(f)
        while d:
            tree.add(d)
            d = os.path.dirname(d)
    anchors = reference_anchors(src)
    if not anchors:
        print(f"{src}/docs/reference.md: missing or without anchors")
        return 1
    me = os.path.relpath(os.path.abspath(__file__), os.path.abspath(src))
    problems = []
    for rel in files:
        if rel == me:
            continue
        text = read_text(os.path.join(src, rel))
        if text is None:
            continue
        for ln, line in enumerate(text.splitlines(), 1):
            check_line(rel, ln, line, anchors, tree, problems)
    for p in problems:
        print(p)
    print(f"check_repo_refs: {len(files)} files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
