#!/usr/bin/env python3
"""report_browser.py CHROMIUM RUNDIR — report.html in a real browser.

Loads RUNDIR/report.html in headless Chromium, driven through the DevTools
protocol over a pipe (--remote-debugging-pipe: no port, no network), and
fails when
  - the page logs anything to the console, throws, or fails to load a
    resource (Runtime.consoleAPICalled, Runtime.exceptionThrown,
    Log.entryAdded at level warning or error);
  - a figure is missing or renders empty: each <figure> must have a box of
    at least 200×100 CSS pixels, and a screenshot of exactly that box must
    hold at least 3 colours with at least 2 % of its pixels not the
    dominant (background) colour — an SVG that failed to parse, or one with
    nothing drawn, is a white box;
  - the first data row of the results table does not show the values of
    the first row of RUNDIR/results.csv (the page shows the file's fields
    verbatim), or the summary table's first fwd_kl_median (the first
    column, for a kind with its own summary layout) is not the summary.csv
    value to the 6 significant digits shown.
Only the Python standard library is used (the PNG decoder below handles
the 8-bit RGB/RGBA non-interlaced images Chromium produces).
"""
import base64
import csv
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib


class Browser:
    def __init__(self, chromium, profile):
        self.to_r, self.to_w = os.pipe()
        self.from_r, self.from_w = os.pipe()
        args = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--no-first-run", "--no-default-browser-check",
                "--disable-dev-shm-usage",  # small /dev/shm in containers
                f"--user-data-dir={profile}", "--remote-debugging-pipe",
                "--window-size=1280,1000", "about:blank"]

        def fds():  # the protocol pipe is fds 3 (in) and 4 (out), no other
            a, b = os.dup(self.to_r), os.dup(self.from_w)
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.closerange(5, 65536)

        # close_fds would run after fds() and close 3 and 4 again
        self.proc = subprocess.Popen(args, close_fds=False, preexec_fn=fds,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        os.close(self.to_r)
        os.close(self.from_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read_message(self):
        while b"\0" not in self.buf:
            chunk = os.read(self.from_r, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buf += chunk
        msg, _, self.buf = self.buf.partition(b"\0")
        return json.loads(msg)

    def call(self, method, session=None, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read_message()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m["result"]
            self.events.append(m)

    def wait_event(self, method):
        for i, m in enumerate(self.events):
            if m.get("method") == method:
                return self.events.pop(i)
        while True:
            m = self._read_message()
            if m.get("method") == method:
                return m
            self.events.append(m)

    def close(self):
        try:
            self.call("Browser.close")
        except (RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def png_pixels(data):
    """(width, height, rows of bytes, bytes per pixel) of an 8-bit PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB",
                                                                body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, \
                f"unsupported PNG (depth {depth}, colour type {ctype})"
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], None
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(
            raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        prev = prev or bytearray(stride)
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else
                                      b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, rows, bpp


def ink(png):
    """(number of colours, fraction of pixels not the dominant colour)."""
    w, h, rows, bpp = png_pixels(png)
    counts = {}
    for row in rows:
        for x in range(0, w * bpp, bpp):
            px = row[x:x + 3]
            counts[px] = counts.get(px, 0) + 1
    return len(counts), 1 - max(counts.values()) / (w * h)


def js(b, session, expr):
    r = b.call("Runtime.evaluate", session, expression=expr,
               returnByValue=True)
    if "exceptionDetails" in r:
        raise RuntimeError(f"evaluating {expr}: {r['exceptionDetails']}")
    return r["result"].get("value")


def check(chromium, rundir):
    problems = []
    page = os.path.abspath(os.path.join(rundir, "report.html"))
    profile = tempfile.mkdtemp(prefix="report_browser.")
    b = Browser(chromium, profile)
    try:
        target = b.call("Target.createTarget", url="about:blank")["targetId"]
        session = b.call("Target.attachToTarget", targetId=target,
                         flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            b.call(f"{domain}.enable", session)
        b.call("Page.navigate", session, url="file://" + page)
        b.wait_event("Page.loadEventFired")
        js(b, session, "1")  # drain events queued before this point
        for m in b.events:
            meth, p = m.get("method"), m.get("params", {})
            if meth == "Runtime.consoleAPICalled":
                problems.append(f"console.{p.get('type')}: {p.get('args')}")
            elif meth == "Runtime.exceptionThrown":
                problems.append(f"exception: {p.get('exceptionDetails')}")
            elif meth == "Log.entryAdded" and \
                    p["entry"]["level"] in ("warning", "error"):
                problems.append(f"log {p['entry']['level']}: "
                                f"{p['entry']['text']}")
        boxes = js(b, session, """[...document.querySelectorAll('figure')]
            .map(f => { const r = f.querySelector('svg')
                          ?.getBoundingClientRect();
                        return r ? [r.x + scrollX, r.y + scrollY,
                                    r.width, r.height] : null; })""")
        if not boxes:
            problems.append("no figure in the page")
        for i, box in enumerate(boxes or []):
            if box is None or box[2] < 200 or box[3] < 100:
                problems.append(f"figure {i}: no SVG box of at least "
                                f"200x100 ({box})")
                continue
            shot = b.call("Page.captureScreenshot", session, format="png",
                          captureBeyondViewport=True,
                          clip={"x": box[0], "y": box[1], "width": box[2],
                                "height": box[3], "scale": 1})
            colours, frac = ink(base64.b64decode(shot["data"]))
            print(f"figure {i}: {box[2]:.0f}x{box[3]:.0f} px, {colours} "
                  f"colours, {100 * frac:.1f} % ink")
            if colours < 3 or frac < 0.02:
                problems.append(f"figure {i} renders empty ({colours} "
                                f"colours, {100 * frac:.2f} % ink)")
        with open(os.path.join(rundir, "results.csv"), newline="") as f:
            first = next(csv.DictReader(f))
        shown = js(b, session, """Object.fromEntries([...document
            .querySelectorAll('#results-head tr:nth-child(2) td')]
            .map(td => [td.dataset.col, td.textContent]))""")
        for col in ("method", "n", "fwd_kl", "status"):
            if shown.get(col) != first[col]:
                problems.append(f"results table: {col} shows "
                                f"{shown.get(col)!r}, results.csv has "
                                f"{first[col]!r}")
        print(f"results row 1: fwd_kl {shown.get('fwd_kl')} "
              f"(results.csv {first['fwd_kl']})")
        with open(os.path.join(rundir, "summary.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
        # the standard layout has a `row` column (stat/rate rows); a kind's
        # own layout is shown verbatim: check its first column
        srow = next(r for r in rows if r.get("row", "stat") == "stat")
        col = "fwd_kl_median" if "row" in srow else next(iter(srow))
        cell = js(b, session, f"""document.querySelector(
            '#summary-table td[data-col={col}]').textContent""")
        try:
            v = float(srow[col])
            want = "na" if v != v else f"{v:.6g}"
        except ValueError:
            want = srow[col]
        if cell != want:
            problems.append(f"summary table: {col} shows {cell!r}, "
                            f"summary.csv gives {want!r}")
    finally:
        b.close()
        shutil.rmtree(profile, ignore_errors=True)
    return problems


def main():
    if len(sys.argv) != 3:
        print("usage: report_browser.py CHROMIUM RUNDIR", file=sys.stderr)
        return 2
    problems = check(sys.argv[1], sys.argv[2])
    for p in problems:
        print("FAIL:", p)
    print(f"report_browser: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
