# vtl-ndmpd.sh - sourced by the guest benchmarks (vtl-throughput.sh, dar.sh):
# ndmpd on the guest's discovered devices, and the NDMP name it gives drive 0.
#   vtl_bench_ndmpd DIR NDMPD LOG_LEVEL   ndmpd on 127.0.0.1:10000 with exports
#                                         DIR/export, log DIR/ndmpd.log; sets
#                                         NDMPD_PID, PW, A (ndmjob's agent) and
#                                         kills ndmpd at exit
#   vtl_bench_tape DIR SHIM               prints the device name of drive 0
vtl_bench_ndmpd() {
    local dir=$1 ndmpd=$2 level=$3
    PW=bench-$RANDOM$RANDOM
    echo "ndmp:$PW" > "$dir/passwd"; chmod 600 "$dir/passwd"
    setsid "$ndmpd" --config /dev/null --listen 127.0.0.1:10000 --password-file "$dir/passwd" --auth md5 \
        --export "$dir/export" --library none --discover-devices true --state-dir "$dir/state" \
        --log-level "$level" > "$dir/ndmpd.log" 2>&1 < /dev/null &
    NDMPD_PID=$!
    trap 'kill $NDMPD_PID 2> /dev/null' EXIT
    until (exec 3<> /dev/tcp/127.0.0.1/10000) 2> /dev/null; do sleep 0.1; done
    A="127.0.0.1:10000/4m,ndmp,$PW"
}
vtl_bench_tape() {
    LD_PRELOAD=$2 /usr/lib/amanda/ndmjob -q -T "$A" > "$1/q.out" 2>&1
    awk -v want="SERIAL_NUMBER=$VTL_DRIVE0_SERIAL" '
        match($0, /device +[^ "]+/) { d = substr($0, RSTART, RLENGTH); sub(/device +/, "", d) }
        index($0, want) { print d; exit }' "$1/q.out"
}
