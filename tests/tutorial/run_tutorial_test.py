#!/usr/bin/env python3
"""Runs every ```sh block of docs/tutorial.md, in order, in one bash shell.

The blocks run as one script under `set -euo pipefail` (so a `cd` or a
variable carries over, as in the reader's terminal) in a scratch folder, with
the tutorial's variables set: DUET_SOURCE (this checkout), DUET_PREFIX (the
scratch install of the fixture) and two free loopback ports. The first failing
command fails the test and names its block and line.

Servers the tutorial starts in the background leave their pid in a *.pid
file; whatever happens, each pid is sent SIGTERM at the end (SIGKILL after a
bounded wait), then the shell's own process group (a session this script
started) is killed so that nothing outlives the test.

  run_tutorial_test.py --tutorial docs/tutorial.md --duet-source . \
      --duet-prefix /tmp/prefix --work-dir /tmp/tutorial-work
"""

import argparse
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

SCRIPT_TIMEOUT_SECONDS = 480
STOP_TIMEOUT_SECONDS = 20
FENCE = re.compile(r"^```(\S*)\s*$")


def sh_blocks(text):
    """(first line number, code) of each ```sh block, in order."""
    blocks, current, start, in_block, lang = [], [], 0, False, ""
    for number, line in enumerate(text.splitlines(), start=1):
        match = FENCE.match(line)
        if match and not in_block:
            in_block, lang, start, current = True, match.group(1), number + 1, []
        elif line.strip() == "```" and in_block:
            if lang == "sh":
                blocks.append((start, "\n".join(current)))
            in_block = False
        elif in_block:
            current.append(line)
    if in_block:
        raise SystemExit("tutorial: unterminated ``` block at line %d" % (start - 1))
    return blocks


def free_port():
    # Bound then released: another process could take it in between, which
    # on a loopback-only test machine does not happen in practice.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def script_of(blocks):
    lines = ["set -euo pipefail", "set -x"]
    for index, (line, code) in enumerate(blocks, start=1):
        lines.append("TUTORIAL_BLOCK='block %d (docs/tutorial.md line %d)'" % (index, line))
        lines.append(code)
    return "\n".join(lines) + "\n"


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def stop_servers(work_dir):
    """SIGTERM every pid the tutorial recorded; SIGKILL after a bounded wait."""
    pids = []
    for pid_file in pathlib.Path(work_dir).rglob("*.pid"):
        try:
            pids.append(int(pid_file.read_text().strip()))
        except ValueError:
            continue
    for pid in pids:
        if pid_alive(pid):
            print("tutorial test: stopping pid %d" % pid, flush=True)
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for pid in pids:
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if pid_alive(pid):
            print("tutorial test: pid %d ignored SIGTERM, killing" % pid, flush=True)
            os.kill(pid, signal.SIGKILL)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tutorial", required=True)
    parser.add_argument("--duet-source", required=True)
    parser.add_argument("--duet-prefix", required=True)
    parser.add_argument("--work-dir", required=True)
    args = parser.parse_args()

    prefix = pathlib.Path(args.duet_prefix).resolve()
    if not (prefix / "lib/cmake/Duet/DuetConfig.cmake").exists():
        print("tutorial test: no Duet installed in %s" % prefix, file=sys.stderr)
        return 1
    blocks = sh_blocks(pathlib.Path(args.tutorial).read_text())
    if not blocks:
        print("tutorial test: no ```sh block in %s" % args.tutorial, file=sys.stderr)
        return 1

    work_dir = pathlib.Path(args.work_dir).resolve()
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    script = work_dir / "tutorial.sh"
    script.write_text(script_of(blocks))
    # On failure, name the block: bash's ERR trap sees the variable the
    # script sets before each block.
    trap = "trap 'echo \"tutorial test: FAILED in $TUTORIAL_BLOCK\" >&2' ERR\n"
    script.write_text(trap + script.read_text())

    env = dict(os.environ)
    env.update({
        "DUET_SOURCE": str(pathlib.Path(args.duet_source).resolve()),
        "DUET_PREFIX": str(prefix),
        "COMMAND_PORT": str(free_port()),
        "QUERY_PORT": str(free_port()),
        "HOME": str(work_dir),  # nothing of the tutorial lands in the real home
    })
    print("tutorial test: %d sh blocks, ports %s and %s, in %s" %
          (len(blocks), env["COMMAND_PORT"], env["QUERY_PORT"], work_dir), flush=True)
    shell = subprocess.Popen(["bash", str(script)], cwd=work_dir, env=env, start_new_session=True)
    try:
        rc = shell.wait(timeout=SCRIPT_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        print("tutorial test: timed out after %d s" % SCRIPT_TIMEOUT_SECONDS, file=sys.stderr)
        rc = 1
    finally:
        stop_servers(work_dir)
        try:
            os.killpg(shell.pid, signal.SIGKILL)  # the session started above
        except ProcessLookupError:
            pass
        shell.wait()
    if rc != 0:
        print("tutorial test: FAILED (exit %d); logs kept in %s" % (rc, work_dir), file=sys.stderr)
        return 1
    shutil.rmtree(work_dir, ignore_errors=True)
    print("tutorial test: OK", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
