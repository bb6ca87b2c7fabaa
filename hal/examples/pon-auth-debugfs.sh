#!/bin/sh
# Example mapping for the linux HAL's pon_auth command (hal/README.md, "PON"): hands the
# LOID credentials the ACS set to a vendor driver's debugfs folder and restarts the
# authentication.
#
#   [hal]
#   pon_auth_command = /usr/share/cwmpd/pon-auth-debugfs.sh /sys/kernel/debug/pon
#
# The HAL passes the values in the environment, never on the command line (they would
# show in ps): CWMPD_PON_LOID, CWMPD_PON_LOID_PASSWORD, CWMPD_PON_PASSWORD (the PLOAM
# password / registration ID) and CWMPD_PON_PASSWORD_HEX (1 when it is hex digits).
set -eu
dir=${1:-/sys/kernel/debug/pon}
[ -d "$dir" ] || { echo "no ONU driver folder $dir" >&2; exit 1; }
umask 077
printf '%s\n' "${CWMPD_PON_LOID-}" > "$dir/loid"
printf '%s\n' "${CWMPD_PON_LOID_PASSWORD-}" > "$dir/loid_password"
printf '%s\n' "${CWMPD_PON_PASSWORD-}" > "$dir/ploam_password"
printf '%s\n' "${CWMPD_PON_PASSWORD_HEX-0}" > "$dir/ploam_password_hex"
# Writing 1 restarts the ONU's LOID authentication in this example driver.
echo 1 > "$dir/auth_restart"
