#!/bin/bash
# Runs under systemd as ndmpd-checks.service (systemd-boot.sh), as root on
# a fresh system of its own: installs the packages in /out/pkgs and checks
# the service the way an administrator would. Its output is /out/checks.log;
# /out/rc says 0 when every check passed. The machine powers off after it.
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
NDMJOB=/usr/lib/amanda/ndmjob
SHIM=$(cat /out/shim)
failures=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; failures=$((failures + 1)); }
step() { echo; echo "== $*"; }
finish() {
    journalctl --no-pager -o short-monotonic -u ndmpd.service > /out/journal.txt 2>&1
    echo; echo "$failures failure(s)"
    echo "$failures" > /out/rc
    exit 0
}
ndmjob() { LD_PRELOAD=$SHIM timeout 300 "$NDMJOB" "$@" 2>&1; }
# Waits for `text` in ndmpd's journal after cursor $2 (an event, with a deadline).
# (grep reads a process substitution so the wait ends at the match, not at
# journalctl's exit.)
journal_wait() {
    grep -m1 -q -F -- "$1" < <(timeout 60 journalctl -u ndmpd.service -f --no-pager -o cat --after-cursor="$2")
}
cursor() { journalctl -n 1 --show-cursor --no-pager -o cat | sed -n 's/^-- cursor: //p'; }

step "systemd $(systemctl --version | sed -n 1p), running in container '$(systemd-detect-virt --container)'"

step "dpkg -i: the postinst makes the password and starts the service"
dpkg -i /out/pkgs/ndmpctl_*.deb /out/pkgs/ndmpd_*.deb 2>&1 | tee /out/dpkg.log
grep -q 'its password is in /etc/ndmpd/passwd' /out/dpkg.log && ok "postinst says where the password is" ||
    bad "postinst did not say where the password is"
grep -Eq '^ndmp:[0-9a-f]{30}$' /etc/ndmpd/passwd && ok "passwd: user ndmp, 30 hex digits" || bad "passwd: $(stat -c %a /etc/ndmpd/passwd)"
[ "$(stat -c %a /etc/ndmpd/passwd)" = 600 ] && ok "passwd mode 0600" || bad "passwd mode $(stat -c %a /etc/ndmpd/passwd)"
[ "$(systemctl is-enabled ndmpd)" = enabled ] && ok "enabled" || bad "not enabled: $(systemctl is-enabled ndmpd)"
state=$(systemctl is-active ndmpd)
[ "$state" = active ] && ok "active right after install, with the shipped configuration" || {
    bad "not active after install: $state"; systemctl status --no-pager ndmpd; finish; }

step "Type=notify: ready only once listening, and the status line"
systemctl show -p Type -p NotifyAccess -p StatusText -p ExecMainPID ndmpd
[ "$(systemctl show -p Type --value ndmpd)" = notify ] && ok "Type=notify" || bad "Type"
# Active under Type=notify means READY=1 came; then the port must answer.
if timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/10000' 2> /dev/null; then ok "listening on 10000 when active"
else bad "active but nothing listens on 10000"; fi
status=$(systemctl show -p StatusText --value ndmpd)
[[ $status =~ ^[0-9]+\ session\(s\),\ [0-9]+\ job\(s\)\ running$ ]] && ok "STATUS= '$status'" || bad "StatusText '$status'"
journalctl -u ndmpd --no-pager -o cat | grep -q 'configuration OK' && ok "ExecStartPre ndmpd --check ran" ||
    bad "no 'configuration OK' from ExecStartPre in the journal"

PW=$(sed -n 's/^ndmp://p' /etc/ndmpd/passwd)
AGENT="127.0.0.1:10000/4m,ndmp,$PW"

step "README: name an export in ndmpd.conf, then systemctl reload"
mkdir -p /srv/ndmp-export/docs
for i in $(seq 1 20); do head -c $((i * 7000)) /dev/urandom > /srv/ndmp-export/docs/file$i; done
echo "export = /srv/ndmp-export" >> /etc/ndmpd/ndmpd.conf
c=$(cursor)
systemctl reload ndmpd && ok "systemctl reload returned 0" || bad "systemctl reload failed"
journal_wait "configuration reloaded" "$c" && ok "the reload is in the journal" || bad "no 'configuration reloaded' line"
out=$(ndmjob -q -D "$AGENT"); echo "$out" | grep -i -E 'fs|/srv' | head
echo "$out" | grep -q /srv/ndmp-export && ok "the query lists the export named by the reload" || bad "export not listed"

step "the emulated library (devices are restart-only): systemctl restart"
sed -i 's|^library = none$|library = /var/lib/ndmpd/library|' /etc/ndmpd/ndmpd.conf
cat >> /etc/ndmpd/ndmpd.conf <<'CONF'
library-drives = 1
library-slots = 2
library-tape-size = 64
discover-devices = false
metrics-listen = 9100
CONF
sed -i '0,/^discover-devices = true$/{/^discover-devices = true$/d}' /etc/ndmpd/ndmpd.conf
systemctl restart ndmpd && ok "restarted" || { bad "restart failed"; systemctl status --no-pager ndmpd; finish; }

step "ndmjob through the sandbox: query, load, backup"
out=$(ndmjob -q -D "$AGENT"); echo "$out" | tail -n 25
echo "$out" | grep -q NDMP4_AUTH_MD5 && echo "$out" | grep -q /srv/ndmp-export && ok "query lists MD5 and the export" ||
    bad "query"
out=$(ndmjob -v -o load=1000 -R "$AGENT" -r emu-changer); echo "$out" | tail -n 5
echo "$out" | grep -q "Operation complete" && ! echo "$out" | grep -q "had problems" && ok "tape loaded" || bad "load"
out=$(ndmjob -v -c -D "$AGENT" -f emu-drive0 -C /srv/ndmp-export -B tar -I /tmp/index); echo "$out" | tail -n 8
echo "$out" | grep -q "Operation complete" && ! echo "$out" | grep -q "had problems" && ok "backup complete" || bad "backup"
ls -la /var/lib/ndmpd
[ "$(stat -c %a /var/lib/ndmpd)" = 700 ] && ok "state directory 0700" || bad "state dir mode $(stat -c %a /var/lib/ndmpd)"
[ -n "$(find /var/lib/ndmpd/library -type f -newer /etc/ndmpd/passwd 2> /dev/null)" ] &&
    ok "the tape image in the state directory was written (ProtectSystem=full left it writable)" ||
    bad "nothing written under /var/lib/ndmpd/library"

step "the journal: priority, no second timestamp, the job's fields"
journalctl -u ndmpd --no-pager -o verbose NDMP_EVENT=job-end | grep -E '^ +(NDMP_|PRIORITY|MESSAGE)' | tee /tmp/jobend
grep -q 'NDMP_OUTCOME=SUCCESSFUL' /tmp/jobend && grep -q 'NDMP_EXPORT=/srv/ndmp-export' /tmp/jobend &&
    grep -Eq 'NDMP_BYTES=[1-9]' /tmp/jobend && ok "job-end with outcome, export and bytes, filterable" ||
    bad "no job-end entry with its fields"
line=$(journalctl -u ndmpd --no-pager -o cat | grep -m1 'listening on')
[[ $line =~ ^[0-9]{4}-[0-9]{2} ]] && bad "a second timestamp in '$line'" || ok "no second timestamp: '$line'"
journalctl -u ndmpd --no-pager -p warning -o cat | head -n 20

step "metrics on 127.0.0.1:9100"
curl -sf http://127.0.0.1:9100/metrics > /tmp/metrics && ok "scraped" || bad "no metrics"
grep -E '^ndmpd_(tape_records_total|device_state|jobs_finished_total|sessions)' /tmp/metrics
grep -Eq '^ndmpd_tape_records_total\{device="emu-drive0",direction="written"\} [1-9]' /tmp/metrics &&
    ok "tape records written counted" || bad "no tape records in the metrics"

step "the sandbox as the kernel applies it"
pid=$(systemctl show -p MainPID --value ndmpd)
grep -E '^(CapBnd|CapEff|NoNewPrivs|Seccomp):' /proc/$pid/status
[ "$(sed -n 's/^CapBnd:\t//p' /proc/$pid/status)" = 000000000800021f ] &&
    ok "capability bounding set: DAC_READ_SEARCH DAC_OVERRIDE CHOWN FOWNER FSETID MKNOD LINUX_IMMUTABLE" ||
    bad "CapBnd $(sed -n 's/^CapBnd:\t//p' /proc/$pid/status)"
grep -q '^NoNewPrivs:	1' /proc/$pid/status && ok "NoNewPrivs" || bad "NoNewPrivs not set"
grep -q '^Seccomp:	2' /proc/$pid/status && ok "seccomp filter" || bad "no seccomp filter"
awk '$5 == "/usr" || $5 == "/etc" {print $5, $6}' /proc/$pid/mountinfo | sort -u | tee /tmp/ro
grep -q '^/usr ro' /tmp/ro && grep -q '^/etc ro' /tmp/ro && ok "/usr and /etc read-only (ProtectSystem=full)" ||
    bad "/usr or /etc writable for ndmpd"
[ "$(awk '$5 == "/tmp"' /proc/$pid/mountinfo | wc -l)" -ge 1 ] && ok "a private /tmp" || bad "no private /tmp"

step "systemctl reload: a new user without a restart"
echo "operator2:Second-Pass-2" >> /etc/ndmpd/passwd
c=$(cursor)
systemctl reload ndmpd && ok "systemctl reload returned 0" || bad "systemctl reload failed"
journal_wait "2 user(s)" "$c" && ok "the reload with two users is in the journal" || bad "no reload line with 2 users"
[ "$(systemctl show -p MainPID --value ndmpd)" = "$pid" ] && ok "same process" || bad "the process changed"
out=$(ndmjob -q -D "127.0.0.1:10000/4m,operator2,Second-Pass-2")
echo "$out" | grep -q NDMP4_AUTH_MD5 && ! echo "$out" | grep -q '"err ' && ok "the new user logs in" || {
    bad "the new user cannot log in"; echo "$out" | tail; }
status=$(systemctl show -p StatusText --value ndmpd)
[[ $status =~ session ]] && ok "status after the reload: '$status'" || bad "status after reload '$status'"
echo "bogus-key = 1" >> /etc/ndmpd/ndmpd.conf
c=$(cursor)
systemctl reload ndmpd
journal_wait "configuration reload refused" "$c" && ok "a bad file is refused" || bad "bad file not refused"
[ "$(systemctl is-active ndmpd)" = active ] && ok "still active with the old configuration" || bad "not active"
sed -i '/^bogus-key/d' /etc/ndmpd/ndmpd.conf

step "systemd-analyze security ndmpd.service (online)"
systemd-analyze security --no-pager ndmpd.service | tee /out/security.txt | tail -n 40
grep -Eq 'Overall exposure level for ndmpd.service: [0-4]\.[0-9]' /out/security.txt &&
    ok "$(grep 'Overall exposure' /out/security.txt)" || bad "exposure: $(grep 'Overall exposure' /out/security.txt)"

step "stop"
systemctl stop ndmpd && [ "$(systemctl is-active ndmpd)" = inactive ] && ok "stopped" || bad "stop"
journalctl -u ndmpd --no-pager -o cat | tail -n 3
finish
