#!/usr/bin/env python3
"""gen-man.py ALIGNSIM [COMMAND] OUT — a man page from the tool's --help.

The page is generated from the same text `alignsim [COMMAND] --help`
prints, so the two cannot disagree: NAME from the command table of
`alignsim --help`, SYNOPSIS from the usage lines, DESCRIPTION from the rest,
kept as preformatted text (the help is laid out for a terminal already).
"""
import os
import subprocess
import sys


def run(exe, *args):
    # the help names the plot scripts' directory this binary would use: in a
    # page meant for any installation, name it by the prefix instead
    env = dict(os.environ, ALIGNSIM_PLOTS="PREFIX/share/alignsim/plots")
    return subprocess.run([exe, *args], check=True, capture_output=True,
                          text=True, env=env).stdout


def roff_escape(line):
    line = line.replace("\\", "\\e")
    if line.startswith((".", "'")):
        line = "\\&" + line
    return line


def summaries(exe):
    out, table = run(exe, "--help"), {}
    in_table = False
    for line in out.splitlines():
        if line.startswith("commands:"):
            in_table = True
        elif in_table and line.startswith("  ") and line.strip():
            name, _, text = line.strip().partition(" ")
            table[name] = text.strip()
        elif in_table and not line.strip():
            in_table = False
    return table


def main():
    if len(sys.argv) not in (3, 4):
        print("usage: gen-man.py ALIGNSIM [COMMAND] OUT", file=sys.stderr)
        return 2
    exe, out = sys.argv[1], sys.argv[-1]
    cmd = sys.argv[2] if len(sys.argv) == 4 else None
    help_text = run(exe, *([cmd] if cmd else []), "--help")
    version = run(exe, "--version").split()[-1]
    name = f"alignsim-{cmd}" if cmd else "alignsim"
    what = (summaries(exe).get(cmd, "") if cmd else
            "exact simulation of alignment objectives")
    lines = help_text.rstrip("\n").splitlines()
    usage = []
    while lines and (lines[0].startswith("usage:") or
                     (usage and lines[0].startswith(" ") and lines[0].strip())):
        usage.append(lines.pop(0).replace("usage: ", "", 1))
    page = [f'.TH {name.upper()} 1 "" "alignsim {version}" "alignsim manual"',
            ".SH NAME", f"{name} \\- {roff_escape(what)}",
            ".SH SYNOPSIS", ".nf"]
    page += [roff_escape(u.strip()) for u in usage]
    page += [".fi", ".SH DESCRIPTION", ".nf"]
    page += [roff_escape(line) for line in lines]
    page += [".fi", ".SH SEE ALSO",
             "The reference: share/doc/alignsim/reference.md under the "
             "installation prefix."]
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(page) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
