#!/bin/bash
# Runs devices_sg_tests against tgt's tape drive and changer inside the
# vtl-vm guest (tests/vtl-vm), i.e. through the kernel's sg driver and
# SG_IO. Usage (as root, from the host):
#   tests/vtl-vm/run.sh -- tests/devices/run_sg_suite_in_vtl_vm.sh BUILD_DIR
# Inside the guest VTL_IQN is set, which the suite reads as "target is tgt"
# and names tgt's gaps as skips. Pass --no-gap-skips to run those tests
# anyway (each of them fails on tgt 1.0.85: that is how the gaps were confirmed).
set -u
build=${1:?usage: $0 BUILD_DIR [--no-gap-skips]}
export NDMP_TEST_SG_TAPE=${VTL_DRIVE0_SG:?not inside the vtl-vm guest} NDMP_TEST_SG_CHANGER=${VTL_CHANGER_SG:?}
echo "devices_sg_tests: tape=$NDMP_TEST_SG_TAPE changer=$NDMP_TEST_SG_CHANGER"
if [ "${2:-}" = "--no-gap-skips" ]; then unset VTL_IQN; fi
exec "$build/tests/devices/devices_sg_tests"
