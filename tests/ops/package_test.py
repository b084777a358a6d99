#!/usr/bin/env python3
"""The Debian packages end to end (issue 20), as CI runs it:

  1. cpack -G DEB builds ndmpd and ndmpctl from the build tree;
  2. lintian reports no error (its warnings are printed, for the record);
  3. both packages unpack into a scratch root; the conffile and the shipped
     configuration's safe defaults are checked;
  4. systemd-analyze verify and security run offline on the installed unit
     (systemd_test.sh runs the unit under a real systemd); their output is
     printed;
  5. the installed ndmpd starts from the scratch root with the shipped
     configuration (plus, on the command line, a test export, an emulated
     library, a loopback port and scratch paths), announces READY=1 on a
     NOTIFY_SOCKET as under systemd, answers an ndmjob query and takes an
     ndmjob backup, then stops on SIGTERM with STOPPING=1.

usage: package_test.py BUILD_DIR NDMJOB_SHIM
Exit 77 (reported as skipped by CTest) when a tool is missing, saying which.
"""
import glob
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile

SKIP = 77
NDMJOB = "/usr/lib/amanda/ndmjob"


def fail(why):
    print("FAIL: " + why, flush=True)
    sys.exit(1)


def skip(why):
    print("SKIPPED: " + why, flush=True)
    sys.exit(SKIP)


def run(cmd, **kw):
    print("$ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def main():
    build, shim = sys.argv[1], sys.argv[2]
    for tool in ("cpack", "dpkg-deb", "lintian", "systemd-analyze"):
        if not shutil.which(tool):
            skip(f"{tool} is not installed (scripts/install-deps.sh installs it)")
    if not os.access(NDMJOB, os.X_OK):
        skip(f"{NDMJOB} is missing (amanda-common)")
    work = tempfile.mkdtemp(prefix="ndmpd-pkg-")
    try:
        packages(build, work)
        root = unpack(work)
        unit_checks(root)
        serve(root, work, shim)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("PASS", flush=True)


def packages(build, work):
    r = run(["cpack", "-G", "DEB", "-B", os.path.join(work, "pkgs")], cwd=build)
    if r.returncode != 0:
        fail("cpack:\n" + r.stdout)
    debs = sorted(glob.glob(os.path.join(work, "pkgs", "*.deb")))
    names = [os.path.basename(d).split("_")[0] for d in debs]
    if names != ["ndmpctl", "ndmpd"]:
        fail(f"expected the packages ndmpctl and ndmpd, got {names}")
    r = run(["lintian", "--no-tag-display-limit", "--allow-root"] + debs)
    print(r.stdout, flush=True)
    errors = [l for l in r.stdout.splitlines() if l.startswith("E:")]
    if errors:
        fail("lintian errors:\n" + "\n".join(errors))
    print(f"lintian: no error, {sum(l.startswith('W:') for l in r.stdout.splitlines())} warning(s)", flush=True)


def unpack(work):
    root = os.path.join(work, "root")
    for deb in glob.glob(os.path.join(work, "pkgs", "*.deb")):
        if run(["dpkg-deb", "-x", deb, root]).returncode != 0:
            fail("dpkg-deb -x " + deb)
    ndmpd_deb = glob.glob(os.path.join(work, "pkgs", "ndmpd_*.deb"))[0]
    r = run(["dpkg-deb", "-I", ndmpd_deb, "conffiles"])
    if "/etc/ndmpd/ndmpd.conf" not in r.stdout:
        fail("ndmpd.conf is not a conffile: " + r.stdout)
    for path in ("usr/sbin/ndmpd", "usr/bin/ndmpctl", "lib/systemd/system/ndmpd.service",
                 "usr/share/man/man8/ndmpd.8.gz", "usr/share/man/man5/ndmpd.conf.5.gz",
                 "usr/share/man/man1/ndmpctl.1.gz", "usr/share/bash-completion/completions/ndmpctl"):
        if not os.path.exists(os.path.join(root, path)):
            fail("missing from the packages: /" + path)
    conf = open(os.path.join(root, "etc/ndmpd/ndmpd.conf")).read()
    active = [l.strip() for l in conf.splitlines() if l.strip() and not l.lstrip().startswith("#")]
    if "auth = md5" not in active:
        fail("the shipped configuration must allow MD5 only")
    if any(l.startswith("export") for l in active):
        fail("the shipped configuration must export nothing")
    if "library = none" not in active:
        fail("the shipped configuration must leave the emulated library off")
    if any(l.startswith("metrics-listen") for l in active):
        fail("metrics must be off in the shipped configuration")
    return root


def unit_checks(root):
    # Offline: the unit is checked against the installed layout of the
    # scratch root, which gets this host's targets, slices, sockets and
    # mounts (the units ndmpd.service orders itself against) and /bin/kill.
    units = os.path.join(root, "lib/systemd/system")
    for f in glob.glob("/lib/systemd/system/*.target") + glob.glob("/lib/systemd/system/*.slice") + \
            glob.glob("/lib/systemd/system/*.socket") + glob.glob("/lib/systemd/system/*.mount"):
        dest = os.path.join(units, os.path.basename(f))
        if not os.path.exists(dest) and os.path.isfile(f):
            shutil.copy(f, dest)
    os.makedirs(os.path.join(root, "bin"), exist_ok=True)
    shutil.copy("/bin/kill", os.path.join(root, "bin/kill"))
    r = run(["systemd-analyze", "verify", "--man=no", "--root=" + root, "/lib/systemd/system/ndmpd.service"])
    print(r.stdout, flush=True)
    if r.returncode != 0:
        fail("systemd-analyze verify")
    r = run(["systemd-analyze", "security", "--offline=true", "--root=" + root, "--no-pager",
             "/lib/systemd/system/ndmpd.service"])
    print(r.stdout, flush=True)
    m = re.search(r"Overall exposure level for ndmpd.service: ([0-9.]+) (\S+)", r.stdout)
    if not m:
        fail("systemd-analyze security gave no exposure level")
    print(f"systemd-analyze security: exposure {m.group(1)} {m.group(2)}", flush=True)
    if float(m.group(1)) > 5.0:
        fail("the unit's exposure rose above 5.0 (MEDIUM): a sandboxing line was lost?")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ndmjob(args, shim):
    env = dict(os.environ, LD_PRELOAD=shim)
    r = run([NDMJOB] + args, env=env, timeout=300)
    print(r.stdout, flush=True)
    return r.stdout


def serve(root, work, shim):
    export = os.path.join(work, "export")
    os.makedirs(os.path.join(export, "docs"))
    for i in range(20):
        with open(os.path.join(export, "docs", f"file{i}.txt"), "w") as f:
            f.write(f"file {i}\n" * (i * 500 + 1))
    password = secrets.token_hex(12)
    pwfile = os.path.join(work, "passwd")
    with open(os.open(pwfile, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write(f"ndmp:{password}\n")
    port = free_port()
    ndmpd = os.path.join(root, "usr/sbin/ndmpd")
    # The shipped file, but on a loopback test port: listen adds up across
    # the file and the command line, so it is the one line changed here.
    shipped = open(os.path.join(root, "etc/ndmpd/ndmpd.conf")).read()
    if shipped.count("\nlisten = 10000\n") != 1:
        fail("the shipped configuration no longer has 'listen = 10000'")
    conf = os.path.join(work, "ndmpd.conf")
    with open(conf, "w") as f:
        f.write(shipped.replace("\nlisten = 10000\n", f"\nlisten = 127.0.0.1:{port}\n"))
    args = [ndmpd, "--config", conf, "--password-file", pwfile,
            "--state-dir", os.path.join(work, "state"), "--export", export,
            "--library", os.path.join(work, "library"), "--library-drives", "1",
            "--library-slots", "2", "--library-tape-size", "64"]
    r = run(args + ["--check"])
    if r.returncode != 0 or "configuration OK" not in r.stdout:
        fail("ndmpd --check (the unit's ExecStartPre) refused the shipped configuration:\n" + r.stdout)

    notify_path = os.path.join(work, "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    notify.settimeout(120)  # a deadline for the start, not a pause
    log = open(os.path.join(work, "ndmpd.log"), "w")
    print("$ NOTIFY_SOCKET=... " + " ".join(args), flush=True)
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                            env=dict(os.environ, NOTIFY_SOCKET=notify_path))
    try:
        got = ""
        while "READY=1" not in got:
            got += notify.recv(4096).decode() + "\n"
        print("notify: " + got.strip().replace("\n", " | "), flush=True)

        agent = f"127.0.0.1:{port}/4m,ndmp,{password}"
        out = ndmjob(["-q", "-D", agent], shim)
        if '"err ' in out or "Data Agent 127.0.0.1 NDMPv4" not in out or "NDMP4_AUTH_MD5" not in out:
            fail("ndmjob query against the installed ndmpd")
        if export not in out:
            fail("the query does not list the test export")
        out = ndmjob(["-v", "-o", "load=1000", "-R", agent, "-r", "emu-changer"], shim)
        if "Operation complete" not in out or "had problems" in out:
            fail("ndmjob load of a tape")
        out = ndmjob(["-v", "-c", "-D", agent, "-f", "emu-drive0", "-C", export, "-B", "tar",
                      "-I", os.path.join(work, "index")], shim)
        if "Operation complete" not in out or "had problems" in out:
            fail("ndmjob backup against the installed ndmpd")
        completion(root, work, port, password)
    finally:
        proc.terminate()
        rc = proc.wait(timeout=120)
        log.close()
        print(open(os.path.join(work, "ndmpd.log")).read(), flush=True)
    if rc != 0:
        fail(f"ndmpd exited {rc} after SIGTERM")
    # The process is gone: everything it sent is queued.
    notify.setblocking(False)
    while True:
        try:
            got += notify.recv(4096).decode() + "\n"
        except BlockingIOError:
            break
    notify.close()
    if "STOPPING=1" not in got:
        fail("no STOPPING=1 on the notify socket: " + got)
    if not re.search(r"STATUS=\d+ session\(s\), \d+ job\(s\) running", got):
        fail("no status line with sessions and jobs: " + got)
    text = open(os.path.join(work, "ndmpd.log")).read()
    if "NDMP_OUTCOME=SUCCESSFUL" not in text or "NDMP_EVENT=job-end" not in text:
        fail("the backup's end line with its fields is not in the log")

def completion(root, work, port, password):
    """The packaged bash completion with the packaged ndmpctl: commands,
    options, and the device names the running server reports."""
    pwfile = os.path.join(work, "ctl-password")
    with open(os.open(pwfile, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write(password + "\n")
    script = os.path.join(root, "usr/share/bash-completion/completions/ndmpctl")
    probe = f"""
source {script}
t() {{ COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _ndmpctl; echo "${{COMPREPLY[*]}}"; }}
t ndmpctl lo
t ndmpctl --password-f
t ndmpctl backup --dr
t ndmpctl --server 127.0.0.1:{port} --password-file {pwfile} backup /x --drive ''
"""
    r = run(["bash", "-c", probe], env=dict(os.environ, PATH=os.path.join(root, "usr/bin") + ":" + os.environ["PATH"]),
            timeout=60)
    print(r.stdout, flush=True)
    lines = r.stdout.splitlines()
    want = ["load", "--password-file", "--drive", "emu-changer emu-drive0"]
    if len(lines) != 4 or any(not lines[i].startswith(want[i]) for i in range(4)):
        fail(f"bash completion: expected {want}, got {lines}")


if __name__ == "__main__":
    main()
